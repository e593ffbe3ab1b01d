"""Users' own files, end to end from the CLI and the library: each finding of a new user's probe,
checked by the message it gets or the files it leaves behind."""
import json, os, re, shutil, subprocess, sys, time
from pathlib import Path

import pandas as pd
import pytest
from datasets import ClassLabel, Dataset, DatasetDict

from emotion_nbdev.cli import main
from emotion_nbdev.data import load_emotions
from emotion_nbdev.files import table_rows
from emotion_nbdev.runs import RUN_MARKER
from emotion_nbdev.training import train_classifier
from emotion_nbdev.inference import EmotionClassifier, predict
from emotion_nbdev.predict_files import predict_file

EXE = Path(sys.executable).parent/"emotion-nbdev"
TRAIN = ["--epochs", "1", "--batch-size", "16", "--learning-rate", "1e-3"]


def cli(*args, cwd=None, env=None):
    "Run the installed command; (exit status, stdout, stderr)."
    proc = subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def run_main(capsys, *args):
    "Run `main` in this process; (exit status, stdout, stderr). Bad flags end in argparse's exit 2."
    try: code = main(list(map(str, args)))
    except SystemExit as e: code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    "A binary-sentiment CSV with its own column names and a ';' delimiter, texts holding commas."
    folder = tmp_path_factory.mktemp("reviews")
    rows = [f"{'great, lovely' if i % 2 else 'awful, dull'} film number "
            f"{i};{'pos' if i % 2 else 'neg'};{i}" for i in range(80)]
    (folder/"reviews.csv").write_text("review;sentiment;id\n" + "\n".join(rows) + "\n")
    return folder/"reviews.csv"


# ---- own data through the CLI: train -> evaluate -> predict ----

@pytest.mark.slow
def test_own_csv_train_evaluate_predict_from_the_cli(reviews, tiny_model_dir, tmp_path):
    own = ["--data", reviews, "--text-col", "review", "--label-col", "sentiment"]
    code, out, err = cli("data", *own)
    assert code == 0 and "neg" in out and "pos" in out and "total" in out, err
    model = tmp_path/"model"
    code, out, err = cli("train", *own, "--checkpoint", tiny_model_dir, "--output-dir", model, *TRAIN)
    assert code == 0, err
    assert "8 rows carved out of train" in out and "no test split" in out and "Traceback" not in err
    metrics = json.loads((model/"metrics.json").read_text())
    assert metrics["validation_from_train"] == dict(fraction=0.1, seed=42, stratified=True, rows=8)
    assert "test" not in metrics and metrics["rows_used"] == {"train": 72, "validation": 8}
    assert "carved out of the training data" in (model/"README.md").read_text()
    assert json.loads((model/"config.json").read_text())["id2label"] == {"0": "neg", "1": "pos"}
    code, out, err = cli("evaluate", "--model", model, *own)
    assert code == 0 and out.startswith("reviews.csv: 80 examples, accuracy"), err
    code, out, err = cli("predict", "--model", model, "--file", reviews, "--text-col", "review")
    assert code == 0, err
    written = pd.read_csv(reviews.with_name("reviews.csv.predictions.csv"))
    assert written.columns[:3].tolist() == ["review", "sentiment", "id"] and len(written) == 80
    assert written["id"].tolist() == list(range(80)) and set(written["label"]) <= {"neg", "pos"}


def test_cli_errors_name_flags_not_keyword_arguments(reviews):
    code, _, err = cli("data", "--data", reviews)
    assert code == 2 and "Fix: name the column with --text-col <column>" in err and "text_col=" not in err
    code, _, err = cli("data", "--data", reviews, "--text-col", "review", "--label-col", "sentiment", "--label-names",
                       "neg")
    assert code == 2 and "two or more names" in err


def test_label_names_order_the_ids(reviews):
    dd = load_emotions(reviews, text_col="review", label_col="sentiment", label_names=["pos", "neg"])
    assert dd["train"].features["label"].names == ["pos", "neg"]


def test_evaluate_accepts_a_subset_of_the_model_labels(trained_tiny, tmp_path, capsys):
    (tmp_path/"joy_sad.csv").write_text("text,label\ni feel so happy today,joy\ni feel so sad today,sadness\nso "
                                        "glad,joy\nso lonely,sadness\n")
    code, out, err = run_main(capsys, "evaluate", "--model", trained_tiny, "--data", tmp_path/"joy_sad.csv")
    assert code == 0 and out.startswith("joy_sad.csv: 4 examples"), err
    (tmp_path/"other.csv").write_text("text,label\ni am bored,boredom\ni am happy,joy\n")
    code, _, err = run_main(capsys, "evaluate", "--model", trained_tiny, "--data", tmp_path/"other.csv")
    assert code == 2 and "labels the model was not trained on: ['boredom']" in err


