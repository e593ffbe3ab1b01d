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
