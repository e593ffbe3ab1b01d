"""The exercise checkers (emotion_nbdev.exercises) on small made-up data: every checker accepts a right answer and
rejects a wrong one, a blank answer is "not answered yet", and every chapter's Exercises section is well formed."""
import ast
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch

from emotion_nbdev.exercises import CHECKERS, NOT_ANSWERED, check

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT/"nbs").glob("0[1-9]_*.ipynb"))


class Labeller:
    "A stand-in classifier: labels a text by a rule."
    def __init__(self, rule): self.rule, self.model_dir = rule, "nowhere"
    def predictions(self, texts, progress=False): return {"label": [self.rule(t) for t in texts]}


def trainer(accuracies, losses, best_step):
    log = [{"eval_loss": l, "eval_accuracy": a, "epoch": e + 1, "step": 10 * (e + 1)} for e, (a, l) in enumerate(zip(accuracies, losses))]
    return SimpleNamespace(state=SimpleNamespace(log_history=log, best_model_checkpoint=f"out/checkpoint-{best_step}"),
                           args=SimpleNamespace(learning_rate=5e-5, num_train_epochs=2, metric_for_best_model="accuracy", greater_is_better=True))


SPLITS = {"train": (["a", "b", "c"], [0, 1, 2]), "validation": (["d"], [3]), "test": (["a", "b", "d", "e"], [0, 5, 4, 1])}
LABELS = [0] * 6 + [1] * 3 + [2, 3, 4] + [5] * 3
RNG = np.random.default_rng(0)
X = {s: RNG.normal(size=(80, 3)) for s in ("train", "validation")}
Y = {s: (X[s][:, 0] > 0).astype(int) for s in X}
DF = pd.DataFrame({"text": list("abcdef"), "label": ["surprise"] * 4 + ["joy"] * 2,
                   "predicted_label": ["joy", "surprise", "fear", "surprise", "joy", "surprise"],
                   "loss": [3.0, 0.1, 2.0, 0.2, 0.01, 4.0], "confidence": [0.95, 0.6, 0.92, 0.99, 0.99, 0.98]})
TWEETS = ["i am happy", "so happy", "i am fine", "rain", "i miss you"]
SIX = {"texts": TWEETS, "classifier": Labeller(lambda t: "joy" if "happy" in t else "sadness"),
       "int8": Labeller(lambda t: "joy" if "happy" in t or "fine" in t else "sadness")}


def max_pool(hidden, mask): return hidden.masked_fill(mask.unsqueeze(-1) == 0, float("-inf")).max(1).values


# exercise -> (right answer, wrong answer, what the checker is given)
CASES = {
    "ch01-e1": (["d", "b"], ["b"], dict(splits=SPLITS)),
    "ch01-e2": ([15 / 36, 15 / 18, 2.5, 2.5, 2.5, 15 / 18], [6 / 15, 3 / 15, 1 / 15, 1 / 15, 1 / 15, 3 / 15], dict(labels=LABELS)),
    "ch01-q1": ("b", "a", {}), "ch01-q2": ("c", "b", {}),
    "ch02-e1": ({8: 1 - 19 / 36, 64: 1 - 19 / 36}, {8: 19 / 36, 64: 19 / 36}, dict(lengths=[3, 9, 4, 3])),
    "ch02-e2": (4, 30522, dict(ids=[[101, 7, 102], [101, 8, 102]])),
    "ch02-q1": ("a", "b", {}), "ch02-q2": ("b", "c", {}), "ch02-q3": ("the [CLS] token", "[SEP]", {}),
    "ch03-e1": (None, 0.0, dict(features=X, labels=Y)),  # right answer computed below
    "ch03-e2": (max_pool, lambda h, m: h.max(1).values, {}),
    "ch03-q1": ("a", "c", {}), "ch03-q2": ("c", "b", {}),
    "ch04-e1": (2, 1, dict(trainer=trainer([0.7, 0.8], [0.5, 0.6], best_step=20))),
    "ch04-e2": (150150, 2310, dict(weights=dict(head=150150, classifier=2310, all=22715526))),
    "ch04-q1": ("b", "a", {}), "ch04-q2": ("c", "a", {}), "ch04-q3": ("a", "b", {}),
    "ch05-e1": (["a", "c"], ["f", "a"], dict(df=DF, n=2)),
    "ch05-e2": ((5 / 6, 0.4), (5 / 6, 0.6), dict(df=DF)),
    "ch05-q1": ("c", "a", {}), "ch05-q2": ("b", "a", {}),
    "ch06-e1": (0.8, 0.2, SIX),
    "ch06-e2": (0.6, 0.4, dict(rewrite=lambda t: t + " happy", classifier=SIX["classifier"], texts=TWEETS)),
    "ch06-q1": ("b", "c", {}), "ch06-q2": ("It lower-cases it", "it splits words", {}),
}


def test_every_checker_has_a_case():
    assert set(CASES) == set(CHECKERS)