# ---- files read right ----

def test_one_column_csv(tmp_path, trained_tiny, capsys):
    (tmp_path/"tweets.csv").write_text("text\ni love this\nwhat, really, no way\n12345\n\"quoted, with comma\"\n")
    columns, rows = table_rows(tmp_path/"tweets.csv")
    assert columns == ["text"]
    assert [r["text"] for _, r, _ in rows] == ["i love this", "what, really, no way", "12345", "quoted, with comma"]
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "--file", tmp_path/"tweets.csv")
    assert code == 0, err
    written = pd.read_csv(tmp_path/"tweets.csv.predictions.csv", dtype={"text": str})
    assert written["text"].tolist()[2] == "12345" and written["status"].eq("ok").all()
    code, _, err = run_main(capsys, "data", "--data", tmp_path/"tweets.csv")
    assert code == 2 and "no label column 'label'" in err and "Expected" not in err


def test_delimiter_is_one_of_four_or_given(tmp_path):
    (tmp_path/"pipe.csv").write_text("text|label\nhappy, so happy|joy\n")
    assert table_rows(tmp_path/"pipe.csv")[0] == ["text", "label"]
    (tmp_path/"letter.csv").write_text("textqlabel\nhappyqjoy\n")  # a letter is never a delimiter
    assert table_rows(tmp_path/"letter.csv")[0] == ["textqlabel"]
    assert table_rows(tmp_path/"letter.csv", delimiter="q")[0] == ["text", "label"]
    with pytest.raises(ValueError, match="give one character"):
        table_rows(tmp_path/"pipe.csv", delimiter="||")


def test_row_with_an_unquoted_comma_names_its_real_line(tmp_path, logged):
    (tmp_path/"d.csv").write_text("id,text,label\n1,fine,joy\n\n2,bad, row,sadness\n3,\"ok, quoted\",anger\n")
    with pytest.raises(ValueError, match=r"d\.csv, line 4: 4 fields where the header has 3.*Fix: put a text that "
                                         r"holds"):
        load_emotions(tmp_path/"d.csv")
    dd = load_emotions(tmp_path/"d.csv", errors="skip")
    assert dd["train"]["text"] == ["fine", "ok, quoted"]  # the good rows whole, in their own columns
    assert any("skipped 1 bad row(s): line 4 (4 fields" in m for m in logged)


def test_skipped_rows_in_predict_are_counted(tmp_path, trained_tiny, logged):
    (tmp_path/"p.csv").write_text("id,text\n1,fine\n2,bad, row\n3,good\n")
    clf = EmotionClassifier(trained_tiny)
    with pytest.raises(ValueError, match=r"line 3: 3 fields where the header has 2.*errors='skip'"):
        predict_file(tmp_path/"p.csv", classifier=clf, progress=False)
    # nothing half-written under the final name; the rows before are kept
    assert not (tmp_path/"p.csv.predictions.csv").exists()
    out = pd.read_csv(predict_file(tmp_path/"p.csv", classifier=clf, errors="skip", resume=True, progress=False))
    assert out["id"].tolist() == [1, 3]
    assert any("skipped 1 malformed row(s): line 3" in m for m in logged)


def test_texts_are_strings_even_when_numbers(tmp_path):
    (tmp_path/"n.csv").write_text("text,label\n42,joy\n3.10,sadness\n007,joy\n")
    assert load_emotions(tmp_path/"n.csv")["train"]["text"] == ["42", "3.10", "007"]
    (tmp_path/"n.jsonl").write_text('{"text": 42, "label": "joy"}\n{"text": 3.10, "label": "sadness"}\n')
    assert load_emotions(tmp_path/"n.jsonl")["train"]["text"] == ["42", "3.10"]


@pytest.mark.parametrize("name,content,message", [
    ("latin1.csv", "text\ncaf\xe9 blues\n".encode("latin1"), r"latin1\.csv, line 2: not valid UTF-8"),
    ("bad.jsonl", '{"text": "ok"}\n{"text": broken\n', r"bad\.jsonl, line 2: not valid JSON"),
    ("empty.csv", "", r"is empty"),
])
def test_predict_file_gets_the_data_messages(tmp_path, trained_tiny, capsys, name, content, message):
    path = tmp_path/name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "--file", path)
    assert code == 2 and re.search(message, err), err


