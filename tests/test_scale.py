"""Labelling files on Ray Data (issue #28): the same output as `predict_file`, Parquet in, bad rows under both rules,
existing outputs kept, the CLI; local Ray on 2 CPUs, started once."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ray = pytest.importorskip("ray")

from emotion_nbdev.cli import main
from emotion_nbdev.predict_files import predict_file
from emotion_nbdev.scale import predict_ray
from emotion_nbdev.errors import AlreadyExists, BadInput, MissingPackage
from emotion_nbdev.settings import EMOTIONS

FEELINGS = ["happy", "sad", "furious", "scared", "loved", "shocked"]
TEXTS = [f"i feel so {FEELINGS[i % 6]} today, number {i}" + " really" * (i % 50) for i in range(2000)]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    "A tiny random 6-class classifier with its int8 export, made once (the workers then run the file, without PyTorch)."
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from emotion_nbdev.int8 import export_onnx
    from emotion_nbdev.tiny import tiny_checkpoint
    folder = tmp_path_factory.mktemp("scale")
    encoder = tiny_checkpoint(folder/"encoder")
    head = AutoModelForSequenceClassification.from_pretrained(encoder, num_labels=6, id2label=dict(enumerate(EMOTIONS)))
    head.save_pretrained(folder/"model"); AutoTokenizer.from_pretrained(encoder).save_pretrained(folder/"model")
    export_onnx(folder/"model")
    return folder/"model"


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    "One local Ray for the whole module: starting it costs seconds."
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tweets(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tweets")/"tweets.csv"
    pd.DataFrame({"id": range(len(TEXTS)), "text": TEXTS}).to_csv(path, index=False)
    return path


def labelled(folder) -> pd.DataFrame:
    "A Ray output folder (Parquet or CSV files) as one frame, in input order."
    files = sorted(Path(folder).iterdir())
    read = pd.read_parquet if files[0].suffix == ".parquet" else pd.read_csv
    return pd.concat([read(f) for f in files]).sort_values("id").reset_index(drop=True)


def test_same_as_predict_file_with_two_workers(model, tweets, tmp_path):
    """The same rows at a time (chunk_size = batch_rows), so the same forward passes: same labels, probabilities within
    1e-5, same columns."""
    local = pd.read_csv(predict_file(tweets, tmp_path/"local.csv", model_dir=model, backend="onnx", chunk_size=500,
                                     progress=False))
    out = predict_ray(tweets, tmp_path/"ray", model, workers=2, batch_rows=500, progress=False)
    got = labelled(out)
    assert list(got.columns) == list(local.columns) == ["id", "text", "label", "score", *EMOTIONS, "truncated",
                                                        "status"]
    assert got["id"].tolist() == list(range(2000)) and got["label"].tolist() == local["label"].tolist()
    np.testing.assert_allclose(got[EMOTIONS + ["score"]].to_numpy(), local[EMOTIONS + ["score"]].to_numpy(), atol=1e-5)
    assert got["truncated"].tolist() == local["truncated"].tolist() and set(got["status"]) == {"ok"}


def test_parquet_in_csv_out_default_batches(model, tweets, tmp_path):
    """Parquet read, CSV written, the backend's own batches: the labels of `predict_file`'s default run, probabilities
    close."""
    pd.read_csv(tweets).to_parquet(tmp_path/"tweets.parquet")
    got = labelled(predict_ray(tmp_path/"tweets.parquet", tmp_path/"ray", model, output_format="csv", progress=False))
    local = pd.read_csv(predict_file(tweets, tmp_path/"local.csv", model_dir=model, backend="onnx", progress=False))
    assert len(got) == 2000 and (got["label"] == local["label"]).mean() > 0.99
    np.testing.assert_allclose(got[EMOTIONS].to_numpy(), local[EMOTIONS].to_numpy(), atol=1e-3)


def test_bad_row_raise_and_mark(model, tmp_path):
    (tmp_path/"bad.jsonl").write_text('{"id": 0, "text": "i am happy"}\n{"id": 1, "text": null}\n{"id": 2, "text": '
                                      '""}\n')
    with pytest.raises(BadInput, match=r"1 row\(s\) of a batch have no text in column 'text': <NA> \(not a "
                                       r"string\).*errors='mark'"):
        predict_ray(tmp_path/"bad.jsonl", tmp_path/"out", model, progress=False)
    assert not (tmp_path/"out").exists() and not list(tmp_path.glob(".out.partial-*"))  # nothing half-written is left
    got = labelled(predict_ray(tmp_path/"bad.jsonl", tmp_path/"out", model, errors="mark", progress=False))
    assert got["status"].tolist() == ["ok", "not a string", "empty text"] and got["label"].isna().tolist() == [False,
        True, True]


def test_existing_output_refused(model, tweets, tmp_path):
    (tmp_path/"out").mkdir(); (tmp_path/"out"/"mine.txt").write_text("keep me")
    with pytest.raises(AlreadyExists, match="already exists and is left alone") as raised:
        predict_ray(tweets, tmp_path/"out", model, progress=False)
    assert raised.value.options == ["overwrite", "output"]
    assert [p.name for p in (tmp_path/"out").iterdir()] == ["mine.txt"]
    with pytest.raises(BadInput, match="errors='skip': use 'raise' or 'mark'"):
        predict_ray(tweets, tmp_path/"new", model, errors="skip", progress=False)


def test_cli(model, tmp_path, capsys, monkeypatch):
    (tmp_path/"in.txt").write_text("i am so happy\n\nthis makes me furious\n")
    assert main(["predict", "--engine", "ray", "--model", str(model), "--file", str(tmp_path/"in.txt"), "--output",
                 str(tmp_path/"out"),
                 "--workers", "1", "--output-format", "csv"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path/'out'}"
    assert labelled_csv_rows(tmp_path/"out") == 3  # the blank line kept, as an empty text
    assert main(["predict", "--engine", "ray", "--model", str(model), "--file", str(tmp_path/"in.txt"), "--output",
                 str(tmp_path/"out")]) == 2
    assert "already exists and is left alone. Fix: --overwrite" in capsys.readouterr().err
    assert main(["predict", "--engine", "ray", "--model", str(model), "--file", str(tmp_path/"in.txt")]) == 2
    assert "Fix: add --output DIR" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "ray", None)  # as where ray is not installed
    assert main(["predict", "--engine", "ray", "--model", str(model), "--file", str(tmp_path/"in.txt"), "--output",
                 str(tmp_path/"o2")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and ('pip install '
                                                   '"emotion-nbdev[scale]"') in err and "--engine local" in err


def labelled_csv_rows(folder) -> int:
    return sum(len(pd.read_csv(f)) for f in Path(folder).iterdir())


def test_workers_import_no_torch(model):
    "A classifier actor runs the int8 file: nothing on a worker imports PyTorch or transformers."
    from emotion_nbdev.scale import ClassifierActor
    @ray.remote(num_cpus=0)
    def loaded():
        ClassifierActor(str(model))(pd.DataFrame({"text": ["i am happy"]}))
        return [m for m in ("torch", "transformers") if m in sys.modules]
    assert ray.get(loaded.remote()) == []
