("Issue #21, 'Nothing silent': outputs, locks, resume records, late failures, numbers and streams (library and command "
 "line).")
import csv, errno, io, json, os, re, shutil, socket, subprocess, sys, threading, time
from pathlib import Path

import pytest
from transformers import TrainerCallback

from emotion_nbdev.cli import main
from emotion_nbdev.data import load_emotions
from emotion_nbdev.inference import EmotionClassifier
from emotion_nbdev.outputs import DiskFull, InUse, output_lock, write_atomic
from emotion_nbdev.predict_files import predict_file
from emotion_nbdev.errors import BadInput, UserError
from emotion_nbdev.runs import RUN_MARKER
from emotion_nbdev.training import train_classifier

from conftest import synthetic_lines

posix_only = pytest.mark.skipif(os.name == "nt", reason="named pipes and symbolic links as on Linux and macOS")


def one_error_line(capsys, command: str) -> str:
    "The one line of stderr the command printed for its error (logs and progress bars aside); never a traceback."
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [l for l in err.splitlines() if l.startswith(f"emotion-nbdev {command}")]
    assert len(lines) == 1, err
    return lines[0]


def texts_file(folder: Path, n: int = 30, name: str = "in.txt") -> Path:
    path = folder/name
    path.write_text("".join(f"i feel so happy today number {i}\n" for i in range(n)))
    return path


def rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f: return list(csv.reader(f))


def interrupt_predictions(monkeypatch, after_calls: int):
    "Ctrl-C during the classification of chunk `after_calls + 1`."
    real, calls = EmotionClassifier.predictions, []
    def predictions(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > after_calls: raise KeyboardInterrupt
        return real(self, *args, **kwargs)
    monkeypatch.setattr(EmotionClassifier, "predictions", predictions)


# 1. Only regular files are ever replaced
# --------------------------------------------------------------------------------

def read_fifo(path: Path, into: list):
    thread = threading.Thread(target=lambda: into.append(path.read_text()), daemon=True)
    thread.start()
    return thread


@posix_only
def test_named_pipe_output_is_written_through_never_replaced(trained_tiny, tmp_path, capsys):
    source, fifo = texts_file(tmp_path, 5), tmp_path/"out.fifo"
    os.mkfifo(fifo)
    for overwrite in (False, True):  # nothing is replaced, so --overwrite changes nothing
        got = []; reader = read_fifo(fifo, got)
        predict_file(source, fifo, model_dir=trained_tiny, overwrite=overwrite, progress=False)
        reader.join(10)
        assert fifo.is_fifo() and got and got[0].splitlines()[0].startswith("text,label,score")
        assert len(got[0].splitlines()) == 6
    got = []; reader = read_fifo(fifo, got)
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(fifo),
                 "--overwrite"]) == 0
    reader.join(10)
    assert fifo.is_fifo() and len(got[0].splitlines()) == 6
    got = []; reader = read_fifo(fifo, got)  # texts given as arguments go through the same rule
    assert main(["predict", "--model", str(trained_tiny), "i am happy", "--output", str(fifo), "--overwrite"]) == 0
    reader.join(10)
    assert fifo.is_fifo() and len(got[0].splitlines()) == 2
    # no partial, record or lock beside it
    assert not [p for p in tmp_path.iterdir() if p.name not in ("in.txt", "out.fifo")]


@posix_only
def test_write_atomic_writes_a_pipe_through_and_a_link_s_target(tmp_path):
    fifo, target, link = tmp_path/"p.fifo", tmp_path/"target.csv", tmp_path/"link.csv"
    os.mkfifo(fifo); got = []; reader = read_fifo(fifo, got)
    write_atomic(fifo, "through\n"); reader.join(10)
    assert fifo.is_fifo() and got == ["through\n"]
    target.write_text("old"); link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


@posix_only
def test_symlink_output_writes_its_target_and_keeps_the_link(trained_tiny, tmp_path, capsys):
    source, elsewhere = texts_file(tmp_path, 4), tmp_path/"elsewhere"
    elsewhere.mkdir(); target = elsewhere/"real.csv"; target.write_text("old\n")
    link = tmp_path/"out.csv"; link.symlink_to(target)
    predict_file(source, link, model_dir=trained_tiny, overwrite=True, progress=False)
    assert link.is_symlink() and len(rows_of(target)) == 5
    target.write_text("old\n")
    assert main(["predict", "--model", str(trained_tiny), "i am sad", "--output", str(link), "--overwrite"]) == 0
    assert link.is_symlink() and len(rows_of(target)) == 2


