"The built wheel installs and its `emotion-nbdev` command runs outside the source tree."
import subprocess, sys, sysconfig, venv
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.slow
def test_wheel_installs_working_cli(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path/"dist", ROOT], check=True)
    wheel, = (tmp_path/"dist").glob("emotion_nbdev-*.whl")
    env_dir = tmp_path/"venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir/"bin"/"python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # borrow the dependencies (torch, transformers...) from this environment, not the project itself
    (Path(site)/"deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", wheel], check=True)
    where = subprocess.run([python, "-c", "import emotion_nbdev; print(emotion_nbdev.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert where.startswith(str(env_dir)), where
    proc = subprocess.run([env_dir/"bin"/"emotion-nbdev", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for command in ("data", "train", "evaluate", "predict"): assert command in proc.stdout
