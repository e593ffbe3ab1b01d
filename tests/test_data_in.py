"""Data coming in (issue #21, "Nothing silent"): labels, table layouts, bytes, texts shared across splits, empty texts,
names and networks, model folders, and messages that lead to the fix; each through the library and the command line."""
import json, shutil, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from datasets import Dataset

from emotion_nbdev.cli import main
from emotion_nbdev.files import is_blank, read_lines, table_rows, text_rows
from emotion_nbdev.own_data import label_key, sorted_labels
from emotion_nbdev.model_folders import check_model_dir
from emotion_nbdev.own_data import load_labelled
from emotion_nbdev.splits import split_dataset
from emotion_nbdev.errors import BadInput, BadType, NotFound, Option, Unreachable, UserError
from emotion_nbdev.settings import BOOK_CHECKPOINT, COURSE_CHECKPOINT
from emotion_nbdev.hub import looks_like_path, offline_checkpoint, resolve_checkpoint


def run_main(capsys, *args):
    "Run the command line in this process: (exit status, stdout, stderr)."
    try: code = main(list(map(str, args)))
    except SystemExit as e: code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def refused(capsys, *args, says:str)->str:
    "The command line exits 2 with one line on stderr that says `says` and names the fix."
    code, _, err = run_main(capsys, *args)
    lines = [line for line in err.splitlines() if line.startswith("emotion-nbdev")]  # not the progress bars
    assert code == 2 and len(lines) == 1 and says in lines[0] and "Fix:" in lines[0], err
    return lines[0]


def write(path:Path, content)->Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory):
    "A tiny random classifier (two labels) saved the ordinary way, built in seconds from the tiny encoder."
    from transformers import AutoModelForSequenceClassification
    from emotion_nbdev.tiny import tiny_checkpoint
    encoder = tiny_checkpoint(tmp_path_factory.mktemp("encoder")/"tiny")
    model = AutoModelForSequenceClassification.from_pretrained(encoder, num_labels=2, id2label={0: "neg", 1: "pos"},
                                                               label2id={"neg": 0, "pos": 1})
    out = tmp_path_factory.mktemp("classifier")/"model"
    model.save_pretrained(out)
    for f in encoder.iterdir():
        if f.name.startswith(("tokenizer", "vocab", "special_tokens")): shutil.copy(f, out/f.name)
    return out


# ---- 1. labels as people mean them ----

def test_one_label_rule(tmp_path, capsys):
    assert [label_key(v) for v in (1, 1.0, "1", "1.0", "01", " 1 ", "+1")] == ["1"] * 7
    assert [label_key(v) for v in (None, float("nan"), pd.NA, "NaN", "nan", "None", "null", "NA", "N/A", "",
                                   "  ")] == [None] * 11
    assert [label_key(v) for v in ("joy", " joy\u200b",
                                   "\ufeffjoy ")] == ["joy"] * 3 and label_key("cafe\u0301") == label_key("caf\u00e9")
    path = write(tmp_path/"l.csv", "text,label\na,1\nb,1.0\nc,0\nd,01\ne,0.0\n")
    dd = load_labelled(path)
    assert dd["train"].features["label"].names == ["0", "1"] and dd["train"]["label"] == [1, 1, 0, 1, 0]
    code, out, err = run_main(capsys, "data", "--data", path)
    assert code == 0 and "1.0" not in out, err


def test_test_split_written_by_pandas_matches_train(tmp_path):
    train = write(tmp_path/"train.csv", "text,label\nso happy,1\nso sad,0\nglad,1\n")
    # pandas writes 1.0, 0.0 and an empty cell
    frame = pd.DataFrame({"text": ["yay", "meh", "hm"], "label": [1, 0, None]})
    frame.to_csv(tmp_path/"test.csv", index=False)
    assert "1.0" in (tmp_path/"test.csv").read_text()
    with pytest.raises(BadInput, match=r"test\.csv, line 4: missing label"):
        load_labelled({"train": train, "test": tmp_path/"test.csv"})
    dd = load_labelled({"train": train, "test": tmp_path/"test.csv"}, errors="skip")
    assert dd["test"]["label"] == [1, 0] and dd["test"].features["label"].names == ["0", "1"]


