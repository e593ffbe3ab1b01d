"""Fine-tuning cost and accuracy across seeds, for the default recipe on this machine.

Each seed trains in its own process (so peak memory is per run) with `train_classifier`, and
the script records training time, samples/s, peak resident memory, and validation and test
scores; then the mean and standard deviation over seeds.

    python bench/training.py --seeds 42 43 44                # full data, default recipe
    python bench/training.py --seeds 42 --keep models/emotion-classifier
    python bench/training.py --seeds 43 44 --merge           # add seeds to the recorded ones (same recipe)
"""
import argparse, json, os, platform, statistics, subprocess, sys, tempfile
from pathlib import Path

from emotion_nbdev.settings import cpu_count

RESULTS = Path(__file__).parent/"results"/"training.json"
THROUGHPUT = Path(__file__).parent/"results"/"training_throughput.json"
# Each variant adds to the one before it; `today` spells out the settings before this benchmark.
VARIANTS = [
    ("today", dict(eval_batch_size=256, freeze_embeddings=False, dropout=None)),
    ("evaluation batches of 32", dict(eval_batch_size=32)),
    ("+ frozen word embeddings", dict(freeze_embeddings=True)),
    ("+ no dropout", dict(dropout=0.0)),
    # a model change like dropout off: not in the recorded table yet, and not swept on validation
    ("frozen word embeddings + lower 3 encoder layers frozen", dict(dropout=None, frozen_layers=3)),
]


def freeze_lower_layers(model, n:int):
    "Keep the first `n` encoder layers as pre-trained: no gradient flows below layer `n`."
    body = model.base_model
    for layer in (body.encoder if hasattr(body, "encoder") else body.transformer).layer[:n]:
        for param in layer.parameters(): param.requires_grad = False


def throughput(steps, repeats, names):
    """Samples/s of `steps` training steps for each variant (same data, seed and batches), median over repeats;
    validation after."""
    import time
    from transformers import AutoTokenizer, DataCollatorWithPadding, Trainer
    from emotion_nbdev.settings import seed_everything
    from emotion_nbdev.hub import resolve_checkpoint
    from emotion_nbdev.data import load_emotions
    from emotion_nbdev.finetune import compute_metrics, default_recipe, training_args
    from emotion_nbdev.training import recipe_model
    from emotion_nbdev.tokenization import tokenize
    checkpoint = resolve_checkpoint(verbose=False)
    data = load_emotions()
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    encoded = tokenize(data, tokenizer, max_length=128)
    recipe = default_recipe(checkpoint)
    settings, variants = {}, []
    for name, change in VARIANTS:
        settings = {**settings, **change}
        if name in names: variants.append((name, dict(settings)))
    times = {name: [] for name, _ in variants}
    results = {}
    for repeat in range(-1, repeats):  # repeat -1 warms the process up and is not recorded
        for name, s in variants:  # interleaved, so drift in the machine's speed hits every variant alike
            seed_everything(42)
            model = recipe_model(checkpoint, data["train"].features["label"].names, s)
            if s.get("frozen_layers"): freeze_lower_layers(model, s["frozen_layers"])
            args = training_args(os.path.join(tempfile.gettempdir(), "emotion-throughput"), max_steps=steps,
                                 learning_rate=recipe["learning_rate"],
                                 batch_size=recipe["batch_size"], eval_batch_size=s["eval_batch_size"],
                                 eval_strategy="no",
                                 save_strategy="no", load_best_model_at_end=False, logging_strategy="no",
                                 disable_tqdm=True)
            trainer = Trainer(model=model, args=args, train_dataset=encoded["train"], processing_class=tokenizer,
                              data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=compute_metrics)
            start = time.perf_counter(); trainer.train()
            if repeat < 0: break
            times[name].append(time.perf_counter() - start)
            if repeat == 0:
                start = time.perf_counter(); ev = trainer.evaluate(encoded["validation"])
                results[name] = dict(settings=s, eval_seconds=round(time.perf_counter() - start, 2),
                                     validation_accuracy_after_steps=round(ev["eval_accuracy"], 4))
            print(f"{name} (repeat {repeat + 1}): {steps * recipe['batch_size'] / times[name][-1]:.1f} samples/s",
                  flush=True)
    base = None
    for name, _ in variants:
        r = results[name]
        r["train_seconds"] = [round(t, 2) for t in times[name]]
        r["samples_per_second"] = round(steps * recipe["batch_size"] / statistics.median(times[name]), 1)
        base = base or r["samples_per_second"]
        r["speedup"] = round(r["samples_per_second"] / base, 2)
        print(f"{name:28s} {r['samples_per_second']:6.1f} samples/s (x{r['speedup']:.2f}); validation pass "
              f"{r['eval_seconds']:.1f}s; validation accuracy after {steps} steps "
              f"{r['validation_accuracy_after_steps']:.4f}")
    import torch
    return dict(machine=platform.machine(), cpus=cpu_count(), threads=torch.get_num_threads(),
                checkpoint=Path(checkpoint).name, steps=steps, batch_size=recipe["batch_size"], repeats=repeats,
                learning_rate=recipe["learning_rate"], variants=results)