# ---- nothing lost ----

def test_train_never_touches_a_folder_it_did_not_make(carer_dir, tiny_model_dir, tmp_path, capsys):
    folder = tmp_path/"mine"; (folder/"checkpoint-7").mkdir(parents=True)
    (folder/"README.md").write_text("my notes"); (folder/"config.json").write_text("{}")
    before = sorted(p.name for p in folder.rglob("*"))
    code, _, err = run_main(capsys, "train", "--data", carer_dir, "--checkpoint", tiny_model_dir, "--output-dir",
                            folder, *TRAIN)
    assert code == 2 and "no training run of emotion_nbdev wrote" in err
    code, _, err = run_main(capsys, "train", "--data", carer_dir, "--checkpoint", tiny_model_dir, "--output-dir",
                            folder,
                            "--overwrite", *TRAIN)
    assert code == 2  # not even with --overwrite
    assert sorted(p.name for p in folder.rglob("*")) == before and (folder/"README.md").read_text() == "my notes"


def test_replacing_a_trained_model_needs_overwrite(carer_dir, tiny_model_dir, tmp_path, capsys):
    out = tmp_path/"model"
    args = ["train", "--data", carer_dir, "--checkpoint", tiny_model_dir, "--output-dir", out, *TRAIN]
    assert run_main(capsys, *args)[0] == 0
    weights = (out/"model.safetensors").read_bytes()
    code, _, err = run_main(capsys, *args)
    assert code == 2 and "already holds a trained model of ours. Fix: --overwrite" in err
    code, _, err = run_main(capsys, "train", "--data", carer_dir, "--checkpoint", tiny_model_dir, "--output-dir", out,
                            "--epochs", "0")
    assert code == 2 and "--epochs: 0: give a finite number above 0" in err
    assert (out/"model.safetensors").read_bytes() == weights
    (out/"checkpoint-3").mkdir()  # a folder the run record does not list: never removed
    assert run_main(capsys, *args, "--overwrite", "--seed", "1")[0] == 0
    assert (out/"checkpoint-3").is_dir() and json.loads((out/"metrics.json").read_text())["recipe"]["seed"] == 1
    assert json.loads((out/RUN_MARKER).read_text())["checkpoints"] == []


def test_unwritable_output_fails_before_training(carer_dir, tiny_model_dir, tmp_path, capsys):
    (tmp_path/"a_file").write_text("x")
    start = time.perf_counter()
    code, _, err = run_main(capsys, "train", "--data", carer_dir, "--checkpoint", tiny_model_dir,
                            "--output-dir", tmp_path/"a_file"/"model", *TRAIN)
    assert code == 2 and "Cannot write in" in err and "--output-dir" in err
    assert time.perf_counter() - start < 10 and not list(tmp_path.glob("**/checkpoint-*"))


def test_predict_output_rules(trained_tiny, tmp_path, capsys):
    for suffix in ("txt", "csv", "jsonl"):
        (tmp_path/f"x.{suffix}").write_text({"txt": "i am happy\n", "csv": "text\ni am happy\n",
                                             "jsonl": '{"text": "i am happy"}\n'}[suffix])
        assert run_main(capsys, "predict", "--model", trained_tiny, "--file", tmp_path/f"x.{suffix}")[0] == 0
    assert sorted(p.name for p in tmp_path.glob("*.predictions.csv")) == [
        "x.csv.predictions.csv", "x.jsonl.predictions.csv", "x.txt.predictions.csv"]
    source = (tmp_path/"x.csv").read_text()
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "--file", tmp_path/"x.csv", "--output",
                            tmp_path/"x.csv", "--overwrite")
    assert code == 2 and "never overwrite their input" in err and (tmp_path/"x.csv").read_text() == source
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "--file", tmp_path/"x.csv")
    assert code == 2 and "already exists and is left alone. Fix: --overwrite" in err
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "--file", tmp_path/"x.csv", "--output",
                            tmp_path/"no"/"out.csv")
    assert code == 2 and "does not exist" in err and "--output" in err
    (tmp_path/"out.csv").write_text("mine")
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "i am happy", "--output", tmp_path/"out.csv")
    assert code == 2 and (tmp_path/"out.csv").read_text() == "mine"
    assert run_main(capsys, "predict", "--model", trained_tiny, "i am happy", "--output", tmp_path/"out.csv",
                    "--overwrite")[0] == 0
    assert pd.read_csv(tmp_path/"out.csv")["text"].tolist() == ["i am happy"]
    assert not list(tmp_path.glob(".*tmp"))