@pytest.mark.parametrize("missing", ["NaN", "nan", "None", "null", "NA", "N/A", "", "   "])
def test_missing_values_are_missing_labels(tmp_path, capsys, missing):
    path = write(tmp_path/"m.csv", f"text,label\nso happy,joy\nso sad,{missing}\nglad,sadness\n")
    with pytest.raises(BadInput, match=r"m\.csv, line 3: missing label"):
        load_labelled(path)
    assert load_labelled(path, errors="skip")["train"].features["label"].names == ["joy", "sadness"]
    refused(capsys, "data", "--data", path, says="line 3: missing label")


def test_labels_that_differ_only_in_case(tmp_path, capsys):
    path = write(tmp_path/"c.csv", "text,label\na,Joy\nb,joy\nc,SADNESS\nd,sadness\n")
    with pytest.raises(BadInput, match=r"c\.csv, line 2 and .*c\.csv, line 3: labels 'Joy' and 'joy' differ only in "
                                       r"case.*Fix:"):
        load_labelled(path)
    refused(capsys, "data", "--data", path, says="'Joy' and 'joy' differ only in case")
    with pytest.raises(BadInput, match="differ only in case"):
        sorted_labels(["SADNESS", "sadness"])
    with pytest.raises(BadInput, match=r"unknown label 'Joy'.*'joy' is one"):
        load_labelled(write(tmp_path/"d.csv", "text,label\na,Joy\nb,sadness\n"), label_names=["joy", "sadness"])


# ---- 2. tables in the layouts people produce ----

FRAME = pd.DataFrame({"text": ["i am so happy", "i feel sad", "what a day"], "label": ["joy", "sadness", "joy"]})


@pytest.mark.parametrize("orient,lines", [("columns", False), ("index", False), ("split", False), ("records", False),
                                          ("table", False), ("records", True)])
def test_every_pandas_json_layout(tmp_path, orient, lines):
    path = tmp_path/("d.jsonl" if lines else "d.json")
    FRAME.to_json(path, orient=orient, lines=lines)
    dd = load_labelled(path)
    assert dd["train"]["text"] == FRAME["text"].tolist() and dd["train"].features["label"].names == ["joy", "sadness"]
    assert [row["text"] for _, row, _ in text_rows(path)[1]] == FRAME["text"].tolist()


def test_column_oriented_json_for_training_and_predict(tmp_path, classifier_dir, capsys):
    for name in ("cols.json", "cols.jsonl"):
        path = write(tmp_path/name, json.dumps({"text": FRAME["text"].tolist(), "label": FRAME["label"].tolist()}))
        assert load_labelled(path)["train"]["text"] == FRAME["text"].tolist()
        code, _, err = run_main(capsys, "predict", "--model", classifier_dir, "--file", path)
        assert code == 0, err
        written = pd.read_csv(tmp_path/f"{name}.predictions.csv")
        assert written["text"].tolist() == FRAME["text"].tolist() and written["predicted_label"].isin(["neg",
            "pos"]).all()


def test_layouts_without_column_names_are_refused(tmp_path, capsys):
    FRAME.to_json(tmp_path/"v.json", orient="values")
    with pytest.raises(BadInput, match=r"orient='values'\) has no column names\. Fix: .*orient='records'"):
        load_labelled(tmp_path/"v.json")
    refused(capsys, "data", "--data", tmp_path/"v.json", says="has no column names")
    write(tmp_path/"uneven.json", '{"text": ["a", "b"], "label": ["joy"]}')
    refused(capsys, "data", "--data", tmp_path/"uneven.json", says="columns have different lengths")


def test_a_list_in_a_cell_is_never_a_text(tmp_path):
    path = write(tmp_path/"n.jsonl", '{"text": ["a", "b"], "label": "joy"}\n{"text": "fine", "label": "joy"}\n')
    with pytest.raises(BadInput, match=r"line 1: the text is a JSON list or object"):
        load_labelled(path)
    assert load_labelled(path, errors="skip")["train"]["text"] == ["fine"]


