"Inference on a tiny trained model: bad input, order, truncation, files, the ONNX path and the CLI."
import shutil, subprocess, sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emotion_nbdev.cli import main
from emotion_nbdev.inference import EmotionClassifier, predict
from emotion_nbdev.predict_files import predict_file

EXE = Path(sys.executable).parent/"emotion-nbdev"


@pytest.fixture(scope="module")
def clf(trained_tiny):
    return EmotionClassifier(trained_tiny)


def test_order_and_probabilities(clf):
    texts = [f"i feel so happy today number {i}" * (i % 5 + 1) for i in range(50)]
    df = clf.predict(texts, batch_size=8)
    assert df["text"].tolist() == texts
    assert np.allclose(df[clf.label_names].sum(axis=1), 1, atol=1e-5)
    alone = pd.concat([clf.predict([t]) for t in texts[:10]], ignore_index=True)
    assert np.allclose(df[clf.label_names].values[:10], alone[clf.label_names].values, atol=1e-5)


@pytest.mark.parametrize("bad", ["", "   \n\t", None, 42, ["a list"]])
def test_bad_item_raises_naming_position(clf, bad):
    with pytest.raises(ValueError, match=r"1 of 3 inputs cannot be classified: texts\[1\]") as raised:
        clf.predict(["i am happy", bad, "i am sad"])
    assert raised.value.options == ["errors"] and "pass non-empty strings" in raised.value.message()


def test_marked_rows_keep_their_place(clf, logged):
    texts = ["i am happy", "", None, "i am sad", 3.5]
    df = clf.predict(texts, errors="mark")
    assert df["status"].tolist() == ["ok", "empty text", "not a string", "ok", "not a string"]
    assert df["label"].isna().tolist() == [False, True, True, False, True]
    assert df[clf.label_names].iloc[[1, 2, 4]].isna().all().all()
    good = clf.predict(["i am happy", "i am sad"])
    assert np.allclose(df[clf.label_names].values[[0, 3]], good[clf.label_names].values, atol=1e-5)
    assert any("3 of 5 inputs have no label" in m for m in logged)


def test_long_text_is_truncated_and_counted(clf, logged):
    df = clf.predict(["i am happy", "word " * 2000])
    assert df["truncated"].tolist() == [False, True]
    assert df["label"].notna().all()
    assert any("1 text(s) longer than" in m for m in logged)


def test_single_string_and_classify(clf):
    assert len(clf.predict("just one tweet")) == 1
    probs = clf.classify("just one tweet")
    assert set(probs) == set(clf.label_names) and abs(sum(probs.values()) - 1) < 1e-5
    with pytest.raises(ValueError, match="not a non-empty string"):
        clf.classify("")


def test_bad_errors_argument(clf):
    with pytest.raises(ValueError, match="use 'raise' or 'mark'"):
        clf.predict(["x"], errors="skip")


