"""Ray Data vs `predict_file` on one machine: throughput of the int8 path, 1 and 2 workers, and what starting Ray costs.

A classifier of the course model's architecture and size (all-MiniLM-L6-v2 with an untrained 6-class
head: the fine-tuned model's compute exactly, made by `predict_file.py`'s `classifier_folder`) labels a
CSV of `--rows` tweets (the 2,000 test tweets, cycled), in one process and one run:
(a) `predict_file(..., backend="onnx")` (one process, batches run on every core side by side), and
(b) `predict_ray` in a local Ray on this machine's cores, with 1 and 2 classifier actors of one core each,
writing Parquet. Throughput: median over `--repeats`, interleaved. Overheads: `ray.init()` (once), and a
job of 16 rows (actors started, the model loaded, files read and written: the fixed cost of any job).
Where the time goes: reading the CSV (pandas) and tokenizing its texts, each on one core, against the
model's per-core rate.

    python bench/scale.py                 # ~4 min on 2 cores
"""
import argparse, json, os, platform, shutil, statistics, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # predict_file.py's helpers
from predict_file import classifier_folder, write_csv

RESULTS = Path(__file__).parent/"results"/"scale.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    import numpy as np, pandas as pd
    from emotion_nbdev.settings import EMOTIONS, cpu_count
    from emotion_nbdev.hub import offline_checkpoint
    from emotion_nbdev.data import load_emotions
    from emotion_nbdev.int8 import export_onnx
    from emotion_nbdev.predict_files import predict_file
    texts = list(load_emotions()["test"]["text"])
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    model = classifier_folder(work/"minilm", str(offline_checkpoint()))
    export_onnx(model)
    data, small = work/"tweets.csv", work/"small.csv"
    write_csv(data, texts, args.rows); write_csv(small, texts, 16)
    load = [os.getloadavg()[0]]
    # where the time goes, one core: reading the file and tokenizing its texts, against the model's per-core rate below
    from emotion_nbdev.inference import EmotionClassifier
    clf, stages = EmotionClassifier(model, "onnx"), {}
    for stage, work_fn in (("read_csv", lambda: pd.read_csv(data)),
                           ("tokenize", lambda: clf.encode(texts * (args.rows // len(texts)), clf.max_length + 1))):
        secs = []
        for _ in range(args.repeats): start = time.perf_counter(); work_fn(); secs.append(time.perf_counter() - start)
        stages[f"{stage}_rows_per_s_one_core"] = round(args.rows / statistics.median(secs))

    import ray
    start = time.perf_counter(); ray.init(num_cpus=cpu_count(), include_dashboard=False, logging_level="ERROR")
    init_s = time.perf_counter() - start
    from emotion_nbdev.scale import predict_ray
    ray_job = lambda path, out, workers: predict_ray(path, out, model, workers=workers, overwrite=True, progress=False)
    ray_job(small, work/"warm", 2)  # untimed: the first job also imports in fresh worker processes

    runs = {"predict_file": [], "ray, 1 worker": [], "ray, 2 workers": []}
    small_runs = []
    for _ in range(args.repeats):  # interleaved: a change of load on the shared machine hits every path alike
        for name in runs:
            start = time.perf_counter()
            if name == "predict_file":
                predict_file(data, work/"local.csv", model_dir=model, backend="onnx", overwrite=True, progress=False)
            else: ray_job(data, work/name.replace(", ", "_").replace(" ", ""), 1 if "1 worker" in name else 2)
            runs[name].append(time.perf_counter() - start)
            print(name, round(runs[name][-1], 1), "s", flush=True)
        start = time.perf_counter(); ray_job(small, work/"small_out", 2); small_runs.append(time.perf_counter() - start)
    load.append(os.getloadavg()[0])

    local = pd.read_csv(work/"local.csv")
    remote = pd.read_parquet(work/"ray_2workers").sort_values("id").reset_index(drop=True)
    agree = float((local["label"] == remote["label"]).mean())
    diff = float(max(np.abs(local[n].to_numpy() - remote[n].to_numpy()).max() for n in EMOTIONS))
    rows = [dict(path=name, seconds=[round(s, 2) for s in secs],
                 rows_per_s=round(args.rows / statistics.median(secs), 1))
            for name, secs in runs.items()]
    base = rows[0]["rows_per_s"]
    for row in rows: row["vs_predict_file"] = round(row["rows_per_s"] / base, 3)
    per_core = rows[1]["rows_per_s"]
    result = dict(machine=platform.machine(), cpus=cpu_count(), rows=args.rows, repeats=args.repeats,
                  model="all-MiniLM-L6-v2 + untrained 6-class head, int8 ONNX (the fine-tuned model's compute)",
                  ray=ray.__version__, ray_init_s=round(init_s, 2),
                  job_of_16_rows_s=round(statistics.median(small_runs), 2),
                  throughput=rows, per_core_rows_per_s=per_core, **stages,
                  per_hour_per_16_core_machine=round(per_core * 16 * 3600),
                  labels_agree_ray_vs_predict_file=agree, max_probability_difference=diff,
                  load_average_start_end=[round(x, 2) for x in load],
                  note="shared machine: other jobs ran on its 2 cores during the run (load average above)")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    ray.shutdown(); shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
