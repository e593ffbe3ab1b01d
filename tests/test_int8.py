"""The int8 export keeps only what it runs, survives being killed, refuses weights it cannot export, and runs without
Linux-only calls (issue #22)."""
import json, os, shutil, subprocess, sys, tempfile
from pathlib import Path

import numpy as np
import pytest

from emotion_nbdev import int8
from emotion_nbdev.inference import EmotionClassifier
from emotion_nbdev.model_folders import weight_files
from emotion_nbdev.int8 import INT8_FILE, STAMP_FILE, OnnxBackend, _current_export, _export, export_onnx
from emotion_nbdev.errors import BadInput, NotFound
from emotion_nbdev.settings import cpu_count

TEXTS = ["i feel so happy today", "i am scared of the dark", "ok", "word " * 600]


@pytest.fixture
def model(trained_tiny, tmp_path) -> Path:
    "A fresh copy of the tiny trained model, not exported yet."
    folder = tmp_path/"model"
    shutil.copytree(trained_tiny, folder, ignore=shutil.ignore_patterns("onnx"))
    return folder


def kept(model: Path) -> list[str]:
    return sorted(p.name for p in (model/"onnx").iterdir())


def exports_logged(logged) -> int:
    return sum(m.startswith("exporting ") for m in logged)


def temp_exports() -> set:
    return set(Path(tempfile.gettempdir()).glob("emotion-nbdev-export-*/"))


def change_weights(model: Path):
    "New weights, same size: the last weight becomes 1.0."
    with open(model/"model.safetensors", "r+b") as f: f.seek(-4, 2); f.write(b"\x00\x00\x80\x3f")


def test_export_keeps_only_what_runs(model, logged):
    before = temp_exports()
    path = export_onnx(model)
    assert path == model/"onnx"/INT8_FILE and kept(model) == [STAMP_FILE, INT8_FILE]
    assert temp_exports() <= before  # the intermediates' folder is gone too
    stamp = json.loads((model/"onnx"/STAMP_FILE).read_text())
    assert [w["name"] for w in stamp["weights"]] == ["model.safetensors"] and list(stamp["files"]) == [INT8_FILE]
    assert export_onnx(model) == path and exports_logged(logged) == 1  # reused, not made again
    assert not any("pre-processing before quantization" in m for m in logged)


def test_earlier_layouts_are_cleared(model):
    """An export by an earlier version (intermediates kept, another record) or a killed one is replaced by the int8 file
    alone."""
    out = model/"onnx"
    out.mkdir()
    for name in ("model.onnx", "model.opt.onnx", INT8_FILE, ".model.int8.onnx.123.tmp"): (out/name).write_bytes(b"old")
    (out/".export-abc").mkdir(); (out/".export-abc"/"model.onnx").write_bytes(b"old")
    (out/STAMP_FILE).write_text(json.dumps(dict(format=4, weights="model.safetensors", size=1, mtime=1.0, opset=17)))
    assert _current_export(model, INT8_FILE, 17)[0] is None
    export_onnx(model)
    assert kept(model) == [STAMP_FILE, INT8_FILE]
    assert EmotionClassifier(model, backend="onnx").predictions(TEXTS)["label"][0] is not None


# Each stage of an export, killed (os._exit: no finally, no clean-up) in a process of its own
KILLS = {
    "exporting": "int8._export_fp32 = lambda model_dir, path, opset: (Path(path).write_bytes(b'half'), os._exit(9))",
    "placing": "int8._place = lambda made, path: "
               "(path.with_name(f'.{path.name}.{os.getpid()}.tmp').write_bytes(made.read_bytes()[:1000]), os._exit(9))",
    "replaced, not recorded": "real = int8._place\nint8._place = lambda made, path: (real(made, path), os._exit(9))",
}


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(KILLS))
def test_killed_export_is_made_again(model, stage, logged):
    export_onnx(model)
    change_weights(model)  # the killed process exports them
    before = temp_exports()
    code = ("import os, sys\nfrom pathlib import Path\nfrom emotion_nbdev import "
            f"int8\n{KILLS[stage]}\nint8.export_onnx(sys.argv[1])")
    proc = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    assert _current_export(model, INT8_FILE, 17)[0] is None  # nothing the killed export wrote is trusted
    for left in temp_exports() - before: shutil.rmtree(left)  # a killed process leaves its temporary folder to the OS
    export_onnx(model)
    assert kept(model) == [STAMP_FILE, INT8_FILE] and exports_logged(logged) == 2
    assert EmotionClassifier(model, backend="onnx").predictions(TEXTS)["label"][0] is not None


@pytest.mark.parametrize("damage", ["truncated", "garbage", "removed", "record removed", "record garbage"])
def test_damaged_export_is_made_again(model, damage, logged):
    int8_file, stamp = model/"onnx"/INT8_FILE, model/"onnx"/STAMP_FILE
    export_onnx(model)
    expected = EmotionClassifier(model, backend="onnx").predictions(TEXTS)
    if damage == "truncated": int8_file.write_bytes(int8_file.read_bytes()[:5000])
    elif damage == "garbage": int8_file.write_bytes(os.urandom(int8_file.stat().st_size))
    elif damage == "removed": int8_file.unlink()
    elif damage == "record removed": stamp.unlink()
    else: stamp.write_text("{not json")
    assert _current_export(model, INT8_FILE, 17)[0] is None
    found = EmotionClassifier(model, backend="onnx").predictions(TEXTS)
    assert exports_logged(logged) == 2 and kept(model) == [STAMP_FILE, INT8_FILE]
    np.testing.assert_allclose(np.array([found[n] for n in ("joy", "fear")]),
                               np.array([expected[n] for n in ("joy", "fear")]), atol=1e-5)