class StopAfter:
    "A classifier stand-in that stops the process after `n` calls, the way a kill would."
    def __init__(self, classifier, n): self.classifier, self.n, self.label_names = classifier, n, classifier.label_names
    def predictions(self, *args, **kwargs):
        if self.n == 0: raise KeyboardInterrupt
        self.n -= 1
        return self.classifier.predictions(*args, **kwargs)


def test_killed_predict_resumes_without_duplicates_or_gaps(trained_tiny, tmp_path, capsys):
    clf = EmotionClassifier(trained_tiny)
    texts = [f"tweet number {i}, {'happy' if i % 3 else 'sad'}" for i in range(1000)]
    pd.DataFrame({"id": range(1000), "text": texts}).to_csv(tmp_path/"big.csv", index=False)
    whole = pd.read_csv(predict_file(tmp_path/"big.csv", tmp_path/"whole.csv", classifier=clf, chunk_size=64,
                                     progress=False))
    with pytest.raises(KeyboardInterrupt):
        predict_file(tmp_path/"big.csv", tmp_path/"resumed.csv", classifier=StopAfter(clf, 5), chunk_size=64,
                     progress=False)
    assert not (tmp_path/"resumed.csv").exists() and (tmp_path/"resumed.csv.partial").exists()
    with open(tmp_path/"resumed.csv.partial", "a") as f: f.write("7,half a row written when the kill came")
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "--file", tmp_path/"big.csv", "--output",
                            tmp_path/"resumed.csv")
    assert code == 2 and "interrupted run (320 rows done). Fix: --resume" in err
    predict_file(tmp_path/"big.csv", tmp_path/"resumed.csv", classifier=clf, chunk_size=64, resume=True, progress=False)
    resumed = pd.read_csv(tmp_path/"resumed.csv")
    assert resumed["id"].tolist() == list(range(1000))
    pd.testing.assert_frame_equal(resumed, whole)
    assert not list(tmp_path.glob("resumed.csv.partial*"))


# ---- training sanity ----

def test_fast_mode_only_when_asked(carer_dir, tiny_model_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMOTION_FAST", "1")
    out = tmp_path/"full"
    assert run_main(capsys, "train", "--data", carer_dir, "--checkpoint", tiny_model_dir, "--output-dir", out,
                    *TRAIN)[0] == 0
    metrics = json.loads((out/"metrics.json").read_text())
    assert not metrics["subsampled"] and metrics["rows_used"] == {"train": 96, "validation": 24, "test": 24}
    out = tmp_path/"fast"
    code, printed, _ = run_main(capsys, "train", "--data", carer_dir, "--checkpoint", tiny_model_dir, "--output-dir",
                                out, "--fast", *TRAIN)
    assert code == 0 and "SUBSAMPLED" in printed
    metrics = json.loads((out/"metrics.json").read_text())
    assert metrics["subsampled"] and metrics["rows_available"] == {"train": 96, "validation": 24, "test": 24}
    assert "**Subsampled run**" in (out/"README.md").read_text()


def test_one_class_and_missing_classes(tiny_model_dir, tmp_path, logged):
    one = load_emotions([{"text": f"happy {i}", "label": "joy"} for i in range(20)])
    with pytest.raises(ValueError, match="one class only"):
        train_classifier(one, str(tiny_model_dir), tmp_path/"one", epochs=1)
    assert not (tmp_path/"one").exists()
    rows = [{"text": f"{w} {i}", "label": l} for i in range(20) for w, l in (("happy", "joy"), ("sad", "sadness"))]
    some = load_emotions(rows, label_names=["joy", "sadness", "fear"])
    train_classifier(some, str(tiny_model_dir), tmp_path/"some", epochs=1, disable_tqdm=True)
    assert any("no training examples of ['fear']" in m for m in logged)


@pytest.mark.parametrize("setting,message", [(dict(epochs=0), "epochs=0: give a finite number above 0"),
                                             (dict(batch_size=-1), "batch_size=-1: give a whole number above 0"),
                                             (dict(max_length=0), "max_length=0"),
                                             (dict(max_length=5000), "reads 3 to 512 tokens")])
def test_settings_that_cannot_train(carer_dir, tiny_model_dir, tmp_path, setting, message):
    with pytest.raises(ValueError, match=message):
        train_classifier(load_emotions(carer_dir), str(tiny_model_dir), tmp_path/"x", **setting)
    assert not (tmp_path/"x").exists()


# ---- clear errors instead of tracebacks ----

def test_damaged_model_folders(trained_tiny, tiny_model_dir, tmp_path, capsys):
    cut = tmp_path/"cut"; shutil.copytree(trained_tiny, cut)
    with open(cut/"model.safetensors", "r+b") as f: f.truncate(1000)
    bad_config = tmp_path/"bad_config"; shutil.copytree(trained_tiny, bad_config)
    (bad_config/"config.json").write_text("{not json")
    for folder, message in ((cut, "is cut short"), (bad_config, "config.json is not valid JSON"),
                            (tiny_model_dir, "without a classification head")):
        code, _, err = run_main(capsys, "predict", "--model", folder, "i am happy")
        assert code == 2 and message in err, err


def test_no_traceback_from_the_installed_command(trained_tiny, tmp_path):
    cut = tmp_path/"cut"; shutil.copytree(trained_tiny, cut)
    (cut/"model.safetensors").write_bytes((trained_tiny/"model.safetensors").read_bytes()[:5000])
    code, out, err = cli("predict", "--model", cut, "i am happy")
    assert code == 2 and "Traceback" not in err and "cut short" in err


def test_max_length_and_device(trained_tiny):
    with pytest.raises(ValueError, match="reads 3 to 512 tokens"):
        EmotionClassifier(trained_tiny, max_length=4096)
    import torch
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="sees no cuda device"):
            EmotionClassifier(trained_tiny, device="cuda")