def test_a_quote_never_swallows_the_lines_after_it(tmp_path, capsys, logged):
    path = write(tmp_path/"q.tsv", 'text\tlabel\n"so happy\tjoy\ni am sad\tsadness\nok then\tjoy\nfine\tjoy\nlast '
                                   'one\tjoy\n')
    dd = load_labelled(path, errors="skip")
    assert dd["train"]["text"] == ["i am sad", "ok then", "fine", "last one"]
    assert any("skipped 1 bad row(s): line 2 (a quote" in m for m in logged)
    refused(capsys, "data", "--data", path, says='line 2: a quote (") opens a text that does not close')
    code, out, err = run_main(capsys, "data", "--data", path, "--skip-bad-rows")
    assert code == 0, err


def test_a_quote_that_closes_lines_later_is_undone_line_by_line(tmp_path):
    path = write(tmp_path/"q.csv", 'text,label\n"so happy,joy\ni am sad,sadness\nbye", said I,joy\ngood,joy\n')
    rows = list(table_rows(path)[1])
    assert [w for w, _, _ in rows] == ["line 2", "line 3", "line 4", "line 5"]
    assert rows[1][1] == {"text": "i am sad", "label": "sadness"} and rows[3][1] == {"text": "good", "label": "joy"}
    assert rows[0][1] is None and rows[2][1] is None


def test_quoted_texts_over_several_lines_still_read(tmp_path):
    FRAME.assign(text=["two\nlines, really", 'she said "hi"', "plain"]).to_csv(tmp_path/"m.csv", index=False)
    assert load_labelled(tmp_path/"m.csv")["train"]["text"] == ["two\nlines, really", 'she said "hi"', "plain"]


# ---- 3. undecodable bytes are bad rows ----

def test_an_undecodable_line_is_a_bad_row(tmp_path, capsys, logged):
    lines = [f"tweet number {i},{'joy' if i % 2 else 'sadness'}" for i in range(40_000)]
    data = ("text,label\n" + "\n".join(lines) + "\n").encode() + b"caf\xe9 blues,sadness\n" + b"after it,joy\n"
    path = write(tmp_path/"big.csv", data)
    with pytest.raises(BadInput, match=r"big\.csv, line 40002: not valid UTF-8 \(byte 0xe9\)\. Fix: re-save the file "
                                       r"as UTF-8"):
        load_labelled(path)
    dd = load_labelled(path, errors="skip")
    assert len(dd["train"]) == 40_001 and dd["train"]["text"][-1] == "after it"
    assert any("skipped 1 bad row(s): line 40002 (not valid UTF-8" in m for m in logged)
    refused(capsys, "data", "--data", path, says="line 40002: not valid UTF-8")
    assert run_main(capsys, "data", "--data", path, "--skip-bad-rows")[0] == 0


def test_undecodable_lines_stream(tmp_path):
    path = write(tmp_path/"t.txt", b"one\ntw\xff\nthree\n")
    lines = read_lines(path)
    assert next(lines) == (1, "one\n", None)  # a generator: nothing past the line asked for is read
    assert [(n, p is not None) for n, _, p in lines] == [(2, True), (3, False)]
    assert [(w, r) for w, r, _ in text_rows(path)[1]] == [("line 1", {"text": "one"}), ("line 2", None),
                                                          ("line 3", {"text": "three"})]


