"The docs build's staging of nbdev-processed notebooks for MkDocs (tools/build_site.py), on a small made-up notebook."
import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_site", ROOT/"tools"/"build_site.py")
build_site = importlib.util.module_from_spec(spec); spec.loader.exec_module(build_site)


def processed_notebook() -> nbformat.NotebookNode:
    "Shaped like nbdev's `_proc/` output: frontmatter, a show_doc cell with directives, a tqdm widget."
    nb = nbformat.v4.new_notebook()
    widget = nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "box", "version_major": 2, "version_minor": 0},
        "text/plain": "Map:   0%|          | 0/10"})
    doc = nbformat.v4.new_code_cell("#| echo: false\n#| output: asis\nshow_doc(f)", outputs=[nbformat.v4.new_output(
        "execute_result", data={"text/markdown": "### f\n\n*Does f.*"}, execution_count=1)])
    doc["has_sd"] = True
    doc.metadata["execution"] = {"total": 0.1}
    nb.cells = [nbformat.v4.new_raw_cell("---\ntitle: The Dataset\ndescription: Tweets and labels\noutput-file: "
                                         "data.html\n---"),
                nbformat.v4.new_markdown_cell("Some prose."), doc,
                nbformat.v4.new_code_cell("#| output: false\nx = 1\nx",
                                          outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "1"},
                                                                          execution_count=2)]),
                nbformat.v4.new_code_cell("#| include: false\nsecret = 2"),
                nbformat.v4.new_code_cell("ds.map(f)", outputs=[widget])]
    state = {"box": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"]}},
             "a": {"state": {"value": "Map: 100%"}}, "b": {"state": {"value": 10, "max": 10}},
             "c": {"state": {"value": " 10/10 [00:00&lt;00:00, 99.0 examples/s]"}}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    return nb


def test_directives():
    assert build_site._directives("#| echo: false\n#| output: asis\nshow_doc(f)") == ({"echo": "false",
                                                                                       "output": "asis"}, "show_doc(f)")
    assert build_site._directives("#| hide\nx = 1") == ({"hide": True}, "x = 1")
    assert build_site._directives("x = 1") == ({}, "x = 1")


def test_stage_notebook(tmp_path):
    nbformat.write(processed_notebook(), tmp_path/"01_data.ipynb")
    (tmp_path/"out").mkdir()
    page, title = build_site.stage_notebook(tmp_path/"01_data.ipynb", tmp_path/"out")
    assert (page, title) == ("data.ipynb", "The Dataset")
    staged = nbformat.read(tmp_path/"out"/page, as_version=4)
    nbformat.validate(staged)  # nbdev's extra keys and float timings are gone
    sources = [c.source for c in staged.cells]
    assert sources[0] == "# The Dataset\n\n> Tweets and labels"
    assert "secret = 2" not in sources  # include: false
    doc = next(c for c in staged.cells if c.source == "show_doc(f)")
    assert doc.metadata.tags == ["remove_input"] and doc.outputs[0].data["text/markdown"].startswith("### f")
    assert next(c for c in staged.cells if c.source == "x = 1\nx").outputs == []  # output: false
    progress = staged.cells[-1].outputs[0].data
    assert progress == {"text/plain": "Map: 100%|██████████|  10/10 [00:00<00:00, 99.0 examples/s]"}
    assert "widgets" not in staged.metadata
    # rebuilds give identical pages
    assert [c.id for c in staged.cells] == [f"cell-{i}" for i in range(len(staged.cells))]


def test_links_between_notebooks_become_page_links():
    assert build_site._page_links("see [chapter 3](03_features.ipynb), [the "
                                  "recipe](04_finetuning.ipynb#the-recipe)") == \
        "see [chapter 3](features.html), [the recipe](finetuning.html#the-recipe)"
    assert build_site._page_links("[nbdev](https://nbdev.fast.ai/x.ipynb)") == "[nbdev](https://nbdev.fast.ai/x.ipynb)"


def test_what_a_reader_would_trip_over_is_mended(tmp_path):
    nb = processed_notebook()
    nb.cells += [nbformat.v4.new_markdown_cell("## `predict`: lists of any size\n\nKeep `code` in prose."),
                 nbformat.v4.new_code_cell("#| export\nclass Backend:\n    def run(self): pass\ndef helper(): pass"),
                 nbformat.v4.new_code_cell("show_doc(Backend)",
                                           outputs=[nbformat.v4.new_output("execute_result", execution_count=3,
                     data={"text/markdown": "### Backend\n\n```python\ndef Backend(\n    path\n):\n```\n\n### "
                                            "helper\n\n```python\ndef helper(\n):\n```"})]),
                 nbformat.v4.new_code_cell("save()", outputs=[nbformat.v4.new_output("stream", name="stderr",
                     text="\rWriting:   0%|  | 0/1\rWriting: 100%|##| 1/1\ndone\r\n")]),
                 nbformat.v4.new_markdown_cell("x"),
                 nbformat.v4.new_code_cell("#| eval: false\naudit(data)",
                                           outputs=[nbformat.v4.new_output("execute_result", execution_count=4,
                     data={"text/plain": "a table from another run"})])]
    nbformat.write(nb, tmp_path/"06_inference.ipynb")
    (tmp_path/"out").mkdir()
    page, _ = build_site.stage_notebook(tmp_path/"06_inference.ipynb", tmp_path/"out")
    staged = nbformat.read(tmp_path/"out"/page, as_version=4)
    prose = next(c for c in staged.cells if "lists of any size" in c.source)
    # the table of contents keeps 'predict'
    assert prose.source == "## predict: lists of any size\n\nKeep `code` in prose."
    doc = next(c for c in staged.cells if c.source == "show_doc(Backend)").outputs[0].data["text/markdown"]
    assert "```python\nclass Backend(" in doc and "```python\ndef helper(" in doc
    assert next(c for c in staged.cells if c.source == "audit(data)").outputs == []  # eval: false never ran here
    # last frame
    assert next(c for c in staged.cells if c.source == "save()").outputs[0].text == "Writing: 100%|##| 1/1\ndone\n"


def test_streams_keep_what_a_terminal_shows():
    """Progress bars rewrite their line with \\r; nested bars (Trainer's evaluation inside training) move up with ESC [
    A."""
    one_bar = "Tokenizing:   0%|   | 0/60\rTokenizing: 100%|###| 60/60\nsaved\n"
    assert build_site._terminal_text(one_bar) == "Tokenizing: 100%|###| 60/60\nsaved\n"
    nested = ("  0%| | 0/17\r 50%|#| 8/17\n  0%| | 0/2\x1b[A\n100%|#| 2/2\x1b[A\r                \x1b[A\r100%|#| "
              "17/17\n\x1b[K{'eval_loss': '1.6'}\n")
    shown = build_site._terminal_text(nested)
    assert "\x1b" not in shown and "[A" not in shown
    assert shown.splitlines()[0] == "100%|#| 17/17" and "{'eval_loss': '1.6'}" in shown
    assert not any("0%|" in line and "100%" not in line for line in shown.splitlines())
