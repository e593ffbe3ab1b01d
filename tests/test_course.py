"""The course as a student meets it: chapters that reach a result fast, prose in markdown, the teaching code small, and
prediction that loads no training or plotting code."""
import json, subprocess, sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
TEACHING = sorted((ROOT/"nbs").glob("0[1-9]_*.ipynb"))  # the chapters; appendices are numbered from 10


def code_lines(cell) -> int: return len([l for l in cell.source.splitlines() if l.strip()])


@pytest.mark.parametrize("notebook", TEACHING, ids=lambda p: p.stem)
def test_a_chapter_reaches_its_first_result_fast(notebook):
    "At most 60 lines of code, as Jupyter shows them, before the first output about the data or the model."
    before = 0
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code": continue
        if cell.outputs: break
        before += code_lines(cell)
    else: pytest.fail(f"{notebook.name} has no output: run it (make notebooks)")
    assert before <= 60, f"{notebook.name}: {before} lines of code before the first output"


@pytest.mark.parametrize("notebook", TEACHING, ids=lambda p: p.stem)
def test_prose_is_markdown(notebook):
    """No paragraph rendered from an f-string through Markdown(...): on Colab and in Jupyter the reader would see the
    code."""
    sources = [c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
    assert not [s for s in sources if "Markdown(" in s], notebook.name


@pytest.mark.parametrize("notebook", TEACHING, ids=lambda p: p.stem)
def test_a_chapter_exports_little(notebook):
    "A teaching chapter exports at most 200 lines: the engineering lives in the appendices."
    cells = nbformat.read(notebook, as_version=4).cells
    exported = sum(code_lines(c)
                   for c in cells if c.cell_type == "code" and c.source.startswith(("#| export", "#| exports")))
    assert exported <= 200, f"{notebook.name} exports {exported} lines"


def test_prediction_loads_no_training_or_plotting_code():
    """What `emotion-nbdev predict` imports before its first tweet: not transformers' Trainer, scikit-learn or
    matplotlib."""
    heavy = ["transformers.trainer", "sklearn", "matplotlib", "torch", "transformers", "datasets", "pandas"]
    code = ("import sys, json; import emotion_nbdev.inference, emotion_nbdev.int8, emotion_nbdev.cli, "
            f"emotion_nbdev.predict_files; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == [], loaded


def test_no_private_helper_crosses_modules():
    "A module imports only public names of another module of the package."
    import ast
    for module in (ROOT/"emotion_nbdev").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and "emotion_nbdev" in (node.module or "") or (
                    isinstance(node, ast.ImportFrom) and node.level):
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{module.name} imports {private} from {node.module}"


def test_appendix_letters_name_the_right_appendix():
    """Appendices are lettered A, B, ... in file order, and every 'Appendix X' a reader meets (chapters, appendices,
    README, landing page) names that appendix."""
    import re
    appendices = sorted(p for p in (ROOT/"nbs").glob("[1-9][0-9]_*.ipynb") if not p.stem.endswith("solutions"))
    titles = [nbformat.read(p, as_version=4).cells[0].source.splitlines()[0] for p in appendices]
    letters = [re.match(r"# Appendix ([A-Z]): ", t)[1] for t in titles]
    assert letters == [chr(ord("A") + i) for i in range(len(appendices))], titles
    page = {letter: p.stem.split("_", 1)[1] for letter, p in zip(letters, appendices)}
    texts = [(p.name, c.source) for p in sorted((ROOT/"nbs").glob("*.ipynb")) for c in nbformat.read(p,
        as_version=4).cells]
    texts += [("README.md", (ROOT/"README.md").read_text(encoding="utf-8"))]
    wrong = []
    for name, text in texts:
        for letter, target in re.findall(r"\[(?:Appendix )?([A-Z])(?:[. ][^\]]*)?\]\((?:\d+_)?(\w+)\.(?:ipynb|html)",
                                         text):
            if letter in page and target in page.values() and page[letter] != target: wrong.append(f"{name}: {letter} "
                                                                                                   f"-> {target}")
        for letter in re.findall(r"\bAppendix ([A-Z])\b", text):
            if letter not in page: wrong.append(f"{name}: Appendix {letter} does not exist")
    assert not wrong, wrong