# 2. One writer per output at a time
# -------------------------------------------------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from emotion_nbdev.outputs import output_lock
with output_lock(Path(sys.argv[1]), "output", inside=sys.argv[2] == "inside"):
    print("locked", flush=True); time.sleep(120)
"""


@pytest.fixture
def holder():
    "Another process that holds the lock on an output until the test ends."
    procs = []
    def hold(target: Path, inside: bool = False):
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(target), "inside" if inside else "beside"],
                                stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc
    yield hold
    for proc in procs: proc.kill(); proc.wait()


def test_second_predict_run_is_refused_naming_the_first(trained_tiny, tmp_path, holder, capsys):
    source, out = texts_file(tmp_path), tmp_path/"out.csv"
    first = holder(out)
    with pytest.raises(InUse, match=rf"being written by another run \(pid {first.pid} on "
                                    rf"{re.escape(socket.gethostname())}, started .*\)\. Fix: wait"):
        predict_file(source, out, model_dir=trained_tiny, progress=False)
    assert not out.exists() and not out.with_name("out.csv.partial").exists()
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out), "--resume"]) == 2
    assert f"pid {first.pid}" in one_error_line(capsys, "predict")
    assert main(["predict", "--model", str(trained_tiny), "hello", "--output", str(out)]) == 2  # texts as arguments too
    assert "being written by another run" in one_error_line(capsys, "predict")


def test_lock_of_a_dead_run_is_taken_over(trained_tiny, tmp_path, logged):
    source, out = texts_file(tmp_path), tmp_path/"out.csv"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    (tmp_path/"out.csv.lock").write_text(json.dumps(dict(pid=int(dead), host=socket.gethostname(), started="earlier",
                                                         command="x")))
    predict_file(source, out, model_dir=trained_tiny, progress=False)
    assert len(rows_of(out)) == 31 and not (tmp_path/"out.csv.lock").exists()
    assert any("taking over the lock" in m and f"pid {dead}" in m for m in logged)


def test_second_training_run_is_refused_before_any_work(carer_dir, tiny_model_dir, tmp_path, holder, capsys):
    out = tmp_path/"run"; out.mkdir()
    first = holder(out, inside=True)
    with pytest.raises(InUse, match=f"pid {first.pid}"):
        train_classifier(load_emotions(carer_dir), str(tiny_model_dir), out, epochs=1, batch_size=16, disable_tqdm=True)
    assert sorted(p.name for p in out.iterdir()) == ["emotion_nbdev_run.lock"]  # nothing written
    assert main(["train", "--data", str(carer_dir), "--checkpoint", str(tiny_model_dir), "--output-dir", str(out),
                 "--epochs", "1"]) == 2
    assert "being written by another run" in one_error_line(capsys, "train")


# 3. Every record a resume trusts carries what it depends on
# --------------------------------------------------------------

@pytest.fixture
def reordered(trained_tiny, tmp_path):
    "The same weights with the labels in another order: another model, as far as its columns go."
    other = tmp_path/"reordered"
    shutil.copytree(trained_tiny, other)
    config = json.loads((other/"config.json").read_text())
    names = [config["id2label"][str(i)] for i in range(len(config["id2label"]))][::-1]
    config["id2label"], config["label2id"] = {str(i): n for i, n in enumerate(names)}, {n: i
                                                                                        for i, n in enumerate(names)}
    (other/"config.json").write_text(json.dumps(config))
    return other


def test_predict_resume_with_another_model_is_refused(trained_tiny, reordered, tmp_path, monkeypatch, capsys):
    source, out = texts_file(tmp_path), tmp_path/"out.csv"
    interrupt_predictions(monkeypatch, after_calls=1)
    with pytest.raises(KeyboardInterrupt):
        predict_file(source, out, model_dir=trained_tiny, chunk_size=10, progress=False)
    monkeypatch.undo()
    with pytest.raises(BadInput, match=r"Cannot resume .*out\.csv\.partial: it was started with") as raised:
        predict_file(source, out, model_dir=reordered, resume=True, chunk_size=10, progress=False)
    assert raised.value.options == ["model_dir", "overwrite"]  # what changed, and the fix
    assert main(["predict", "--model", str(reordered), "--file", str(source), "--output", str(out), "--resume"]) == 2
    line = one_error_line(capsys, "predict")
    assert f"--model {trained_tiny.resolve()}" in line and "--overwrite to start again" in line
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out), "--resume",
                 "--backend", "onnx"]) == 2
    assert "--backend torch (now 'onnx')" in one_error_line(capsys, "predict")
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out), "--resume"]) == 0
    rows = rows_of(out)
    assert len(rows) == 31 and len({r[0] for r in rows[1:]}) == 30 and {len(r) for r in rows} == {len(rows[0])}


def test_predict_resume_with_another_input_is_refused(trained_tiny, tmp_path, monkeypatch):
    source, out = texts_file(tmp_path), tmp_path/"out.csv"
    interrupt_predictions(monkeypatch, after_calls=1)
    with pytest.raises(KeyboardInterrupt):
        predict_file(source, out, model_dir=trained_tiny, chunk_size=10, progress=False)
    monkeypatch.undo()
    texts_file(tmp_path, 40)
    with pytest.raises(BadInput, match="it was started with the input .* as it was then"):
        predict_file(source, out, model_dir=trained_tiny, resume=True, progress=False)
    predict_file(source, out, model_dir=trained_tiny, resume=True, overwrite=True, progress=False)  # both: starts again
    assert len(rows_of(out)) == 41


def test_interrupted_overwrite_run_resumes_with_resume_alone(trained_tiny, tmp_path, monkeypatch, capsys):
    source, out = texts_file(tmp_path), tmp_path/"out.csv"
    out.write_text("an earlier result\n")
    interrupt_predictions(monkeypatch, after_calls=0)  # Ctrl-C before the first chunk is written
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out),
                 "--overwrite"]) == 130
    assert "interrupted; --resume continues where it stopped" in one_error_line(capsys, "predict")
    monkeypatch.undo()
    assert out.read_text() == "an earlier result\n"  # replaced only once the new one is whole
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out)]) == 2
    assert "holds an interrupted run (0 rows done). Fix: --resume to continue it" in one_error_line(capsys, "predict")
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out), "--resume"]) == 0
    assert len(rows_of(out)) == 31


class StopAt(TrainerCallback):
    "Ctrl-C at a training step."
    def __init__(self, step): self.step = step
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step: raise KeyboardInterrupt


@pytest.mark.slow
def test_train_resume_checks_data_and_recipe(carer_dir, tiny_model_dir, trained_tiny, tmp_path, capsys):
    out = tmp_path/"run"
    shutil.copytree(trained_tiny, out)  # a finished run of ours, then an --overwrite run of it stopped at step 7 of 12
    run = dict(checkpoint=str(tiny_model_dir), output_dir=out, epochs=2, batch_size=16, learning_rate=1e-3,
               disable_tqdm=True)
    with pytest.raises(KeyboardInterrupt):
        train_classifier(load_emotions(carer_dir), overwrite=True, callbacks=[StopAt(7)], **run)
    other = tmp_path/"other"; other.mkdir()
    for name, n, offset in (("train.txt", 16, 7), ("val.txt", 4, 107), ("test.txt", 4, 207)):
        (other/name).write_text("\n".join(synthetic_lines(n, offset)) + "\n")
    with pytest.raises(BadInput, match=r"Cannot resume .*: it was started with other data .*Fix: run again with those "
                                       r"settings"):
        train_classifier(load_emotions(other), resume=True, **run)
    with pytest.raises(BadInput, match=r"it was started with epochs=2 \(now 3\)"):
        train_classifier(load_emotions(carer_dir), resume=True, **{**run, "epochs": 3})
    binary = tmp_path/"binary.csv"
    binary.write_text("text,label\n" + "".join(f"i feel so {w} {i},{w}\n" for i in range(20) for w in ("happy", "sad")))
    with pytest.raises(BadInput, match=r"it was started with other data .*; the labels \['sadness'"):
        train_classifier(load_emotions(binary), resume=True, **run)
    cli = ["train", "--data", str(carer_dir), "--checkpoint", str(tiny_model_dir), "--output-dir", str(out),
           "--batch-size", "16",
           "--learning-rate", "1e-3", "--resume"]
    assert main(cli + ["--epochs", "3"]) == 2
    assert "--epochs 2 (now 3)" in one_error_line(capsys, "train")
    assert json.loads((out/RUN_MARKER).read_text())["state"] == "running" and (out/"checkpoint-6").is_dir()
    # the interrupted --overwrite run, continued
    metrics = train_classifier(load_emotions(carer_dir), resume=True, **run)
    assert Path(metrics["resumed_from"]).name == "checkpoint-6" and [h["epoch"] for h in metrics["history"]] == [1.0,
        2.0]
    assert json.loads((out/"metrics.json").read_text())["recipe"]["epochs"] == 2 and not list(out.glob("checkpoint-*"))
    with pytest.raises(BadInput, match="holds a finished run: nothing to resume. Fix: overwrite=True"):
        train_classifier(load_emotions(carer_dir), resume=True, **run)


# 4. A run that fails late keeps what it finished; a full disk says so
# ----------------------------------------------------

def test_late_malformed_row_keeps_the_rows_before_it(trained_tiny, tmp_path, capsys):
    source, out = tmp_path/"in.jsonl", tmp_path/"out.csv"
    lines = [json.dumps({"id": i, "text": f"i feel fine {i}"}) for i in range(40)]
    source.write_text("\n".join(lines[:25] + ["{not json"] + lines[25:]) + "\n")
    with pytest.raises(BadInput, match=r"line 26: not valid JSON .*The 25 predictions before it are kept in "
                                       r".*out\.csv\.partial"):
        predict_file(source, out, model_dir=trained_tiny, chunk_size=10, progress=False)
    assert len(rows_of(tmp_path/"out.csv.partial")) == 26 and (tmp_path/"out.csv.partial.json").exists()
    cli = ["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out)]
    assert main(cli + ["--resume"]) == 2
    assert "--resume continues from there (with --skip-bad-rows, past such rows)" in one_error_line(capsys, "predict")
    assert main(cli + ["--resume", "--skip-bad-rows"]) == 0
    rows = rows_of(out)
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(40)]  # every good row once, in order


def test_late_undecodable_line_keeps_the_rows_before_it(trained_tiny, tmp_path, capsys):
    source, out = tmp_path/"in.txt", tmp_path/"out.csv"
    source.write_bytes(b"".join(f"i feel fine {i}\n".encode() for i in range(25)) + b"caf\xe9 au lait\n" +
                       b"".join(f"i feel fine {i}\n".encode() for i in range(25, 40)))
    cli = ["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out)]
    assert main(cli) == 2
    line = one_error_line(capsys, "predict")
    assert "line 26" in line and "UTF-8" in line and "kept" in line
    assert (tmp_path/"out.csv.partial").exists()
    assert main(cli + ["--resume", "--skip-bad-rows"]) == 0  # needs the reader to yield such a line as a bad row
    assert [r[0] for r in rows_of(out)[1:]] == [f"i feel fine {i}" for i in range(40)]


def full_disk_at(monkeypatch, call: int):
    "A disk that fills up at the `call`-th fsync (of the partial file or of a record's temporary file)."
    real, synced = os.fsync, []
    def fsync(fd):
        synced.append(fd)
        if len(synced) == call: raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)
    monkeypatch.setattr(os, "fsync", fsync)


def test_full_disk_while_predicting_keeps_a_resumable_partial(trained_tiny, tmp_path, monkeypatch, capsys):
    source, out = texts_file(tmp_path, 50), tmp_path/"out.csv"
    full_disk_at(monkeypatch, 6)  # header, record, chunk 1, record, chunk 2, its record: full
    with pytest.raises(DiskFull, match=r"No space left for .*out\.csv\.partial .*The 10 predictions written are kept "
                                       r".* Fix: free some space, then resume=True"):
        predict_file(source, out, model_dir=trained_tiny, chunk_size=10, progress=False)
    assert len(rows_of(tmp_path/"out.csv.partial")) == 11  # cut back to what the record says
    assert json.loads((tmp_path/"out.csv.partial.json").read_text())["rows_written"] == 10
    monkeypatch.undo()
    full_disk_at(monkeypatch, 1)  # the next chunk itself
    cli = ["predict", "--model", str(trained_tiny), "--file", str(source), "--output", str(out), "--resume"]
    assert main(cli) == 2
    line = one_error_line(capsys, "predict")
    assert "No space left" in line and "--resume continues from there" in line and "Errno" not in line
    monkeypatch.undo()
    assert main(cli) == 0
    assert [r[0] for r in rows_of(out)[1:]] == [f"i feel so happy today number {i}" for i in range(50)]


def test_write_atomic_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    (tmp_path/"a.json").write_text("old")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(DiskFull, match=r"a\.json is unchanged\. Fix: free some space"):
        write_atomic(tmp_path/"a.json", "new")
    assert (tmp_path/"a.json").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["a.json"]


@pytest.mark.slow
def test_full_disk_while_saving_the_model_then_resume(carer_dir, tiny_model_dir, tmp_path, monkeypatch, capsys):
    import emotion_nbdev.runs as runs
    out = tmp_path/"run"
    full = OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(runs, "_save_model", lambda *a: (_ for _ in ()).throw(full))
    cli = ["train", "--data", str(carer_dir), "--checkpoint", str(tiny_model_dir), "--output-dir", str(out),
           "--epochs", "1", "--batch-size", "16", "--learning-rate", "1e-3"]
    assert main(cli) == 2
    line = one_error_line(capsys, "train")
    assert "No space left" in line and "saving the final model" in line and "--resume" in line
    assert (out/"checkpoint-6").is_dir() and not (out/"metrics.json").exists()
    monkeypatch.undo()
    assert main(cli + ["--resume"]) == 0
    assert (out/"metrics.json").exists() and (out/"model.safetensors").exists() and not list(out.glob("checkpoint-*"))


# 5. Numbers checked where they enter
# ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_diverging_training_stops_and_saves_nothing_final(carer_dir, tiny_model_dir, tmp_path, capsys):
    out = tmp_path/"run"
    with pytest.raises(BadInput, match=r"Training diverged: the training loss became nan at step "
                                       r"\d+.*learning_rate=1e\+09.*Fix: a smaller"):
        train_classifier(load_emotions(carer_dir), str(tiny_model_dir), out, epochs=1, batch_size=16, learning_rate=1e9,
                         disable_tqdm=True)
    assert not (out/"model.safetensors").exists() and not (out/"metrics.json").exists()
    assert main(["train", "--data", str(carer_dir), "--checkpoint", str(tiny_model_dir), "--output-dir",
                 str(tmp_path/"cli"),
                 "--epochs", "1", "--batch-size", "16", "--learning-rate", "1e9"]) == 2
    assert "--learning-rate" in one_error_line(capsys, "train")
    assert not (tmp_path/"cli"/"model.safetensors").exists()


@pytest.mark.parametrize("setting, message", [
    (dict(epochs=float("inf")), "epochs=inf: give a finite number above 0"),
    (dict(epochs=0), "epochs=0: give a finite number above 0"),
    (dict(learning_rate=float("nan")), "learning_rate=nan"),
    (dict(learning_rate=-1e-4), "learning_rate=-0.0001"),
    (dict(batch_size=0), "batch_size=0: give a whole number above 0"),
    (dict(batch_size=2.5), "batch_size=2.5: give a whole number"),
    (dict(warmup=1.5), "warmup=1.5: give a finite number of at least 0 and below 1"),
    (dict(seed=-1), "seed=-1: give a whole number of at least 0"),
    (dict(max_length=0), "max_length=0"),
    (dict(max_length=100_000), "max_length=100000: the model reads 3 to"),
    (dict(rows={"train": 0}), "rows['train']=0"),
])
def test_training_numbers_are_checked_where_they_enter(carer_dir, tiny_model_dir, tmp_path, setting, message):
    with pytest.raises(BadInput, match=message.replace("[", r"\[").replace("(", r"\(").replace("+", r"\+")):
        train_classifier(load_emotions(carer_dir), str(tiny_model_dir), tmp_path/"run", **setting)
    assert not (tmp_path/"run").exists()


@pytest.mark.parametrize("flags", [["--epochs", "inf"], ["--epochs", "nan"], ["--epochs", "0"],
                                   ["--learning-rate", "-1"],
                                   ["--batch-size", "0"], ["--batch-size", "1e3"], ["--max-length", "-5"],
                                   ["--seed", "-1"]])
def test_cli_number_errors_are_one_line(flags, capsys):
    assert main(["train", *flags]) == 2
    line = one_error_line(capsys, "train")
    assert f"argument {flags[0]}" in line and "Fix: see `emotion-nbdev train --help`" in line


@pytest.mark.parametrize("setting, message", [
    (dict(chunk_size=0), "chunk_size=0: give a whole number of at least 1"),
    (dict(batch_size=0), "batch_size=0"), (dict(batch_size=-3), "batch_size=-3"), (dict(max_length=0), "max_length=0"),
    (dict(errors="ignore"), "errors='ignore'"), (dict(backend="tpu"), "backend='tpu'"),
])
def test_predict_numbers_are_checked_where_they_enter(trained_tiny, tmp_path, setting, message):
    source = texts_file(tmp_path, 3)
    with pytest.raises(BadInput, match=message):
        predict_file(source, tmp_path/"out.csv", model_dir=trained_tiny, progress=False, **setting)
    assert [p.name for p in tmp_path.iterdir()] == ["in.txt"]


# 6. Unix habits
# ----------------------------------------------------------------------------------------------------------

def test_file_dash_reads_standard_input(trained_tiny, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"i am so happy\ni am so sad\n")))
    assert main(["predict", "--model", str(trained_tiny), "--file", "-"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["text", "label", "score"] and [r[0] for r in rows[1:]] == ["i am so happy", "i am so sad"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"id;tweet\n1;i am so happy\n2;i am so sad\n")))
    assert main(["predict", "--model", str(trained_tiny), "--file", "-", "--text-col", "tweet"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["id", "tweet", "label"] and [r[0] for r in rows[1:]] == ["1", "2"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"text": "i am so happy"}\n{"text": 3\n')))
    assert main(["predict", "--model", str(trained_tiny), "--file", "-"]) == 2
    assert "<stdin>, line 2: not valid JSON" in one_error_line(capsys, "predict")


@posix_only
def test_a_named_pipe_is_read_like_standard_input(trained_tiny, tmp_path):
    """`--file <(zcat tweets.txt.gz)` gives a pipe: it is read whole (its name tells its format), never taken for a
    missing file."""
    fifo, out = tmp_path/"tweets.csv", tmp_path/"out.csv"
    os.mkfifo(fifo)
    threading.Thread(target=lambda: fifo.write_text("id,text\n1,i am so happy\n2,i am so sad\n"), daemon=True).start()
    predict_file(fifo, out, model_dir=trained_tiny, progress=False)
    assert [r[0] for r in rows_of(out)] == ["id", "1", "2"]


def test_output_dash_writes_only_the_csv_to_standard_output(trained_tiny, tmp_path, monkeypatch, capsys, logged):
    monkeypatch.chdir(tmp_path)
    source = texts_file(tmp_path, 7)
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", "-"]) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out)))
    assert len(rows) == 8 and rows[0][0] == "text" and "Classifying" in captured.err  # the progress bar: on stderr
    assert any(m.startswith("wrote 7 predictions to standard output") for m in logged)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]  # no file named '-', no partial
    assert main(["predict", "--model", str(trained_tiny), "i am so happy", "--output", "-"]) == 0
    assert list(csv.reader(io.StringIO(capsys.readouterr().out)))[1][0] == "i am so happy"
    assert main(["predict", "--model", str(trained_tiny), "--file", str(source), "--output", "-", "--resume"]) == 2
    assert "nothing to resume" in one_error_line(capsys, "predict")
    assert main(["predict", "--model", str(trained_tiny), "i am so happy", "--resume"]) == 2
    assert "nothing to resume" in one_error_line(capsys, "predict")


# The command line: the user's problems exit 2, bugs exit 1
# --------------------------------------------------------------

def test_a_defect_reads_as_a_bug_not_as_bad_input(monkeypatch, capsys):
    import emotion_nbdev.cli as cli
    for error in (KeyError("label"), TypeError("unsupported operand"), RuntimeError("size mismatch"),
                  ValueError("bad value")):
        monkeypatch.setattr(cli, "data_report", lambda *a, error=error, **k: (_ for _ in ()).throw(error))
        assert main(["data"]) == 1
        line = one_error_line(capsys, "data")
        assert type(error).__name__ in line and "This is a bug: please report it" in line and ("emotion-nbdev --debug "
                                                                                               "data") in line
    for error in (BadInput("bad row. Fix: this."), PermissionError(13, "Permission denied", "x.csv")):
        monkeypatch.setattr(cli, "data_report", lambda *a, error=error, **k: (_ for _ in ()).throw(error))
        assert main(["data"]) == 2
        assert "This is a bug" not in one_error_line(capsys, "data")