def test_predict_none_and_non_texts(trained_tiny):
    for bad in (None, 42):
        with pytest.raises(TypeError, match="not a text or a list of texts"):
            predict(bad, trained_tiny)


def test_hugging_face_datasets_are_accepted():
    ds = Dataset.from_dict({"sentence": ["so happy", "so sad", "glad", "down"], "y": [1, 0, 1, 0]})
    dd = load_emotions(ds, text_col="sentence", label_col="y")
    assert dd["train"]["text"] == ["so happy", "so sad", "glad",
                                   "down"] and dd["train"].features["label"].names == ["0", "1"]
    named = ds.cast_column("y", ClassLabel(names=["neg", "pos"]))
    dd = load_emotions(DatasetDict(train=named, test=named), text_col="sentence", label_col="y")
    assert set(dd) == {"train", "test"} and dd["test"].features["label"].names == ["neg", "pos"]
    with pytest.raises(ValueError, match="split 'validation': no examples"):
        load_emotions(DatasetDict(train=named, validation=named.select([])), text_col="sentence", label_col="y")
    with pytest.raises(ValueError, match=r"no text column 'text' \(its columns: \['sentence', 'y'\]\)"):
        load_emotions(ds, label_col="y")


def test_datadict_without_validation_trains(tiny_model_dir, tmp_path):
    rows = [{"text": f"{w} {i}", "label": l} for i in range(30) for w, l in (("happy", "joy"), ("sad", "sadness"))]
    metrics = train_classifier(load_emotions({"train": rows, "test": rows[:10]}), str(tiny_model_dir), tmp_path/"m",
                               epochs=1, disable_tqdm=True)
    assert metrics["validation_from_train"]["rows"] == 6 and "test" in metrics


# ---- offline at once ----

def test_offline_hub_id_fails_fast(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://127.0.0.1:9")  # nothing listens there: the Hub is unreachable
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="Hugging Face Hub is unreachable"):
        load_emotions("some-user/some-data")
    assert time.perf_counter() - start <= 3


def test_missing_path_is_no_such_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path); (tmp_path/"data").mkdir()
    for source in ("data/emotoin", "./emotion", "~/no/such/folder", "tweets.csv"):
        with pytest.raises(FileNotFoundError, match="no such file or folder"):
            load_emotions(source)