@pytest.mark.parametrize("exercise", sorted(CASES))
def test_right_passes_wrong_fails_blank_waits(exercise):
    right, wrong, given = CASES[exercise]
    if exercise == "ch03-e1":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=1.0)).fit(X["train"], Y["train"])
        right = (lr.predict(X["validation"]) == Y["validation"]).mean()
    verdict = check(exercise, right, **given)
    assert verdict.passed is True and verdict.message.startswith("✓ right: "), verdict
    verdict = check(exercise, wrong, **given)
    assert verdict.passed is False and verdict.message.startswith("✗ not yet: ") and " — hint: " in verdict.message, verdict
    assert check(exercise, None, **given).message == NOT_ANSWERED


@pytest.mark.parametrize("exercise", [e for e in sorted(CASES) if "-e" in e])
@pytest.mark.parametrize("odd", ["0.5", {"x": 1}, 3.5, ["a", 2]])
def test_odd_answers_get_a_verdict_not_a_traceback(exercise, odd):
    verdict = check(exercise, odd, **CASES[exercise][2])
    assert verdict.passed is False and verdict.message.startswith("✗ not yet: "), verdict


def test_numbers_in_any_form():
    assert check("ch02-e2", np.int64(4), ids=[[101, 7, 102], [101, 8, 102]]).passed
    assert check("ch04-e1", np.float32(2.0), **CASES["ch04-e1"][2]).passed
    assert check("ch05-e1", pd.Series(["c", "a", "c"]), df=DF, n=2).passed   # any order, repeats
    assert check("ch05-e1", DF.index[[2, 0]], df=DF, n=2).passed            # row labels
    with_probs = DF.copy(); with_probs.attrs["probs"] = np.zeros((len(DF), 6)).tolist()  # as `example_errors` returns it
    assert check("ch05-e1", ["a", "c"], df=with_probs, n=2).passed
    assert "got the text" in check("ch04-e2", "150150", **CASES["ch04-e2"][2]).message
    assert "percentage" in check("ch06-e1", 80, **SIX).message


def test_missing_context_says_what_to_pass():
    assert "check(..., df=df_valid)" in check("ch05-e1", ["a"]).message
    assert "trainer=small_trainer" in check("ch04-e1", 1).message
    assert "classifier=emotion_classifier" in check("ch06-e2", 0.1, rewrite=str.upper).message
    assert check("ch99-e1", 1).passed is False


def exercise_cells(notebook):
    cells = nbformat.read(notebook, as_version=4).cells
    start = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    return cells[start:]


def check_calls(cells):
    "(exercise id, the names its check cell passes) for each check(...) call in `cells`."
    calls = []
    for c in cells:
        if c.cell_type != "code": continue
        for node in ast.walk(ast.parse(c.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
                calls.append((node.args[0].value, [k.arg for k in node.keywords]))
    return calls


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_each_chapter_ends_with_exercises(notebook):
    "4-6 exercises, at least two of code and two questions, each with a blank placeholder; the solutions linked."
    cells = exercise_cells(notebook)
    ids = [qid for qid, _ in check_calls(cells)]
    chapter = "ch" + notebook.name[:2]
    assert all(i.startswith(chapter) for i in ids) and len(set(ids)) == len(ids), ids
    assert 4 <= len(ids) <= 6 and sum("-e" in i for i in ids) >= 2 and sum("-q" in i for i in ids) >= 2, ids
    assert set(ids) == {q for q in CHECKERS if q.startswith(chapter)}, ids
    assert "(21_solutions.ipynb)" in cells[0].source
    placeholders = [c.source for c in cells if c.cell_type == "code"
                    and any(mark in c.source for mark in ("# your code here", '"a", "b" or "c"', "# a few words"))]
    assert len(placeholders) == len(ids), placeholders
    for source in placeholders:  # every name the reader fills in starts empty
        for node in ast.parse(source).body:
            assert isinstance(node, ast.Assign) and ast.literal_eval(node.value) in (None, []) or isinstance(node, ast.Expr), source
    assert "Next:" not in "".join(c.source for c in cells[:-1] if c.cell_type == "markdown"), "the closing line goes after the exercises"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_blank_exercises_say_not_answered(notebook):
    "With every answer blank, each check cell of the chapter prints 'not answered yet' (the chapter's own variables stubbed)."
    for exercise, given in check_calls(exercise_cells(notebook)):
        assert check(exercise, None, **{name: object() for name in given}).message == NOT_ANSWERED


def test_a_model_never_that_sure_still_needs_the_right_answer():
    "ch05-e2 when no tweet reaches 0.9 (a short fast-mode run): coverage 0 and no accuracy pass; any accuracy number fails."
    unsure = DF.assign(confidence=0.5)
    assert check("ch05-e2", (0.0, float("nan")), df=unsure).passed
    assert check("ch05-e2", (0, None), df=unsure).passed
    for wrong in ((0.0, 0.5), (0.0, 0.0), (0.1, float("nan"))): assert check("ch05-e2", wrong, df=unsure).passed is False, wrong