def test_predict_skips_an_undecodable_line(tmp_path, classifier_dir, capsys):
    path = write(tmp_path/"t.txt", b"i am happy\ncaf\xe9\ni am sad\n")
    refused(capsys, "predict", "--model", classifier_dir, "--file", path, says="line 2: not valid UTF-8")
    code, _, err = run_main(capsys, "predict", "--model", classifier_dir, "--file", path, "--skip-bad-rows",
                            "--overwrite")
    assert code == 0, err
    assert pd.read_csv(tmp_path/"t.txt.predictions.csv")["text"].tolist() == ["i am happy", "i am sad"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named(tmp_path, capsys, encoding):
    path = write(tmp_path/"u.csv", "text,label\nso happy,joy\n".encode(encoding))
    with pytest.raises(BadInput, match=r"is UTF-16 .*Fix: .*iconv -f UTF-16 -t UTF-8"):
        load_labelled(path)
    err = refused(capsys, "data", "--data", path, says="is UTF-16")
    assert "latin1" not in err


# ---- 4. identical texts never in two splits unless asked ----

REPEATS = Dataset.from_dict({"text": [f"tweet {i % 50}" for i in range(200)], "label": [i % 50 % 2 for i in range(200)],
                             "author": [i % 50 // 5 for i in range(200)]})


@pytest.mark.parametrize("mode", [dict(stratify=True), dict(stratify=False), dict(group_col="author")])
def test_identical_texts_share_a_split(mode):
    splits = split_dataset(REPEATS, test_size=0.2, valid_size=0.2, seed=0, **mode)
    texts = {name: set(ds["text"]) for name, ds in splits.items()}
    assert set(splits) == {"train", "validation", "test"} and sum(len(ds) for ds in splits.values()) == len(REPEATS)
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["validation"]
    assert not texts["validation"] & texts["test"]


def test_texts_may_be_shared_when_asked():
    splits = split_dataset(REPEATS, test_size=0.2, stratify=True, group_duplicates=False, seed=0)
    assert set(splits["train"]["text"]) & set(splits["test"]["text"])


def test_stratified_split_of_a_one_member_class_says_what_to_do():
    one = Dataset.from_dict({"text": [f"t{i}" for i in range(30)],
                             "label": [0] * 29 + [1]}).class_encode_column("label")
    with pytest.raises(BadInput, match=r"needs at least 2 distinct texts of every label, but '1' has 1\.") as raised:
        split_dataset(one, stratify=True)
    assert raised.value.options == ["stratify"] and raised.value.fix[-1] == Option("stratify", False)
    with pytest.raises(BadInput, match=r"cannot hold one of each of the 2 labels"):
        split_dataset(Dataset.from_dict({"text": list("abcdef"), "label": [0, 0, 0, 1, 1, 1]}), stratify=True,
                      test_size=0.1)


# ---- 5. empty texts ----

@pytest.mark.parametrize("text", ["\u200b", "\u200c\u200d", "\u2060", "\ufeff", " \u200b \t", "\u3164"])
def test_invisible_texts_are_empty(tmp_path, capsys, text):
    assert is_blank(text) and not is_blank(text + "a")
    with pytest.raises(BadInput, match=r"row 1: empty text"):
        load_labelled([{"text": "so happy", "label": "joy"}, {"text": text, "label": "joy"}])
    path = write(tmp_path/"e.csv", f"text,label\nso happy,joy\n{text},joy\n")
    refused(capsys, "data", "--data", path, says="line 3: empty text")


# ---- 6. names and networks ----

class FakeHub(BaseHTTPRequestHandler):
    "Answers like the Hub for model 'someone/model' and data set 'someone/data'; counts what it is asked."
    asked = []
    def answer(self, body:bool):
        FakeHub.asked.append(self.path)
        found = "someone/model/resolve/main/config.json" in self.path or "/api/datasets/someone/data" in self.path
        payload = b'{"id": "someone/data"}' if found else b"{}"
        self.send_response(200 if found else 404)
        headers = ({"X-Repo-Commit": "a" * 40, "ETag": '"abc"'} if found else {"X-Error-Code": "RepoNotFound"})
        for k, v in {**headers, "Content-Length": str(len(payload)), "Content-Type": "application/json"}.items():
            self.send_header(k, v)
        self.end_headers()
        if body: self.wfile.write(payload)
    def do_HEAD(self): self.answer(False)
    def do_GET(self): self.answer(True)
    def log_message(self, *args): pass


@pytest.fixture
def fake_hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeHub.asked.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown(); server.server_close()


@pytest.fixture
def online(monkeypatch):
    for name in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("EMOTION_CHECKPOINT", raising=False)
    return monkeypatch


def test_hub_ids_with_dots_are_hub_ids(online, capsys, carer_dir, tmp_path):
    for name in ("BAAI/bge-small-en-v1.5", "Alibaba-NLP/gte-base-en-v1.5"):
        assert not looks_like_path(name)
    online.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(Unreachable, match="needs the Hugging Face Hub"):
        resolve_checkpoint("BAAI/bge-small-en-v1.5")
    err = refused(capsys, "train", "--data", carer_dir, "--checkpoint", "BAAI/bge-small-en-v1.5", "--output-dir",
                  tmp_path/"m",
                  says="needs the Hugging Face Hub")
    assert "does not exist" not in err
    assert all(looks_like_path(n) for n in ("./model", "~/m", "a/b/c", "model.safetensors", "data.csv"))


def test_the_hub_is_asked_at_hf_endpoint_with_its_port(online, fake_hub):
    online.setenv("HF_ENDPOINT", fake_hub)  # no server on port 443: a raw socket there would call the Hub unreachable
    assert resolve_checkpoint("someone/model") == "someone/model"
    with pytest.raises(NotFound, match="has no model by that name"):
        resolve_checkpoint("someone/nothing")
    with pytest.raises(NotFound, match="nor a data set on the Hugging Face Hub"):
        load_labelled("someone/nothing")


def test_the_hub_is_asked_through_the_proxy(online, fake_hub):
    from huggingface_hub.utils import close_session
    online.setenv("HF_ENDPOINT", "http://hub.example.invalid")  # a name no DNS resolves: only the proxy can answer
    online.setenv("HTTP_PROXY", fake_hub)
    close_session()  # the Hub's client reads the proxy settings when it is made
    try: assert resolve_checkpoint("someone/model") == "someone/model"
    finally: close_session()
    assert FakeHub.asked and FakeHub.asked[0].startswith("http://hub.example.invalid/")


def test_offline_sends_nothing_and_uses_the_same_model(online, fake_hub, logged):
    online.setenv("HF_ENDPOINT", fake_hub)
    online.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    chosen = resolve_checkpoint()
    assert time.perf_counter() - start < 2 and FakeHub.asked == []
    from emotion_nbdev.hub import _in_hub_cache
    # the course model's own files, from the offline package: not another model
    if not _in_hub_cache(COURSE_CHECKPOINT):
        assert chosen == str(offline_checkpoint())
        assert [m for m in logged if "offline copy" in m and COURSE_CHECKPOINT in m]
        assert resolve_checkpoint(COURSE_CHECKPOINT, verbose=False) == chosen
    # any other model: never swapped for the course's
    with pytest.raises(Unreachable, match="needs the Hugging Face Hub"):
        resolve_checkpoint("someone/else" if _in_hub_cache(BOOK_CHECKPOINT) else BOOK_CHECKPOINT)


def test_unreachable_hub_is_decided_at_once(online):
    online.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    start = time.perf_counter()
    with pytest.raises(Unreachable, match="no answer from http://127.0.0.1:9"):
        resolve_checkpoint("someone/model-b")
    with pytest.raises(Unreachable, match="Hugging Face Hub is unreachable"):
        load_labelled("someone/data-b")
    assert time.perf_counter() - start < 5


def test_offline_data_fails_at_once(online):
    online.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(Unreachable, match="HF_HUB_OFFLINE"):
        load_labelled("someone/data-c")
    assert time.perf_counter() - start < 5  # no download retrying in the background


# ---- 7. model folders in every layout save_pretrained writes ----

def test_sharded_weights_are_a_model(classifier_dir, tmp_path, capsys):
    from transformers import AutoModelForSequenceClassification
    sharded = tmp_path/"sharded"
    AutoModelForSequenceClassification.from_pretrained(classifier_dir).save_pretrained(sharded, max_shard_size="50KB")
    for f in classifier_dir.iterdir():
        if f.name.startswith(("tokenizer", "vocab", "special_tokens")): shutil.copy(f, sharded/f.name)
    shards = sorted(sharded.glob("model-*.safetensors"))
    assert (sharded/"model.safetensors.index.json").is_file() and len(shards) > 1
    assert check_model_dir(sharded) == sharded
    code, out, err = run_main(capsys, "predict", "--model", sharded, "i am happy")
    assert code == 0 and "i am happy" in out, err
    shards[-1].write_bytes(shards[-1].read_bytes()[:-100])
    refused(capsys, "predict", "--model", sharded, "i am happy", says="is cut short")
    shards[-1].unlink()
    refused(capsys, "predict", "--model", sharded, "i am happy", says=f"lists {shards[-1].name}, not in the folder")
    write(sharded/"model.safetensors.index.json", "{not json")
    with pytest.raises(BadInput, match="not a weights index"):
        check_model_dir(sharded)


def test_pytorch_bin_shards_and_sentencepiece_tokenizers(classifier_dir, tmp_path):
    import torch
    folder = tmp_path/"bin"; folder.mkdir()
    shutil.copy(classifier_dir/"config.json", folder/"config.json")
    for name in ("spiece.model", "sentencepiece.bpe.model", "tokenizer.model"):
        (folder/name).write_bytes(b"\n\x05hello sentencepiece")
        for shard in ("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"):
            torch.save({"w": torch.zeros(3)}, folder/shard)
        weight_map = {"a": "pytorch_model-00001-of-00002.bin", "b": "pytorch_model-00002-of-00002.bin"}
        write(folder/"pytorch_model.bin.index.json", json.dumps({"weight_map": weight_map}))
        assert check_model_dir(folder) == folder
        (folder/name).unlink()
    (folder/"spiece.model").write_bytes(b"\n\x05hello")
    shard = folder/"pytorch_model-00002-of-00002.bin"
    shard.write_bytes(shard.read_bytes()[:-30])
    with pytest.raises(BadInput, match="cut short or damaged"):
        check_model_dir(folder)
    (folder/"spiece.model").unlink()
    with pytest.raises(NotFound, match="no tokenizer"):
        check_model_dir(folder)


# ---- 8. messages that lead to the fix ----

def test_another_delimiter_is_named(tmp_path, capsys):
    path = write(tmp_path/"colon.csv", "text:label\nso happy:joy\nso sad:sadness\n")
    with pytest.raises(BadInput, match=r"the header looks split by ':': give the delimiter with delimiter=':'"):
        load_labelled(path)
    err = refused(capsys, "data", "--data", path, says="--delimiter :")
    assert "--text-col" not in err
    assert load_labelled(path, delimiter=":")["train"]["text"] == ["so happy", "so sad"]


def test_label_names_must_be_the_datas_own(tmp_path, capsys):
    # ids 0, 1 are named by label_names (test_own_data)
    path = write(tmp_path/"b.csv", "text,label\ngood,yes\nbad,no\nfine,yes\n")
    message = r"label_names \['neg', 'pos'\] are not labels of the data \(its labels: 'no', 'yes'\)\. Fix: "
    with pytest.raises(BadInput, match=message):
        load_labelled(path, label_names=["neg", "pos"])
    err = refused(capsys, "data", "--data", path, "--label-names", "neg,pos",
                  says="are not labels of the data (its labels: 'no', 'yes')")
    assert "--label-names no,yes" in err


@pytest.mark.parametrize("call,kind", [
    (lambda tmp: load_labelled(42), BadType),
    (lambda tmp: load_labelled(["text"]), BadType),
    (lambda tmp: load_labelled(write(tmp/"e.csv", "")), BadInput),
    (lambda tmp: load_labelled(tmp/"none.csv"), NotFound),
    (lambda tmp: load_labelled(write(tmp/"x.csv", "text,label\na,b\n"), errors="ignore"), BadInput),
    (lambda tmp: table_rows(write(tmp/"t.csv", "a,b\n"), delimiter="ab"), BadInput),
    (lambda tmp: check_model_dir(tmp), NotFound),
    (lambda tmp: split_dataset(REPEATS, test_size=0.6, valid_size=0.5), BadInput),
    (lambda tmp: load_labelled(write(tmp/"g.gz", b"\x1f\x8b\x08")), BadInput),
    (lambda tmp: load_labelled(write(tmp/"z.csv", b"PK\x03\x04rest")), BadInput),
    (lambda tmp: load_labelled(write(tmp/"empty.json", "[]")), BadInput),
    (lambda tmp: load_labelled(write(tmp/"empty_object.json", "{}")), BadInput),
])
def test_every_problem_is_a_user_error(tmp_path, call, kind):
    with pytest.raises(kind) as raised:
        call(tmp_path)
    assert isinstance(raised.value, UserError) and "Fix:" in str(raised.value)