SWEEP_RESULTS = Path(__file__).parent/"results"/"training_sweep.json"
# Recipe candidates for the default checkpoint, each trained over the same seeds and scored on validation only.
# Every candidate spells out its whole recipe, so changing `default_recipe` later does not change what was measured.
SWEEP_BASE = dict(batch_size=32, warmup=0.1, label_smoothing=0.0, freeze_embeddings=True, dropout=None)
CANDIDATES = [(name, {**SWEEP_BASE, **change}) for name, change in [  # in the order they are run
    ("2 epochs, lr 2e-4", dict(epochs=2, learning_rate=2e-4)),
    ("2 epochs, lr 2e-4, no dropout", dict(epochs=2, learning_rate=2e-4, dropout=0.0)),
    ("2 epochs, lr 1e-4", dict(epochs=2, learning_rate=1e-4)),
    ("2 epochs, lr 2e-4, label smoothing 0.1", dict(epochs=2, learning_rate=2e-4, label_smoothing=0.1)),
    ("3 epochs, lr 1e-4", dict(epochs=3, learning_rate=1e-4)),
    ("3 epochs, lr 2e-4", dict(epochs=3, learning_rate=2e-4)),
    ("2 epochs, lr 5e-5", dict(epochs=2, learning_rate=5e-5)),
    ("2 epochs, lr 2e-4, no warm-up", dict(epochs=2, learning_rate=2e-4, warmup=0.0)),
    ("3 epochs, lr 1e-4, label smoothing 0.1", dict(epochs=3, learning_rate=1e-4, label_smoothing=0.1)),
    ("4 epochs, lr 1e-4", dict(epochs=4, learning_rate=1e-4)),
    ("5 epochs, lr 1e-4", dict(epochs=5, learning_rate=1e-4)),
]]


def peak_rss_mib()->float|None:
    """Peak resident memory of this process in MiB (ru_maxrss: KiB on Linux, bytes on macOS); None where there is no
    `resource` (Windows)."""
    try: import resource
    except ImportError: return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


def one_run(seed, output_dir, extra, no_test=False):
    "Train once in this process; print a JSON line with the metrics and the peak memory."
    from emotion_nbdev.training import train_classifier
    data = None
    if no_test:  # a recipe search sees validation only
        from emotion_nbdev.data import load_emotions
        data = load_emotions(); del data["test"]
    # --keep names the folder to (re)place the model in: asked for, so a previous run's model there is replaced
    metrics = train_classifier(data, output_dir=output_dir, seed=seed, overwrite=True, disable_tqdm=True, **extra)
    peak_mib = peak_rss_mib()
    print("RESULT " + json.dumps(dict(seed=seed, peak_rss_mib=peak_mib and round(peak_mib), **metrics)))


def run_seed(seed, output_dir, recipe, no_test=False, threads=None):
    "One training run in its own process (so peak memory is per run); its metrics."
    cmd = [sys.executable, __file__, "--_one", str(seed), "--_dir", str(output_dir), "--_recipe", json.dumps(recipe)]
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    proc = subprocess.run(cmd + ["--_no-test"] * no_test, capture_output=True, text=True, env=env)
    line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    if proc.returncode or not line: sys.exit(f"seed {seed} failed:\n{proc.stderr[-3000:]}")
    return json.loads(line[-1][7:])


def mean_std(values):
    return dict(mean=statistics.mean(values), std=statistics.stdev(values) if len(values) > 1 else 0.0, values=values)


