"""`predict --file` streams: peak memory for a 10x longer file, and throughput against the in-memory batched path.

1. Memory: a tiny random classifier (the model's own memory is then negligible) labels files of
   100,000 and 1,000,000 lines, each in a fresh process; peak resident memory (ru_maxrss) of each.
2. Throughput: a classifier of the course model's architecture and size (all-MiniLM-L6-v2 with an
   untrained 6-class head: the fine-tuned model's compute exactly) labels the 2,000 test tweets,
   (a) in memory, as before streaming (`EmotionClassifier.predict` on the whole list, then one CSV
   written), and (b) streamed from a CSV file by `predict_file`; median over repeats, same process.

    python bench/predict_file.py                      # ~6 min on 2 cores
"""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path

from emotion_nbdev.settings import cpu_count

RESULTS = Path(__file__).parent/"results"/"predict_file.json"


def peak_rss_mib()->float|None:
    """Peak resident memory of this process in MiB (ru_maxrss: KiB on Linux, bytes on macOS); None where there is no
    `resource` (Windows)."""
    try: import resource
    except ImportError: return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


def classifier_folder(folder:Path, base:str|None)->Path:
    "A saved 6-class classifier: on `base` (untrained head), else on a tiny random BERT."
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from emotion_nbdev.settings import EMOTIONS
    from emotion_nbdev.hub import resolve_checkpoint
    from emotion_nbdev.tiny import tiny_checkpoint
    base = base or str(tiny_checkpoint(folder/"encoder"))
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=6, id2label=dict(enumerate(EMOTIONS)),
                                                               label2id={n: i for i, n in enumerate(EMOTIONS)})
    model.save_pretrained(folder/"classifier"); AutoTokenizer.from_pretrained(base).save_pretrained(folder/"classifier")
    return folder/"classifier"


def write_csv(path:Path, texts:list, rows:int):
    "A CSV of `rows` lines (id, text), cycling through `texts`."
    import csv
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f); writer.writerow(["id", "text"])
        for i in range(rows): writer.writerow([i, texts[i % len(texts)]])


def one_file(model:str, path:str, output:str):
    "In a fresh process: label `path`, print seconds and peak memory."
    from emotion_nbdev.predict_files import predict_file
    start = time.perf_counter()
    predict_file(path, output, model_dir=model, progress=False)
    seconds = time.perf_counter() - start
    print("RESULT " + json.dumps(dict(seconds=seconds, peak_rss_mib=peak_rss_mib())))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs=2, default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--_one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._one: return one_file(*args._one)

    from emotion_nbdev.hub import offline_checkpoint
    from emotion_nbdev.data import load_emotions
    from emotion_nbdev.inference import EmotionClassifier
    from emotion_nbdev.predict_files import predict_file
    texts = list(load_emotions()["test"]["text"])
    work = Path(tempfile.mkdtemp(prefix="bench-predict-"))

    memory = []
    tiny = classifier_folder(work/"tiny", None)
    for lines in args.lines:
        path = work/f"tweets_{lines}.csv"; write_csv(path, texts, lines)
        proc = subprocess.run([sys.executable, __file__, "--_one", str(tiny), str(path), str(work/f"out_{lines}.csv")],
                              capture_output=True, text=True)
        line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        if proc.returncode or not line: sys.exit(f"{lines} lines failed:\n{proc.stderr[-3000:]}")
        run = json.loads(line[-1][7:])
        memory.append(dict(lines=lines, file_mib=round(path.stat().st_size / 2**20, 1),
                           peak_rss_mib=run["peak_rss_mib"] and round(run["peak_rss_mib"]),
                           seconds=round(run["seconds"], 1), rows_per_s=round(lines / run["seconds"])))
        print(f"{lines:>9,} lines ({memory[-1]['file_mib']} MiB): peak {memory[-1]['peak_rss_mib']} MiB, "
              f"{memory[-1]['seconds']} s, {memory[-1]['rows_per_s']:,} rows/s", flush=True)
        path.unlink(); (work/f"out_{lines}.csv").unlink()

    minilm = classifier_folder(work/"minilm", str(offline_checkpoint()))
    test_csv = work/"test.csv"; write_csv(test_csv, texts, len(texts))
    throughput = []
    for backend in ("torch", "onnx"):
        clf = EmotionClassifier(minilm, backend)
        clf.predict(texts[:64])  # warm-up
        in_memory, streamed = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            clf.predict(texts, progress=False).to_csv(work/"in_memory.csv", index=False)
            in_memory.append(time.perf_counter() - start)
            start = time.perf_counter()
            predict_file(test_csv, work/"streamed.csv", classifier=clf, overwrite=True, progress=False)
            streamed.append(time.perf_counter() - start)
        row = dict(backend=backend, in_memory_tweets_per_s=round(len(texts) / statistics.median(in_memory), 1),
                   streamed_tweets_per_s=round(len(texts) / statistics.median(streamed), 1))
        row["ratio"] = round(row["streamed_tweets_per_s"] / row["in_memory_tweets_per_s"], 3)
        throughput.append(row); print(row, flush=True)

    # None: no `resource`
    ratio = memory[-1]["peak_rss_mib"] / memory[0]["peak_rss_mib"] if memory[0]["peak_rss_mib"] else None
    result = dict(machine=platform.machine(), cpus=cpu_count(), chunk_size=4096, memory=memory,
                  peak_rss_ratio=ratio and round(ratio, 3), throughput=throughput, repeats=args.repeats)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"peak memory {args.lines[1]:,} vs {args.lines[0]:,} "
          "lines: " + (f"x{ratio:.3f}" if ratio else "not measured here"))


if __name__ == "__main__":
    main()