def test_train_classifier_reads_raw_datasets_or_says_why(tiny_model_dir, tmp_path):
    ds = Dataset.from_dict({"sentence": [f"{w} {i}" for i in range(20) for w in ("happy", "sad")], "y": [1, 0] * 20})
    with pytest.raises(ValueError, match=r"no text column 'text' \(its columns: \['sentence', 'y'\]\)"):
        train_classifier(DatasetDict(train=ds), str(tiny_model_dir), tmp_path/"a", epochs=1)
    metrics = train_classifier(DatasetDict(train=ds), str(tiny_model_dir), tmp_path/"b", epochs=1, text_col="sentence",
                               label_col="y", disable_tqdm=True)
    assert metrics["rows_used"] == {"train": 36, "validation": 4}
    with pytest.raises(ValueError, match="split 'validation': no examples. Fix"):
        train_classifier(DatasetDict(train=ds, validation=ds.select([])), str(tiny_model_dir), tmp_path/"c",
                         text_col="sentence", label_col="y")
    with pytest.raises(ValueError, match=r"needs a 'train' split \(the data has \['test'\]\)"):
        train_classifier({"test": [{"text": "a", "label": "x"}]}, str(tiny_model_dir), tmp_path/"d")


@pytest.mark.parametrize("name,content,message", [
    ("x.xlsx", b"PK\x03\x04", r"x\.xlsx is a \.xlsx file, which is not read here"),
    ("all_bad.jsonl", "nope\nnope\n", r"all_bad\.jsonl, line 1: not valid JSON"),
    ("unclosed.csv", 'text,label\n"oops,joy\nfine,joy\n', r"line 2: a quote \(\"\) opens a text that does not close"),
    ("twice.csv", "text,text\na,b\n", r"names a column twice"),
])
def test_more_unreadable_files(tmp_path, capsys, name, content, message):
    path = tmp_path/name
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    code, _, err = run_main(capsys, "data", "--data", path)
    assert code == 2 and re.search(message, err), err


def test_cli_messages_never_suggest_keyword_arguments(trained_tiny, capsys):
    code, _, err = run_main(capsys, "predict", "--model", trained_tiny, "")
    assert code == 2 and "give every text some words" in err and "errors=" not in err


def test_hub_id_that_does_not_exist_while_the_hub_answers(monkeypatch):
    import datasets
    from emotion_nbdev import hub
    monkeypatch.setattr(hub, "hub_answer", lambda *args, **kwargs: ("found", ""))
    class DatasetNotFoundError(Exception): pass
    def not_found(name, *args, **kwargs): raise DatasetNotFoundError(f"Dataset '{name}' doesn't exist on the Hub")
    monkeypatch.setattr(datasets, "load_dataset", not_found)
    with pytest.raises(FileNotFoundError, match="neither a local file or folder nor a data set on the Hugging Face "
                                                "Hub"):
        load_emotions("someone/no-such-data")


# ---- round 4 (issue #27): files users share, labels as numbers, classes too small to split ----

def modes(*folders_or_files)->dict:
    "Each file's permission bits, by name, under the given folders (recursively) and files."
    found = {}
    for p in map(Path, folders_or_files):
        for f in (p.rglob("*") if p.is_dir() else [p]):
            if f.is_file(): found[str(f.relative_to(p.parent))] = oct(f.stat().st_mode & 0o777)
    return found


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_every_file_written_gets_the_umasks_mode(reviews, tiny_model_dir, tmp_path, umask=0o027, mode="0o640"):
    """safetensors writes model.safetensors 0600, a temporary file is 0600 and a fixed mode would be 0644: under umask
    027 every file is 0640."""
    own = ["--data", reviews, "--text-col", "review", "--label-col", "sentiment"]
    run = lambda *args: subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, timeout=600,
                                       preexec_fn=lambda: os.umask(umask))
    model, tweets = tmp_path/"m1", tmp_path/"tweets.txt"
    tweets.write_text("what a lovely film\nso dull\n")
    for args in (("train", *own, "--checkpoint", tiny_model_dir, "--output-dir", model, *TRAIN),
                 ("predict", "--model", model, "--file", tweets),
                 ("predict", "--model", model, "great", "--output", tmp_path/"p.csv"),
                 ("export", "--model", model)):
        proc = run(*args)
        assert proc.returncode == 0, proc.stderr
    written = modes(model, tmp_path/"tweets.txt.predictions.csv", tmp_path/"p.csv")
    assert {"m1/model.safetensors", "m1/config.json", "m1/metrics.json", "m1/README.md", "m1/onnx/model.int8.onnx",
            "tweets.txt.predictions.csv", "p.csv"} <= set(written)
    assert written == dict.fromkeys(written, mode)


def test_feature_cache_gets_the_umasks_mode(tiny_model_dir, tmp_path):
    from emotion_nbdev.features import cached_features
    from emotion_nbdev.outputs import new_file_mode
    first = cached_features(["so happy", "so sad"], str(tiny_model_dir), cache=tmp_path)
    paths = sorted(tmp_path.iterdir())  # one file per pooling, all from one pass
    assert [p.name.split(".", 1)[1] for p in paths] == ["cls.npy", "mean.npy"]
    assert all(p.stat().st_mode & 0o777 == new_file_mode() for p in paths)
    assert (cached_features(["so happy", "so sad"], str(tiny_model_dir), cache=tmp_path) == first).all()


