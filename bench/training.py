"""Fine-tuning cost and accuracy across seeds, for the default recipe on this machine.

Each seed trains in its own process (so peak memory is per run) with `train_classifier`, and
the script records training time, samples/s, peak resident memory, and validation and test
scores; then the mean and standard deviation over seeds.

    python bench/training.py --seeds 42 43 44                # full data, default recipe
    python bench/training.py --seeds 42 --keep models/emotion-classifier
    python bench/training.py --seeds 43 44 --merge           # add seeds to the recorded ones (same recipe)
"""
import argparse, json, platform, resource, statistics, subprocess, sys, tempfile
from pathlib import Path

RESULTS = Path(__file__).parent/"results"/"training.json"


def one_run(seed, output_dir, extra):
    "Train once in this process; print a JSON line with the metrics and the peak memory."
    from emotion_nbdev.finetune import train_classifier
    # --keep names the folder to (re)place the model in: asked for, so a previous run's model there is replaced
    metrics = train_classifier(output_dir=output_dir, seed=seed, overwrite=True, disable_tqdm=True, **extra)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print("RESULT " + json.dumps(dict(seed=seed, peak_rss_mib=round(peak_mib), **metrics)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--keep", default=None, help="save the first seed's model here (else a temporary folder)")
    parser.add_argument("--epochs", type=float, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--merge", action="store_true", help="keep the runs already in --out (same recipe) and add these seeds")
    parser.add_argument("--_one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    extra = {k: v for k, v in dict(epochs=args.epochs, learning_rate=args.learning_rate, batch_size=args.batch_size).items()
             if v is not None}
    if args._one is not None: return one_run(args._one, args._dir, extra)

    runs = []
    if args.merge and Path(args.out).exists():
        earlier = json.loads(Path(args.out).read_text())["runs"]
        runs = [r for r in earlier if r["seed"] not in args.seeds]
        print(f"keeping {len(runs)} earlier run(s): seeds {[r['seed'] for r in runs]}", flush=True)
    for i, seed in enumerate(args.seeds):
        output_dir = args.keep if (i == 0 and args.keep) else tempfile.mkdtemp(prefix=f"emotion-seed{seed}-")
        cmd = [sys.executable, __file__, "--_one", str(seed), "--_dir", output_dir] + sys.argv[1:]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        if proc.returncode or not line: sys.exit(f"seed {seed} failed:\n{proc.stderr[-3000:]}")
        runs.append(json.loads(line[-1][7:]))
        if runs[0]["recipe"] | {"seed": 0} != runs[-1]["recipe"] | {"seed": 0}:
            sys.exit(f"seed {seed} used another recipe than the recorded runs: {runs[-1]['recipe']} vs {runs[0]['recipe']}; "
                     "Fix: write to another --out, or drop --merge.")
        r = runs[-1]
        print(f"seed {seed}: {r['train_seconds']:.0f}s, {r['train_samples_per_second']:.1f} samples/s, peak {r['peak_rss_mib']} MiB; "
              f"validation acc {r['validation']['accuracy']:.4f} F1 {r['validation']['f1_macro']:.4f}; "
              f"test acc {r['test']['accuracy']:.4f} F1 {r['test']['f1_macro']:.4f}", flush=True)

    def spread(split, metric):
        values = [r[split][metric] for r in runs]
        return dict(mean=statistics.mean(values), std=statistics.stdev(values) if len(values) > 1 else 0.0, values=values)
    summary = {f"{split}_{metric}": spread(split, metric) for split in ("validation", "test") for metric in ("accuracy", "f1_macro")}
    result = dict(machine=platform.machine(), cpus=len(__import__("os").sched_getaffinity(0)), recipe=runs[0]["recipe"],
                  checkpoint=Path(runs[0]["checkpoint"]).name, summary=summary, runs=runs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for key, s in summary.items(): print(f"{key}: {s['mean']:.4f} ± {s['std']:.4f} over {len(runs)} seed(s)")


if __name__ == "__main__":
    main()