def sweep(names, seeds, models_dir, out, workers=1):
    """Train each candidate over `seeds` on train, score validation; resumable (runs already in `out` are kept).
    `workers` > 1 trains that many runs side by side, one thread each (more runs an hour on a CPU; their seconds are not
    those of a run alone)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Lock
    done = json.loads(out.read_text()) if out.exists() else dict(candidates={})
    lock, jobs = Lock(), []
    known = dict(CANDIDATES)
    if unknown := [n for n in names if n not in known]: sys.exit(f"no such candidate(s): {unknown}; see CANDIDATES")
    for name in names:  # in the order asked for
        change = known[name]
        entry = done["candidates"].setdefault(name, dict(change=change, runs=[]))
        jobs += [(name, change, seed) for seed in seeds if not any(r["seed"] == seed for r in entry["runs"])]

    def job(name, change, seed):
        model_dir = Path(models_dir or tempfile.mkdtemp(prefix="emotion-sweep-"))/f"{slug(name)}-seed{seed}"
        run = run_seed(seed, model_dir, change, no_test=True, threads=1 if workers > 1 else None)
        with lock:
            entry = done["candidates"][name]
            entry["runs"].append({k: run[k] for k in ("seed", "recipe", "train_seconds", "seconds",
                                                      "train_samples_per_second",
                                                      "best_checkpoint_epoch", "history", "validation", "peak_rss_mib",
                                                      "environment")} | dict(model_dir=str(model_dir), workers=workers))
            entry["validation_accuracy"] = mean_std([r["validation"]["accuracy"] for r in entry["runs"]])
            entry["validation_f1_macro"] = mean_std([r["validation"]["f1_macro"] for r in entry["runs"]])
            out.write_text(json.dumps(done, indent=2) + "\n")
            print(f"{name}, seed {seed}: validation acc {run['validation']['accuracy']:.4f} F1 "
                  f"{run['validation']['f1_macro']:.4f}, {run['seconds']:.0f}s ({run['train_samples_per_second']:.1f} "
                  "samples/s)", flush=True)
    with ThreadPoolExecutor(workers) as pool: list(pool.map(lambda j: job(*j), jobs))
    for name, entry in done["candidates"].items():
        acc, f1 = entry.get("validation_accuracy"), entry.get("validation_f1_macro")
        if acc:
            print(f"{name:45s} validation acc {acc['mean']:.4f} ± {acc['std']:.4f}, F1 {f1['mean']:.4f} ± "
                  f"{f1['std']:.4f} "
                      f"over {len(acc['values'])} seed(s); "
                      f"{statistics.mean(r['seconds'] for r in entry['runs']) / 60:.1f} min a run")


def choose(candidates:dict)->str:
    """The candidate with the highest mean validation accuracy over its seeds; a candidate whose mean is within one
    standard deviation of that one's ties with it, and among ties the one with the fewest epochs (the cheapest) wins."""
    complete = {name: e for name, e in candidates.items() if len(e.get("runs", [])) >= 3}
    best = max(complete, key=lambda n: complete[n]["validation_accuracy"]["mean"])
    top = complete[best]["validation_accuracy"]
    ties = [n for n, e in complete.items() if top["mean"] - e["validation_accuracy"]["mean"] <= top["std"]]
    return min(ties, key=lambda n: (complete[n]["change"]["epochs"], -complete[n]["validation_accuracy"]["mean"]))


def score_test(sweep_file:Path, out:Path, recipe:str|None=None, why:str|None=None):
    """Choose the recipe on validation (or take `recipe`, saying `why`), then score its kept models on test, once; write
    them as the recipe's seed table."""
    import numpy as np
    from emotion_nbdev.data import load_emotions
    from emotion_nbdev.features import scores
    from emotion_nbdev.inference import EmotionClassifier
    done = json.loads(sweep_file.read_text())
    rule = " ".join(line.strip() for line in choose.__doc__.splitlines())
    if recipe and not why: sys.exit("--recipe needs --why: the reason it is taken instead of the rule's choice")
    name = recipe or choose(done["candidates"])
    done["chosen"] = dict(name=name, rule=rule, by_rule=recipe is None, why=why)
    sweep_file.write_text(json.dumps(done, indent=2) + "\n")
    test = load_emotions()["test"]
    runs = []
    for run in done["candidates"][name]["runs"]:
        probs, _ = EmotionClassifier(run["model_dir"], max_length=128).probabilities(test["text"])
        loss = float(-np.log(probs[np.arange(len(probs)), test["label"]]).mean())  # cross-entropy
        runs.append({**run, "test": dict(loss=loss, **scores(test["label"], probs.argmax(-1)))})
        print(f"{name}, seed {run['seed']}: test acc {runs[-1]['test']['accuracy']:.4f} F1 "
              f"{runs[-1]['test']['f1_macro']:.4f}")
    summary = {f"{split}_{metric}": mean_std([r[split][metric] for r in runs])
               for split in ("validation", "test") for metric in ("accuracy", "f1_macro")}
    # which encoder the runs fine-tuned, and its size, for the tables that quote them
    first = Path(runs[0]["model_dir"])
    checkpoint = json.loads((first/"metrics.json").read_text())["checkpoint"]
    parameters = EmotionClassifier(first).backend.model.num_parameters()
    result = dict(machine=platform.machine(), cpus=cpu_count(), checkpoint=checkpoint, parameters=parameters,
                  chosen=name,
                  chosen_by=done["chosen"], recipe=runs[0]["recipe"], summary=summary, runs=runs)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for key, s in summary.items(): print(f"{key}: {s['mean']:.4f} ± {s['std']:.4f} over {len(runs)} seeds")



