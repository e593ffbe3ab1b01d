"The loader's bad input: each case gets a message naming the file, the line and the fix."
from pathlib import Path

import pandas as pd
import pytest

from emotion_nbdev.data import load_emotions
from emotion_nbdev.own_data import read_carer

GOOD = "i feel great;joy\ni am so sad;sadness\n"


def write(path: Path, content) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def carer_folder(tmp_path, **files):
    "A CARER folder with good train/val/test files, overridden by `files`."
    contents = {"train.txt": GOOD, "val.txt": GOOD, "test.txt": GOOD, **files}
    for name, content in contents.items():
        if content is not None: write(tmp_path/name, content)
    return tmp_path


def test_good_folder_loads(tmp_path):
    dd = load_emotions(carer_folder(tmp_path))
    assert {k: len(v) for k, v in dd.items()} == {"train": 2, "validation": 2, "test": 2}
    assert dd["train"]["label"] == [1, 0]  # joy, sadness in the Hub's order


def test_text_with_semicolon_splits_on_last(tmp_path):
    ds = read_carer(write(tmp_path/"t.txt", "i feel; you know; great;joy\n"))
    assert ds["text"] == ["i feel; you know; great"]


def test_missing_split_file(tmp_path):
    folder = carer_folder(tmp_path, **{"test.txt": None})
    with pytest.raises(FileNotFoundError, match=r"has no test\.txt.*Fix: the folder needs all of train\.txt, "
                                                r"val\.txt, test\.txt"):
        load_emotions(folder)


def test_line_without_separator(tmp_path):
    folder = carer_folder(tmp_path, **{"val.txt": "i feel great;joy\ni feel awful sadness\n"})
    with pytest.raises(ValueError, match=r"val\.txt, line 2: no ';' between text and label\. Fix: write each example "
                                         r"as `text;label`"):
        load_emotions(folder)


def test_unknown_label(tmp_path):
    path = write(tmp_path/"t.txt", "i feel great;joy\ni feel meh;boredom\n")
    with pytest.raises(ValueError, match=r"t\.txt, line 2: unknown label 'boredom'\. Fix: use one of \['sadness'"):
        read_carer(path)


def test_empty_text(tmp_path):
    path = write(tmp_path/"t.txt", "i feel great;joy\n   ;sadness\n")
    with pytest.raises(ValueError, match=r"t\.txt, line 2: empty text\. Fix: give every example a non-empty text"):
        read_carer(path)


def test_non_utf8_file(tmp_path):
    path = write(tmp_path/"t.txt", "i feel great;joy\nok;joy\ncaf\xe9 blues;sadness\n".encode("latin1"))
    with pytest.raises(ValueError, match=r"t\.txt, line 3: not valid UTF-8.*Fix: re-save the file as UTF-8"):
        read_carer(path)


def test_empty_file(tmp_path):
    folder = carer_folder(tmp_path, **{"train.txt": ""})
    with pytest.raises(ValueError, match=r"train\.txt is empty\. Fix:"):
        load_emotions(folder)


def test_whitespace_only_file_is_empty(tmp_path):
    with pytest.raises(ValueError, match="is empty"):
        read_carer(write(tmp_path/"t.txt", "\n  \n"))


def test_dataframe_without_named_columns():
    df = pd.DataFrame({"review": ["good film"], "stars": [5]})
    with pytest.raises(ValueError, match=r"DataFrame has no text column 'text' \(its columns: \['review', "
                                         r"'stars'\]\)") as raised:
        load_emotions(df)
    assert raised.value.options == ["text_col"]  # the fix names the option, spelt by the interface in use
    with pytest.raises(ValueError, match=r"no label column 'label'") as raised:
        load_emotions(df, text_col="review")
    assert raised.value.options == ["label_col"]
    assert len(load_emotions(df, text_col="review", label_col="stars")["train"]) == 1


def test_skip_counts_every_bad_line(tmp_path, logged):
    path = write(tmp_path/"t.txt", "i feel great;joy\nno separator\nmeh;boredom\n ;joy\ni am sad;sadness\n")
    ds = read_carer(path, errors="skip")
    assert ds["text"] == ["i feel great", "i am sad"]
    assert any("skipped 3 bad row(s): line 2 (no ';'" in m for m in logged)


def test_blank_lines_are_counted(tmp_path, logged):
    ds = read_carer(write(tmp_path/"t.txt", "i feel great;joy\n\ni am sad;sadness\n"))
    assert len(ds) == 2
    assert any("ignored 1 blank line(s)" in m for m in logged)


def test_bad_errors_value(tmp_path):
    with pytest.raises(ValueError, match="use 'raise' or 'skip'"):
        read_carer(write(tmp_path/"t.txt", GOOD), errors="ignore")


def test_missing_path_and_env(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        load_emotions(tmp_path/"nope.csv")
    monkeypatch.setenv("EMOTION_DATA_DIR", str(tmp_path/"missing"))
    with pytest.raises(FileNotFoundError, match="EMOTION_DATA_DIR=.* is not a folder"):
        load_emotions()


def test_csv_with_custom_delimiter_and_columns(tmp_path):
    path = write(tmp_path/"reviews.csv", "review;sentiment\na great film;pos\nawful;neg\nfine, really;pos\n")
    dd = load_emotions(path, text_col="review", label_col="sentiment")
    assert dd["train"].features["label"].names == ["neg", "pos"]
    assert dd["train"]["text"] == ["a great film", "awful", "fine, really"]


def test_csv_bad_row_names_its_line(tmp_path):
    with pytest.raises(ValueError, match=r"r\.csv, line 3: empty text"):
        load_emotions(write(tmp_path/"r.csv", "text,label\ngood,pos\n,neg\n"))
    with pytest.raises(ValueError, match=r"s\.csv, line 3: unknown label 'neg'"):
        load_emotions(write(tmp_path/"s.csv", "text,label\ngood,pos\nbad,neg\n"), label_names=["pos"])


def test_csv_missing_label(tmp_path):
    path = write(tmp_path/"r.csv", "text,label\ngood,pos\nbad,\n")
    with pytest.raises(ValueError, match=r"r\.csv, line 3: missing label"):
        load_emotions(path)


def test_empty_csv(tmp_path):
    with pytest.raises(ValueError, match=r"r\.csv is empty"):
        load_emotions(write(tmp_path/"r.csv", ""))


def test_jsonl_and_split_dict(tmp_path):
    train = write(tmp_path/"train.jsonl", '{"t": "so happy", "y": "happy"}\n{"t": "so sad", "y": "sad"}\n')
    test = pd.DataFrame({"t": ["meh happy"], "y": ["happy"]})
    dd = load_emotions({"train": train, "test": test}, text_col="t", label_col="y")
    assert list(dd) == ["train", "test"]
    assert dd["test"].features["label"].names == ["happy", "sad"]


def test_list_of_dicts_and_bad_list():
    dd = load_emotions([{"text": "yay", "label": "joy"}], label_names=["sadness", "joy"])
    assert dd["train"]["label"] == [1]
    with pytest.raises(ValueError, match="list of examples is empty"):
        load_emotions([])
    with pytest.raises(TypeError, match="must hold dicts"):
        load_emotions(["just a string"])


def test_nothing_usable(tmp_path):
    with pytest.raises(ValueError, match="no usable examples"):
        read_carer(write(tmp_path/"t.txt", "no separator here\n"), errors="skip")