def test_missing_and_incomplete_model_folder(trained_tiny, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such folder\.") as raised:
        EmotionClassifier(tmp_path/"nope")
    assert raised.value.options == ["model_dir"]
    broken = tmp_path/"broken"; shutil.copytree(trained_tiny, broken)
    (broken/"model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=r"is incomplete: no model\.safetensors or pytorch_model\.bin"):
        EmotionClassifier(broken)
    (broken/"config.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        predict(["x"], broken)


def test_files(clf, tmp_path):
    (tmp_path/"t.txt").write_text("i am happy\n\ni am sad\n")
    out = pd.read_csv(predict_file(tmp_path/"t.txt", classifier=clf))
    assert out["status"].tolist() == ["ok", "empty text", "ok"] and len(out) == 3
    (tmp_path/"t.jsonl").write_text('{"tweet": "i am happy"}\n{"tweet": "i am sad"}\n')
    assert len(pd.read_csv(predict_file(tmp_path/"t.jsonl", text_col="tweet", classifier=clf))) == 2
    (tmp_path/"t.csv").write_text("id,tweet\n1,i am happy\n")
    with pytest.raises(ValueError, match=r"has no column 'text' \(its columns: \['id', 'tweet'\]\)") as raised:
        predict_file(tmp_path/"t.csv", classifier=clf)
    assert raised.value.options == ["text_col"]
    (tmp_path/"empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        predict_file(tmp_path/"empty.csv", classifier=clf)


def test_onnx_matches_torch(trained_tiny, clf):
    fast = EmotionClassifier(trained_tiny, backend="onnx")
    texts = [f"i feel so {w} today" for w in ("happy", "sad", "angry", "scared", "loving", "surprised")]
    a, b = clf.predict(texts), fast.predict(texts)
    assert np.abs(a[clf.label_names].values - b[clf.label_names].values).max() < 0.02
    assert (trained_tiny/"onnx"/"model.int8.onnx").exists()


@pytest.mark.slow
def test_cli_predict_and_evaluate(trained_tiny, carer_dir, tmp_path):
    proc = subprocess.run([EXE, "predict", "--model", str(trained_tiny), "i feel so happy today", "i am scared"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "i am scared" in proc.stdout and "label" in proc.stdout
    (tmp_path/"in.txt").write_text("i feel so happy today\ni am scared\n")
    proc = subprocess.run([EXE, "predict", "--model", str(trained_tiny), "--file", str(tmp_path/"in.txt"),
                           "--output", str(tmp_path/"out.csv"), "--backend", "onnx"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(tmp_path/"out.csv")) == 2
    proc = subprocess.run([EXE, "evaluate", "--model", str(trained_tiny), "--data", str(carer_dir)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "test: 24 examples, accuracy" in proc.stdout and "macro avg" in proc.stdout


def test_cli_predict_errors(trained_tiny, tmp_path):
    assert main(["predict", "--model", str(tmp_path/"none"), "hello"]) == 2
    assert main(["predict", "--model", str(trained_tiny)]) == 2   # neither texts nor --file
    (tmp_path/"e.txt").write_text("")
    assert main(["predict", "--model", str(trained_tiny), "--file", str(tmp_path/"e.txt")]) == 2


def test_truncation_flag_at_the_limit_without_the_tokenizers_warning(clf):
    """A text of exactly `max_length` tokens is whole; one token more is cut (its closing token kept) and flagged,
    quietly."""
    import logging
    from transformers import AutoTokenizer
    tok, limit = AutoTokenizer.from_pretrained(clf.model_dir), 16
    classifier = EmotionClassifier(clf.model_dir, max_length=limit)
    words = lambda n: " ".join(["happy"] * n)  # one token per word, plus [CLS] and [SEP]
    texts = [words(limit - 2), words(limit - 1), words(tok.model_max_length + 10)]
    seen, warnings = [], []
    class Recording:  # a backend that records the batches it is given
        batch_size = 1
        def map(self, batches):
            for b in batches: seen.extend(b["input_ids"][i][b["attention_mask"][i] == 1].tolist()
                                          for i in range(len(b["input_ids"])))
            return [np.zeros((len(b["input_ids"]), len(classifier.label_names)), dtype=np.float32) for b in batches]
    classifier.backend = Recording()
    handler = logging.Handler(); handler.emit = lambda record: warnings.append(record.getMessage())
    logging.getLogger("transformers").addHandler(handler)
    try: _, truncated = classifier.probabilities(texts, batch_size=1)
    finally: logging.getLogger("transformers").removeHandler(handler)
    assert truncated.tolist() == [False, True, True]
    assert sorted(len(ids) for ids in seen) == [limit, limit, limit]
    assert all(ids[-1] == tok.sep_token_id for ids in seen)
    assert not [w for w in warnings if "longer than the specified maximum" in w], warnings


def test_a_model_whose_weights_are_not_numbers_is_refused(trained_tiny, tmp_path):
    """A model whose training diverged (NaN weights) never labels a text: predict, classify and the CLI say what is
    wrong."""
    import shutil
    from safetensors.torch import load_file, save_file
    broken = tmp_path/"nan-model"
    shutil.copytree(trained_tiny, broken, ignore=shutil.ignore_patterns("onnx"))
    weights = load_file(broken/"model.safetensors")
    for tensor in weights.values(): tensor.fill_(float("nan"))
    save_file(weights, broken/"model.safetensors", metadata={"format": "pt"})
    clf = EmotionClassifier(broken)
    for call in (lambda: clf.predict(["i feel great", "so sad"]), lambda: clf.predict(["i feel great"], errors="mark"),
                 lambda: clf.classify("i feel great")):
        with pytest.raises(ValueError, match="gave no numbers .* training run that diverged"): call()
    assert main(["predict", "--model", str(broken), "i feel great"]) == 2