@pytest.fixture(scope="module")
def ids_csv(tmp_path_factory):
    "60 tweets whose labels are ids 0, 1, 2, as a Hugging Face data set exported to CSV writes them."
    words = [("sad", "lonely", "gloomy"), ("happy", "glad", "cheerful"), ("angry", "mad", "furious")]
    path = tmp_path_factory.mktemp("ids")/"ids.csv"
    pd.DataFrame({"text": [f"i feel so {words[i % 3][i // 3 % 3]} today number {i}" for i in range(60)],
                  "label": [i % 3 for i in range(60)]}).to_csv(path, index=False)
    return path


def test_integer_labels_take_the_names_given(ids_csv, tiny_model_dir, tmp_path, capsys, logged):
    code, out, err = run_main(capsys, "data", "--data", ids_csv, "--label-names", "sadness,joy,anger")
    assert code == 0 and re.search(r"sadness\s+20\s+joy\s+20\s+anger\s+20", out), err
    assert [m for m in logged if "ClassLabel" in m] == ["labels read as ids of label_names, in order (a ClassLabel's "
                                                        "convention): 0 -> sadness, 1 -> joy, 2 -> anger"]
    logged.clear()
    dd = load_emotions({"train": ids_csv, "test": ids_csv}, label_names=["sadness", "joy", "anger"])
    assert dd["test"].features["label"].names == ["sadness", "joy", "anger"] and dd["test"]["label"][:3] == [0, 1, 2]
    assert len([m for m in logged if "ClassLabel" in m]) == 1  # said once, not once per split
    code, out, err = run_main(capsys, "train", "--data", ids_csv, "--label-names", "sadness,joy,anger", "--checkpoint",
                              tiny_model_dir, "--output-dir", tmp_path/"m", *TRAIN)
    assert code == 0, err
    assert json.loads((tmp_path/"m"/"config.json").read_text())["id2label"] == {"0": "sadness", "1": "joy",
                                                                                "2": "anger"}
    code, out, err = run_main(capsys, "evaluate", "--model", tmp_path/"m", "--data", ids_csv, "--label-names",
                              "sadness,joy,anger")
    assert code == 0 and out.startswith("ids.csv: 60 examples"), err
    # names left out: the fix gives them
    code, _, err = run_main(capsys, "evaluate", "--model", tmp_path/"m", "--data", ids_csv)
    assert code == 2 and ("Fix: the labels are ids: name them in id order as the model does, --label-names "
                          "sadness,joy,anger.") in err


@pytest.mark.parametrize("names,says", [
    ("sadness,joy", "ids.csv, line 4: label 2 is not an id of the 2 label_names ['sadness', 'joy'] (ids 0 to 1; the "
                    "data's labels run 0 to 2). Fix: give one name per id, in id order, e.g. --label-names "
                    "sadness,joy,name2."),
    ("sadness,joy,anger,", "--label-names 'sadness,joy,anger,': an empty name (a trailing comma). Fix: one name "
                           "between each pair of commas, e.g. --label-names sadness,joy,anger."),
    ("sadness,,joy,anger", "an empty name (name 2 of 4). Fix: one name between each pair of commas, e.g. --label-names "
                           "sadness,joy,anger."),
])
def test_label_names_that_do_not_fit_are_named(ids_csv, capsys, names, says):
    code, _, err = run_main(capsys, "data", "--data", ids_csv, "--label-names", names)
    assert code == 2 and says in err and "two or more names" not in err


def test_ids_outside_the_names_and_missing_ids(tmp_path):
    path = tmp_path/"hf_test.csv"  # a Hugging Face test split without labels writes -1
    path.write_text("text,label\nso sad,0\nso happy,1\nwho knows,-1\n")
    with pytest.raises(ValueError, match=r"line 4: label -1 is not an id .* and a label to the rows without one "
                                         r"\(-1\)"):
        load_emotions(path, label_names=["sadness", "joy"])


