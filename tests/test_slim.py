"""The int8 path on its own (issue #22): onnxruntime, tokenizers and NumPy, never PyTorch or transformers.

Every check runs the library or the CLI in a fresh Python process on a model exported beforehand. By
default that process is this environment's Python with the heavy packages made unimportable (an import
of one fails, and every attempt is recorded and fails the test). `make slim` sets EMOTION_SLIM_PYTHON to
the Python of an environment holding only requirements/serve.txt and emotion-nbdev (installed
--no-deps), and the same checks run there. The reference is the previous path's recipe, computed here:
the transformers tokenizer at max_length + 1, a text longer than max_length cut to its first
max_length - 1 tokens and its closing token, batches of 16 sorted by length and padded by the tokenizer.
"""
import csv, json, os, shutil, subprocess, sys
from pathlib import Path

import numpy as np
import pytest

from emotion_nbdev.inference import EmotionClassifier
from emotion_nbdev.int8 import INT8_FILE, STAMP_FILE, OnnxBackend, export_onnx

SLIM_PYTHON = os.environ.get("EMOTION_SLIM_PYTHON")  # `make slim`: the Python of the environment to test
PYTHON = SLIM_PYTHON or sys.executable
HEAVY = ("torch", "transformers", "onnx", "pandas", "datasets", "sklearn", "scipy", "matplotlib", "accelerate")
TEXTS = ["i feel so happy today", "i am scared of the dark", "ok", "i feel so loving and tender towards you " * 3,
         "word " * 600, "walking home alone and every noise makes me jump"]
