"Fine-tuning end to end on a tiny model: resume after a kill, DDP on two CPU processes, the saved folder."
import json, os, subprocess, sys
from pathlib import Path

import pytest
from transformers import pipeline

SCRIPT = Path(__file__).parent/"train_tiny.py"


def run(*args, env=None):
    proc = subprocess.run([*args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)
    return proc


def metrics_of(proc):
    lines = [l for l in proc.stdout.splitlines() if l.startswith("METRICS ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1][8:])


@pytest.mark.slow
@pytest.mark.versions  # Trainer's resume / pipeline's loading
def test_killed_run_resumes_from_last_checkpoint(carer_dir, tiny_model_dir, tmp_path):
    out = tmp_path/"run"
    # 96 rows / batch 16 = 6 steps per epoch; step 9 is in the middle of epoch 2
    killed = run(sys.executable, SCRIPT, carer_dir, tiny_model_dir, out, "--epochs", "3", "--kill-at-step", "9")
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-6"]
    assert not (out/"metrics.json").exists()
    metrics = metrics_of(run(sys.executable, SCRIPT, carer_dir, tiny_model_dir, out, "--epochs", "3", "--resume"))
    assert metrics["resumed_from"].endswith("checkpoint-6")
    assert [h["epoch"] for h in metrics["history"]] == [1.0, 2.0, 3.0]  # the validation curve spans the kill
    assert (out/"metrics.json").exists() and not list(out.glob("checkpoint-*"))
    state = json.loads((out/"metrics.json").read_text())
    assert state["recipe"]["epochs"] == 3


@pytest.mark.slow
@pytest.mark.versions  # torch.distributed under Trainer
def test_ddp_two_cpu_processes(carer_dir, tiny_model_dir, tmp_path):
    torchrun = Path(sys.executable).parent/"torchrun"
    proc = run(torchrun, "--standalone", "--nproc_per_node", "2", SCRIPT, carer_dir, tiny_model_dir, tmp_path/"ddp",
               "--epochs", "1", env={"OMP_NUM_THREADS": "1"})
    metrics = metrics_of(proc)
    assert metrics["world_size"] == 2
    assert 0 <= metrics["test"]["accuracy"] <= 1
    assert (tmp_path/"ddp"/"model.safetensors").exists()


@pytest.mark.slow
@pytest.mark.versions  # Trainer's resume / pipeline's loading
def test_saved_model_loads_in_plain_pipeline(carer_dir, tiny_model_dir, tmp_path):
    metrics = metrics_of(run(sys.executable, SCRIPT, carer_dir, tiny_model_dir, tmp_path/"m", "--epochs", "1"))
    classifier = pipeline("text-classification", model=str(tmp_path/"m"), top_k=None)
    result = classifier("i feel so happy today")[0]  # top_k=None: one list of scores per text
    assert {r["label"] for r in result} == {"sadness", "joy", "love", "anger", "fear", "surprise"}
    assert abs(sum(r["score"] for r in result) - 1) < 1e-5
    card = (tmp_path/"m"/"README.md").read_text()
    assert f"{metrics['test']['accuracy']:.4f}" in card


def test_push_to_hub_without_login_says_how(monkeypatch, carer_dir, tiny_model_dir, tmp_path):
    from emotion_nbdev.data import load_emotions
    from emotion_nbdev.training import train_classifier
    monkeypatch.setenv("HF_HUB_OFFLINE", "1"); monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path/"hf"))
    with pytest.raises(RuntimeError, match="not logged in.*Fix: log in with `hf auth login`") as raised:
        train_classifier(load_emotions(carer_dir), str(tiny_model_dir), tmp_path/"x", push_to_hub=True)
    assert raised.value.options == ["push_to_hub", "push_to_hub"]  # the setting, and the fix without it