@pytest.mark.parametrize("name,write", [
    ("excel_bom.csv", lambda df, p: df.to_csv(p, index=False, encoding="utf-8-sig")),
    ("excel_semicolons.csv", lambda df, p: df.to_csv(p, index=False, sep=";", encoding="utf-8-sig")),
    ("windows.csv", lambda df, p: df.to_csv(p, index=False, lineterminator="\r\n")),
    ("with_index.csv", lambda df, p: df.to_csv(p)),
    ("floats.csv", lambda df, p: df.assign(label=df["label"].astype(float)).to_csv(p, index=False)),
    ("records.jsonl", lambda df, p: df.to_json(p, orient="records", lines=True)),
    ("columns.json", lambda df, p: df.to_json(p)),
    ("tabs.tsv", lambda df, p: df.to_csv(p, index=False, sep="\t")),
    ("hf.jsonl", lambda df, p: Dataset.from_pandas(df).to_json(p)),
])
def test_files_other_tools_write_with_label_ids(tmp_path, name, write):
    df = pd.DataFrame({"text": ["so sad", "so happy", "so angry", "quite sad"], "label": [0, 1, 2, 0]})
    write(df, tmp_path/name)
    dd = load_emotions(tmp_path/name, label_names=["sadness", "joy", "anger"])
    assert dd["train"]["text"] == df["text"].tolist() and dd["train"]["label"] == [0, 1, 2, 0]


def test_boolean_labels_are_ids_0_and_1(tmp_path):
    pd.DataFrame({"text": ["so good", "so bad", "fine"], "label": [True, False, True]}).to_csv(tmp_path/"b.csv",
        index=False)
    # without names: as written
    assert load_emotions(tmp_path/"b.csv")["train"].features["label"].names == ["False", "True"]
    dd = load_emotions(tmp_path/"b.csv", label_names=["bad", "good"])
    assert dd["train"]["label"] == [1, 0, 1] and dd["train"].features["label"].names == ["bad", "good"]


def test_a_class_too_small_to_validate_is_named(ids_csv, tiny_model_dir, tmp_path, capsys):
    one = tmp_path/"one_surprise.csv"
    one.write_text(ids_csv.read_text() + "what a surprise this is,3\n")
    names = ["--label-names", "sadness,joy,anger,surprise"]
    code, out, err = run_main(capsys, "data", "--data", one, *names)
    assert code == 0 and ("Too small to be validated (one row: a validation split carved from train cannot hold it and "
                          "leave it for training): 'surprise' (1 row in train)") in out, err
    code, out, err = run_main(capsys, "train", "--data", one, *names, "--checkpoint", tiny_model_dir, "--output-dir",
                              tmp_path/"m", *TRAIN)
    assert code == 0 and "too small to be validated (no validation example): 'surprise' (1 training row)" in out, err
    metrics = json.loads((tmp_path/"m"/"metrics.json").read_text())
    assert metrics["not_validated"] == {"surprise": 1} and metrics["not_trained"] == []
    assert ("**Not validated**: the validation split holds no example of 'surprise' (1 training "
            "row)") in (tmp_path/"m"/"README.md").read_text()


def test_a_class_only_in_validation_or_test_is_named(carer_dir, tiny_model_dir, tmp_path, capsys):
    folder = tmp_path/"carer"; shutil.copytree(carer_dir, folder)
    train = folder/"train.txt"
    train.write_text("".join(line for line in train.read_text().splitlines(True)
                             if not line.rstrip().endswith(";surprise")))
    code, out, err = run_main(capsys, "data", "--data", folder)
    assert code == 0 and "Not in train (a model cannot learn them): 'surprise'" in out, err
    code, out, err = run_main(capsys, "train", "--data", folder, "--checkpoint", tiny_model_dir, "--output-dir",
                              tmp_path/"m", *TRAIN)
    assert code == 0 and "not trained (no training example): 'surprise'" in out, err
    assert ("**Not trained**: the training split holds no example of "
            "'surprise'") in (tmp_path/"m"/"README.md").read_text()


def test_a_single_file_evaluated_is_named_by_the_file(trained_tiny, tmp_path, capsys):
    (tmp_path/"file.txt").write_text("i feel so happy;joy\ni feel so sad;sadness\ni am scared;fear\n")
    code, out, err = run_main(capsys, "evaluate", "--model", trained_tiny, "--data", tmp_path/"file.txt")
    assert code == 0 and out.startswith("file.txt: 3 examples, accuracy") and "train" not in out, err
    code, out, err = run_main(capsys, "evaluate", "--model", trained_tiny, "--data", tmp_path/"file.txt", "--split",
                              "train")
    assert code == 0 and out.startswith("train: 3 examples"), err  # the split asked for by name keeps it