# Runs first in every process: imports of HEAVY fail, as where they are not installed, and are reported at exit.
PRELUDE = f'''
import atexit, sys
HEAVY, tried = {HEAVY!r}, []
class Unimportable:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HEAVY:
            caller = sys._getframe(2).f_code  # importlib.util.find_spec asks whether it is there: a look, not an import
            from_find_spec = caller.co_name == "find_spec" and "importlib" in caller.co_filename
            if not (from_find_spec and "util" in caller.co_filename): tried.append(name)
            raise ModuleNotFoundError(f"No module named {{name!r}} (hidden by the test)", name=name)
sys.meta_path.insert(0, Unimportable())
heavy_loaded = lambda: {{m for m in sys.modules if m.partition(".")[0] in HEAVY}}
atexit.register(lambda: print("HEAVY IMPORTS:", sorted(set(tried) | heavy_loaded()), file=sys.stderr))
'''
CLI = "from emotion_nbdev.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def run(code: str, *args, cwd: Path, exports: bool = False) -> subprocess.CompletedProcess:
    """Run `code` (after PRELUDE) with `args` in a fresh process of the Python under test; unless it `exports`, it tries
    no heavy import."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("PYTHONPATH", None)
    # cwd: not the repository, whose emotion_nbdev/ would shadow the installed package of the environment under test
    proc = subprocess.run([PYTHON, "-c", PRELUDE + code, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert "HEAVY IMPORTS: []" in proc.stderr or exports, proc.stderr
    return proc


def cli(*args, cwd: Path, exports: bool = False) -> subprocess.CompletedProcess:
    return run(CLI, *args, cwd=cwd, exports=exports)


def reference(model_dir: Path, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities, truncated) by the previous int8 path's recipe: transformers' tokenizer and padding, batches of 16
    by length."""
    from transformers import AutoTokenizer
    from emotion_nbdev.tokenization import length_batches
    tokenizer, max_length = AutoTokenizer.from_pretrained(model_dir), 512
    encoded = tokenizer(texts, truncation=True, max_length=max_length + 1)["input_ids"]
    truncated = np.array([len(ids) > max_length for ids in encoded])
    ids = [i if len(i) <= max_length else i[:max_length - 1] + i[-1:] for i in encoded]
    backend, logits = OnnxBackend(export_onnx(model_dir), threads=1), np.zeros((len(ids), 6), dtype=np.float32)
    for idx in length_batches([len(i) for i in ids], 16, sort=True):
        batch = tokenizer.pad({"input_ids": [ids[i] for i in idx]}, return_tensors="np")
        logits[idx] = backend({"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]})
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True), truncated


@pytest.fixture(scope="module")
def exported(trained_tiny, tmp_path_factory) -> Path:
    "A copy of the tiny trained model, exported here (in this environment, which has PyTorch)."
    model = tmp_path_factory.mktemp("slim")/"model"
    shutil.copytree(trained_tiny, model, ignore=shutil.ignore_patterns("onnx"))
    export_onnx(model)
    return model


@pytest.fixture(scope="module")
def expected(exported):
    probs, truncated = reference(exported, TEXTS)
    names = EmotionClassifier(exported, backend="onnx").label_names
    return dict(probs=probs, truncated=truncated, names=names, labels=[names[i] for i in probs.argmax(axis=1)])


def model_without_export(exported: Path, folder: Path) -> Path:
    shutil.copytree(exported, folder, ignore=shutil.ignore_patterns("onnx"))
    return folder


@pytest.mark.skipif(not SLIM_PYTHON, reason="EMOTION_SLIM_PYTHON unset: `make slim` builds the slim environment")
def test_slim_environment_is_slim(tmp_path):
    proc = subprocess.run([SLIM_PYTHON, "-c", "import importlib.util as u; print([m for m in "
                           f"{HEAVY!r} if u.find_spec(m)])"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_library_matches_previous_path(exported, expected, tmp_path):
    code = ("import json\nfrom emotion_nbdev.inference import EmotionClassifier\nclf = EmotionClassifier(sys.argv[1], "
            "backend='onnx')\nfound = clf.predictions(json.loads(sys.argv[2]), errors='mark')\nprint(json.dumps({k: "
            "[None if v != v else v for v in map(lambda x: x.item() if hasattr(x, 'item') else x, found[k])] for k in "
            "found}))\n")
    proc = run(code, exported, json.dumps(TEXTS + [""]), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["label"] == expected["labels"] + [None]
    assert found["status"] == ["ok"] * len(TEXTS) + ["empty text"]
    assert found["truncated"] == expected["truncated"].tolist() + [False] and found["truncated"][4]  # "word " * 600
    probs = np.array([found[name] for name in expected["names"]], dtype=float).T
    np.testing.assert_allclose(probs[:-1], expected["probs"], atol=1e-5)
    assert np.isnan(probs[-1]).all()
    assert "1 text(s) longer than 512 tokens were truncated" in proc.stderr


@pytest.mark.parametrize("call", ["clf.predictions(['i am happy', '', None])", "clf.predictions(42)",
                                  "clf.classify('  ')",
                                  "EmotionClassifier(MODEL, backend='onnx', max_length=600)",
                                  "EmotionClassifier(MODEL, backend='onnx', threads=0)"])
def test_same_checks_and_messages(exported, tmp_path, call):
    here = dict(clf=EmotionClassifier(exported, backend="onnx"), EmotionClassifier=EmotionClassifier,
                MODEL=str(exported))
    with pytest.raises(Exception) as raised: eval(call, here)
    code = ("from emotion_nbdev.inference import EmotionClassifier\nMODEL = sys.argv[1]\nclf = "
            f"EmotionClassifier(MODEL, backend='onnx')\ntry: {call}\nexcept Exception as e: print(type(e).__name__, "
            "e)\n")
    proc = run(code, exported, cwd=tmp_path)
    assert proc.stdout.strip() == f"{type(raised.value).__name__} {raised.value}", proc.stderr


def test_cli_texts(exported, expected, tmp_path):
    proc = cli("predict", "--model", exported, "--backend", "onnx", *TEXTS[:3], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[0].split()[:3] == ["text", "label", "score"] and len(rows) == 4
    probs, _ = reference(exported, TEXTS[:3])  # these three texts' own batch: int8 activations are quantized per batch
    # label, score, 6 classes
    assert [row.split()[-8] for row in rows[1:]] == [expected["names"][i] for i in probs.argmax(axis=1)]
    proc = cli("predict", "--model", exported, "--backend", "onnx", "--output", tmp_path/"out.csv", *TEXTS,
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path/"out.csv", newline="", encoding="utf-8") as f: out = list(csv.DictReader(f))
    assert [r["text"] for r in out] == TEXTS and [r["label"] for r in out] == expected["labels"]
    assert [r["truncated"] for r in out] == [str(t) for t in expected["truncated"]]
    np.testing.assert_allclose([[float(r[n]) for n in expected["names"]] for r in out], expected["probs"], atol=1e-5)


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".jsonl"])
def test_cli_file(exported, expected, tmp_path, suffix):
    texts = TEXTS[:4]
    source = tmp_path/f"tweets{suffix}"
    if suffix == ".txt": source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    elif suffix == ".csv":
        with open(source, "w", newline="", encoding="utf-8") as f: csv.writer(f).writerows([["id", "text"],
            *enumerate(texts)])
    else: source.write_text("".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(texts)),
                            encoding="utf-8")
    proc = cli("predict", "--model", exported, "--backend", "onnx", "--file", source, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path/f"tweets{suffix}.predictions.csv", newline="", encoding="utf-8") as f:
        out = list(csv.DictReader(f))
    probs, _ = reference(exported, texts)  # its own batches: int8 activations are quantized per batch
    assert [r["text"] for r in out] == texts and [r["label"] for r in out] == [expected["names"][i]
                                                                               for i in probs.argmax(axis=1)]
    if suffix != ".txt": assert [r["id"] for r in out] == ["0", "1", "2", "3"]
    np.testing.assert_allclose([[float(r[n]) for n in expected["names"]] for r in out], probs, atol=1e-5)


def test_console_script(exported, expected, tmp_path):
    "The installed `emotion-nbdev` command itself (no prelude)."
    script = shutil.which("emotion-nbdev", path=str(Path(PYTHON).parent))
    assert script, f"no emotion-nbdev script beside {PYTHON}"
    proc = subprocess.run([script, "predict", "--model", str(exported), "--backend", "onnx", TEXTS[0]], cwd=tmp_path,
                          capture_output=True, text=True, encoding="utf-8",
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 0, proc.stderr
    probs, _ = reference(exported, TEXTS[:1])
    assert proc.stdout.splitlines()[1].split()[-8] == expected["names"][probs[0].argmax()]


def test_unexported_model_is_refused_with_the_fix(exported, tmp_path):
    model = model_without_export(exported, tmp_path/"fresh")
    proc = cli("predict", "--model", model, "--backend", "onnx", "i feel great", cwd=tmp_path, exports=True)
    assert proc.returncode == 2, proc.stderr
    assert "has not been exported yet" in proc.stderr and ("Fix: run `emotion-nbdev export --model "
                                                           f"{model}`") in proc.stderr
    assert "This is a bug" not in proc.stderr and not (model/"onnx").exists()


def test_stale_export_is_refused(exported, tmp_path):
    model = tmp_path/"stale"
    shutil.copytree(exported, model)
    weights = model/"model.safetensors"
    data = bytearray(weights.read_bytes()); data[-4:] = bytes(4)  # the last weight changed, same size
    weights.write_bytes(bytes(data))
    proc = cli("predict", "--model", model, "--backend", "onnx", "i feel great", cwd=tmp_path, exports=True)
    assert proc.returncode == 2 and "its weights changed since the export" in proc.stderr, proc.stderr
    assert "emotion-nbdev export --model" in proc.stderr


@pytest.mark.parametrize("damage", ["truncated", "garbage", "garbage, time kept"])
def test_damaged_export_is_refused_with_the_fix(exported, tmp_path, damage):
    model = tmp_path/"damaged"
    shutil.copytree(exported, model)
    int8 = model/"onnx"/INT8_FILE
    stat = int8.stat()
    if damage == "truncated": int8.write_bytes(int8.read_bytes()[:stat.st_size // 2])
    else: int8.write_bytes(os.urandom(stat.st_size))
    if damage == "garbage, time kept":  # what the record cannot see: ONNX Runtime refuses it, and so do we
        os.utime(int8, ns=(stat.st_atime_ns,
                           json.loads((model/"onnx"/STAMP_FILE).read_text())["files"][INT8_FILE]["mtime_ns"]))
    proc = cli("predict", "--model", model, "--backend", "onnx", "i feel great", cwd=tmp_path,
               exports=damage != "garbage, time kept")
    assert proc.returncode == 2, proc.stderr
    assert "This is a bug" not in proc.stderr and "emotion-nbdev export --model" in proc.stderr
    assert ("cannot load" if damage == "garbage, time kept" else "is missing or damaged") in proc.stderr



def test_default_command_line_uses_the_export(exported, expected, tmp_path):
    "What a user types first, with no --backend: without PyTorch the folder's int8 export runs, and the run says so."
    proc = cli("predict", "--model", exported, TEXTS[0], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "int8 export" in proc.stderr
    probs, _ = reference(exported, TEXTS[:1])
    assert proc.stdout.splitlines()[1].split()[-8] == expected["names"][probs[0].argmax()]


@pytest.mark.parametrize("job", ["train", "export", "predict --backend torch", "evaluate --backend onnx", "data"])
def test_jobs_that_need_more_name_what_to_install(exported, tmp_path, job):
    """Every subcommand this install cannot run exits 2 with one line naming what to install: never a traceback, never
    'a bug'."""
    data = tmp_path/"labelled.csv"
    data.write_text("text,label\ni feel so happy,joy\ni am scared,fear\n", encoding="utf-8")
    command, *options = job.split()
    args = {"train": ["--data", data, "--output-dir", tmp_path/"new-model"],
            "export": ["--model", model_without_export(exported, tmp_path/"fresh")],
            "predict": ["--model", exported, "i feel fine"], "evaluate": ["--model", exported, "--data", data],
            "data": ["--data", data]}[command]
    proc = cli(command, *options, *args, cwd=tmp_path, exports=True)
    assert proc.returncode == 2, proc.stderr
    error = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(error) == 1 and "Fix: " in error[0] and "pip install emotion-nbdev" in error[0], proc.stderr
    assert "Traceback" not in proc.stderr and "This is a bug" not in proc.stderr
    assert not (tmp_path/"new-model").exists()
