"""Time to a first prediction: one tweet, in a fresh process, imports included; PyTorch vs int8 ONNX Runtime.

Each command below runs in a new process, timed from its start to its exit (wall clock), interleaved
over `--repeats` rounds so that drift in the machine's load hits every command alike; median, fastest
and slowest per command. The int8 export is made beforehand (cached), and one untimed round warms the
disk cache and writes the bytecode cache, as for a user's second command.
- the CLI: `emotion-nbdev predict --model DIR --backend torch|onnx "i feel great today"`
- the library: a script that imports `EmotionClassifier` and labels the tweet (`predictions`)
- with `--slim-python`: the CLI and the library on the onnx backend in the environment of
  requirements/serve.txt (`make slim`), and that environment's size (`du -sm`, as installed: no pip).

    python bench/first_prediction.py --model models/emotion-classifier --slim-python .venv-slim/bin/python
"""
import argparse, json, os, platform, shutil, statistics, subprocess, sys, time
from pathlib import Path

from emotion_nbdev.settings import cpu_count

TWEET = "i feel great today"
LIBRARY = ("import sys\nfrom emotion_nbdev.inference import EmotionClassifier\n"
           "found = EmotionClassifier(sys.argv[1], backend=sys.argv[2]).predictions(sys.argv[3])\n"
           "print(found['label'][0], round(float(found['score'][0]), 3))")


def script(python:str, name:str)->str:
    "The console script `name` installed beside `python` (emotion-nbdev, or emotion-nbdev.exe on Windows)."
    found = shutil.which(name, path=str(Path(python).parent))
    if not found: sys.exit(f"no {name} beside {python}. Fix: install emotion-nbdev in that environment.")
    return os.path.abspath(found)


def megabytes(folder:Path)->dict:
    "Size of `folder`: `du -sm` where there is one (blocks on disk, each file once), and the sum of the files' sizes."
    files = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
    du = subprocess.run(["du", "-sm", str(folder)], capture_output=True,
                        text=True).stdout.split()[0] if shutil.which("du") else None
    return dict(du_sm=du and int(du), files_mb=round(files / 1e6, 1))


def load()->list|None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/emotion-classifier")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (at least 5)")
    parser.add_argument("--slim-python", default=None, help="the Python of the serve.txt environment (make slim)")
    parser.add_argument("--out", default=str(Path(__file__).parent/"results"/"first_prediction.json"))
    args = parser.parse_args()
    if args.repeats < 5: sys.exit("--repeats: give 5 or more (the median of fewer is noise)")
    model = str(Path(args.model).resolve())
    # not resolved: a venv's python is a link out of it
    if args.slim_python: args.slim_python = os.path.abspath(args.slim_python)
    from emotion_nbdev.int8 import export_onnx
    export_onnx(model)  # cached: the commands below find it made

    full = sys.executable
    commands = {
        "CLI, torch": [script(full, "emotion-nbdev"), "predict", "--model", model, "--backend", "torch", TWEET],
        "CLI, int8 ONNX": [script(full, "emotion-nbdev"), "predict", "--model", model, "--backend", "onnx", TWEET],
        "library, torch": [full, "-c", LIBRARY, model, "torch", TWEET],
        "library, int8 ONNX": [full, "-c", LIBRARY, model, "onnx", TWEET],
    }
    if args.slim_python:
        commands["CLI, int8 ONNX, slim environment"] = [script(args.slim_python, "emotion-nbdev"), "predict", "--model",
                                                        model,
                                                        "--backend", "onnx", TWEET]
        commands["library, int8 ONNX, slim environment"] = [args.slim_python, "-c", LIBRARY, model, "onnx", TWEET]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    # bytecode cached, as in a user's environment
    for name in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE"): env.pop(name, None)
    cwd = Path(model).parent  # not the repository: its emotion_nbdev/ would stand in for the slim environment's package
    times, outputs = {name: [] for name in commands}, {}
    load_before = load()
    for repeat in range(-1, args.repeats):  # round -1 warms the disk cache and is not recorded
        for name, command in commands.items():
            start = time.perf_counter()
            proc = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", env=env, cwd=cwd)
            seconds = time.perf_counter() - start
            if proc.returncode: sys.exit(f"{name} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
            if repeat >= 0: times[name].append(seconds)
            outputs[name] = proc.stdout.strip().splitlines()[-1]
        print(f"round {repeat}: " + ", ".join(f"{n} {t[-1]:.2f}s" for n, t in times.items() if t and repeat >= 0),
              flush=True)
    load_after = load()

    results = [dict(command=name, median_s=round(statistics.median(t), 3), fastest_s=round(min(t), 3),
                    slowest_s=round(max(t), 3),
                    runs_s=[round(x, 3) for x in t], prints=outputs[name]) for name, t in times.items()]
    median = {r["command"]: r["median_s"] for r in results}
    import numpy, onnxruntime, tokenizers, torch, transformers
    result = dict(
        machine=platform.machine(), system=platform.system(), python=platform.python_version(), cpus=cpu_count(),
        load_average_before=load_before, load_average_after=load_after, repeats=args.repeats, tweet=TWEET,
        versions=dict(torch=torch.__version__, transformers=transformers.__version__,
                      onnxruntime=onnxruntime.__version__,
                      tokenizers=tokenizers.__version__, numpy=numpy.__version__),
        results=results,
        torch_over_int8=dict(cli=round(median["CLI, torch"] / median["CLI, int8 ONNX"], 2),
                             library=round(median["library, torch"] / median["library, int8 ONNX"], 2)),
        # this environment: the package, its runtime dependencies and its dev extras (notebooks, docs, tests)
        development_environment=dict(path=str(Path(sys.prefix)), **megabytes(Path(sys.prefix))))
    if args.slim_python:
        listed = subprocess.run([args.slim_python, "-c", "import importlib.metadata as m, sys; print(sys.prefix); "
                                                         "print('\\n'.join(sorted("
                                 "{f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions()})))"],
                                capture_output=True, text=True, cwd=cwd).stdout.split("\n")
        prefix, packages = Path(listed[0]), [p for p in listed[1:] if p]
        site = next(prefix.glob("lib/python*/site-packages"), None) or prefix/"Lib"/"site-packages"
        result["slim_environment"] = dict(path=str(prefix), **megabytes(prefix), site_packages=megabytes(site),
                                          packages=packages)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for r in results:
        print(f"{r['command']:<40} median {r['median_s']:.2f}s  (fastest {r['fastest_s']:.2f}, slowest "
              f"{r['slowest_s']:.2f})")
    print(f"torch / int8: CLI x{result['torch_over_int8']['cli']}, library x{result['torch_over_int8']['library']}; "
          f"load average {load_before} -> {load_after}")


if __name__ == "__main__":
    main()