def slug(name): return "".join(c if c.isalnum() else "-" for c in name).strip("-")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--keep", default=None, help="save the first seed's model here (else a temporary folder)")
    parser.add_argument("--epochs", type=float, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--merge", action="store_true", help="keep the runs already in --out (same recipe) and add "
                                                             "these seeds")
    parser.add_argument("--throughput", action="store_true",
                        help="samples/s of each training-loop variant instead (short runs)")
    parser.add_argument("--steps", type=int, default=60, help="with --throughput: training steps per measurement")
    parser.add_argument("--repeats", type=int, default=3, help="with --throughput: measurements per variant (median)")
    parser.add_argument("--variants", nargs="+", default=[name for name, _ in VARIANTS], help="with --throughput")
    parser.add_argument("--sweep", action="store_true", help="train the recipe CANDIDATES over --seeds, validation "
                                                             "only")
    parser.add_argument("--candidates", nargs="+", default=[name for name, _ in CANDIDATES], help="with --sweep")
    parser.add_argument("--models", default=None, help="with --sweep: keep each run's model under this folder")
    parser.add_argument("--workers", type=int, default=1, help="with --sweep: runs side by side, one thread each")
    parser.add_argument("--score-test", action="store_true",
                        help="choose the recipe from the sweep's validation scores, score its kept models on test "
                             "once, write --out")
    parser.add_argument("--recipe", default=None, help="with --score-test: this candidate instead of the rule's choice")
    parser.add_argument("--why", default=None, help="with --recipe: why (recorded beside it)")
    parser.add_argument("--_one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_recipe", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--_no-test", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    extra = {k: v for k, v in dict(epochs=args.epochs, learning_rate=args.learning_rate,
                                   batch_size=args.batch_size).items()
             if v is not None}
    if args._one is not None: return one_run(args._one, args._dir, {**extra, **json.loads(args._recipe)}, args._no_test)
    if args.score_test:
        return score_test(SWEEP_RESULTS, Path(args.out), args.recipe, args.why)
    if args.sweep: return sweep(args.candidates, args.seeds, args.models,
                                Path(args.out if args.out != str(RESULTS) else SWEEP_RESULTS),
                                   args.workers)
    if args.throughput:
        out = Path(args.out if args.out != str(RESULTS) else THROUGHPUT)
        out.write_text(json.dumps(throughput(args.steps, args.repeats, args.variants), indent=2) + "\n")
        return print(f"written to {out}")

    runs = []
    if args.merge and Path(args.out).exists():
        earlier = json.loads(Path(args.out).read_text())["runs"]
        runs = [r for r in earlier if r["seed"] not in args.seeds]
        print(f"keeping {len(runs)} earlier run(s): seeds {[r['seed'] for r in runs]}", flush=True)
    for i, seed in enumerate(args.seeds):
        output_dir = args.keep if (i == 0 and args.keep) else tempfile.mkdtemp(prefix=f"emotion-seed{seed}-")
        runs.append(run_seed(seed, output_dir, extra))
        if runs[0]["recipe"] | {"seed": 0} != runs[-1]["recipe"] | {"seed": 0}:
            sys.exit(f"seed {seed} used another recipe than the recorded runs: {runs[-1]['recipe']} vs "
                     f"{runs[0]['recipe']}; Fix: write to another --out, or drop --merge.")
        r = runs[-1]
        print(f"seed {seed}: {r['train_seconds']:.0f}s, {r['train_samples_per_second']:.1f} samples/s, peak "
              f"{r['peak_rss_mib']} MiB; "
              f"validation acc {r['validation']['accuracy']:.4f} F1 {r['validation']['f1_macro']:.4f}; test acc "
              f"{r['test']['accuracy']:.4f} F1 {r['test']['f1_macro']:.4f}", flush=True)

    summary = {f"{split}_{metric}": mean_std([r[split][metric] for r in runs])
               for split in ("validation", "test") for metric in ("accuracy", "f1_macro")}
    result = dict(machine=platform.machine(), cpus=cpu_count(), recipe=runs[0]["recipe"],
                  checkpoint=Path(runs[0]["checkpoint"]).name, summary=summary, runs=runs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for key, s in summary.items(): print(f"{key}: {s['mean']:.4f} ± {s['std']:.4f} over {len(runs)} seed(s)")


if __name__ == "__main__":
    main()