def test_damage_the_record_cannot_see_is_refused(model):
    "Garbage written with the recorded size and time: ONNX Runtime cannot load it, and the error says what to do."
    int8_file = export_onnx(model)
    stat = int8_file.stat()
    int8_file.write_bytes(os.urandom(stat.st_size)); os.utime(int8_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    clf = EmotionClassifier(model, backend="onnx")
    with pytest.raises(BadInput, match=r"cannot load .*model\.int8\.onnx .*Fix: delete the folder .*onnx and export "
                                       r"again \(`emotion-nbdev export --model"):
        clf.predictions(["i feel great"])


def test_new_weights_are_exported_again_a_copy_is_not(model, tmp_path, logged):
    export_onnx(model)
    copy = tmp_path/"copy"
    shutil.copytree(model, copy, copy_function=shutil.copyfile)  # same bytes, new times
    assert export_onnx(copy) == copy/"onnx"/INT8_FILE and exports_logged(logged) == 1
    stamp = json.loads((copy/"onnx"/STAMP_FILE).read_text())
    # recorded: no hashing next time
    assert stamp["weights"][0]["mtime_ns"] == (copy/"model.safetensors").stat().st_mtime_ns
    change_weights(model)
    assert "weights changed" in _current_export(model, INT8_FILE, 17)[1]
    export_onnx(model)
    assert exports_logged(logged) == 2 and kept(model) == [STAMP_FILE, INT8_FILE]


def test_fp32_export_is_kept_beside_int8(model):
    export_onnx(model)
    fp32 = export_onnx(model, quantize=False)
    assert kept(model) == [STAMP_FILE, "model.fp32.onnx", INT8_FILE]
    assert export_onnx(model) == model/"onnx"/INT8_FILE and fp32.exists()


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(model, value):
    """A diverged training's weights: a clear error (not onnxruntime's 'scale issue' assertion), and no onnx/ folder
    left."""
    from safetensors.numpy import load_file, save_file
    weights = load_file(model/"model.safetensors")
    name = next(k for k in weights if k.endswith("classifier.weight"))
    weights[name][0, 0] = value
    save_file(weights, model/"model.safetensors", metadata={"format": "pt"})
    with pytest.raises(BadInput, match=r"weights in .* are not finite numbers: 1 tensor\(s\) hold NaN or infinity "
                                       rf"\({name}\).*"
                                       r"Fix: train it again with a lower learning rate \(e\.g\. "
                                       r"learning_rate=2e-05\)"):
        export_onnx(model)
    assert not (model/"onnx").exists()
    exe = shutil.which("emotion-nbdev", path=str(Path(sys.executable).parent))
    proc = subprocess.run([exe, "predict", "--model", str(model), "--backend", "onnx", "i feel great"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "are not finite numbers" in proc.stderr, proc.stderr
    assert "--learning-rate 2e-05" in proc.stderr, proc.stderr


def test_sharded_weights(model, tmp_path):
    from transformers import AutoModelForSequenceClassification
    sharded = tmp_path/"sharded"
    shutil.copytree(model, sharded, ignore=shutil.ignore_patterns("model.safetensors"))
    AutoModelForSequenceClassification.from_pretrained(model).save_pretrained(sharded, max_shard_size="1MB")
    files = weight_files(sharded)
    assert files[0].name == "model.safetensors.index.json" and len(files) > 2 and all(f.suffix == ".safetensors"
                                                                                      for f in files[1:])
    assert export_onnx(sharded) == sharded/"onnx"/INT8_FILE
    assert _current_export(sharded, INT8_FILE, 17)[0] == sharded/"onnx"/INT8_FILE
    assert [w["name"] for w in json.loads((sharded/"onnx"/STAMP_FILE).read_text())["weights"]] == [f.name
        for f in files]
    with open(files[-1], "r+b") as f: f.seek(-4, 2); f.write(b"\x00\x00\x80\x3f")
    assert "weights changed" in _current_export(sharded, INT8_FILE, 17)[1]
    files[1].unlink()
    with pytest.raises(NotFound, match=rf"lists {files[1].name}, not in the folder\. Fix: copy every shard with the "
                                       r"index"):
        weight_files(sharded)


@pytest.mark.slow
def test_concurrent_exports_export_once(model):
    "Two processes export the same folder at once: one exports, the other waits and uses its export."
    exe = shutil.which("emotion-nbdev", path=str(Path(sys.executable).parent))
    procs = [subprocess.Popen([exe, "export", "--model", str(model)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert sum(err.count("exporting ") for _, err in outs) == 1, outs
    assert kept(model) == [STAMP_FILE, INT8_FILE] and _current_export(model, INT8_FILE, 17)[0] is not None


def test_runs_without_linux_only_calls(model, monkeypatch):
    "As on macOS and Windows: no os.sched_getaffinity (nor Python 3.13's os.process_cpu_count)."
    export_onnx(model)
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    assert cpu_count() == os.cpu_count()
    clf = EmotionClassifier(model, backend="onnx")
    assert clf.backend.workers == os.cpu_count()
    found = clf.predictions(TEXTS * 20)  # several batches, run side by side
    assert found["truncated"].sum() == 20 and None not in found["label"]


@pytest.mark.parametrize("threads", [0, -1, 1.5])
def test_bad_thread_count(model, threads):
    with pytest.raises(BadInput, match=r"threads=.*: give a number of threads of 1 or more\.") as raised:
        OnnxBackend(model/"onnx"/INT8_FILE, threads)
    assert raised.value.options == ["threads"]
