"The `emotion-nbdev` command end to end."
import json, subprocess, sys
from pathlib import Path

from emotion_nbdev.cli import main

EXE = Path(sys.executable).parent/"emotion-nbdev"


def test_help_lists_subcommands():
    proc = subprocess.run([EXE, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for command in ("data", "train"): assert command in proc.stdout


def test_data_report(carer_dir):
    proc = subprocess.run([EXE, "data", "--data", str(carer_dir)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "total" in proc.stdout and "96" in proc.stdout and "duplicated inside split" in proc.stdout


def test_data_bad_input_exits_2_with_the_fix(tmp_path):
    (tmp_path/"train.txt").write_text("no separator here\n")
    proc = subprocess.run([EXE, "data", "--data", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "has no val.txt, test.txt" in proc.stderr and "Fix:" in proc.stderr


def test_train_end_to_end(carer_dir, tiny_model_dir, tmp_path, capsys):
    out = tmp_path/"model"
    code = main(["train", "--data", str(carer_dir), "--checkpoint", str(tiny_model_dir), "--output-dir", str(out),
                 "--epochs", "1", "--batch-size", "16", "--learning-rate", "1e-3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "validation" in printed and "test" in printed and "accuracy" in printed
    metrics = json.loads((out/"metrics.json").read_text())
    assert metrics["recipe"]["epochs"] == 1 and {"validation", "test"} <= set(metrics)


def test_every_recipe_setting_is_a_train_flag(monkeypatch, capsys):
    """The flags come from `settings.Recipe`: each reaches `train_classifier`, unset ones as None (the checkpoint's
    recipe decides)."""
    import dataclasses
    from emotion_nbdev import training
    from emotion_nbdev.settings import Recipe
    got = {}
    def fake_train(**kwargs): got.update(kwargs); raise KeyboardInterrupt  # stop before any work
    monkeypatch.setattr(training, "train_classifier", fake_train)
    monkeypatch.setattr("emotion_nbdev.data.load_emotions", lambda *args, **kwargs: None)
    assert main(["train", "--warmup", "0.06", "--label-smoothing", "0.1", "--no-freeze-embeddings", "--dropout",
                 "0"]) == 130
    assert {f.name for f in dataclasses.fields(Recipe)} <= set(got)
    assert (got["warmup"], got["label_smoothing"], got["freeze_embeddings"], got["dropout"], got["epochs"]) == (0.06,
        0.1, False, 0.0, None)
    assert main(["train", "--warmup", "1"]) == 2 and ("--warmup: 1: give a finite number of at least 0 and below "
                                                      "1") in capsys.readouterr().err
