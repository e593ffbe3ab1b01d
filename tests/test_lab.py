("`make lab` opens the course: JupyterLab, started the way the Makefile starts it, serves the chapters and a kernel of "
 "this environment that imports the package.")
import json, os, re, socket, subprocess, sys, time
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lab_command()->list[str]:
    "The `lab` recipe of the Makefile, as arguments of this environment's `jupyter`."
    recipe = re.search(r"^lab:.*\n\tJUPYTER_PATH=[^\n]*?\$\((?:COURSE_)?BIN\)/jupyter (lab[^#\n]*)",
                       (ROOT/"Makefile").read_text(), flags=re.M)
    assert recipe, "the Makefile has no `lab` target running $(COURSE_BIN)/jupyter lab"
    return [str(Path(sys.executable).parent/"jupyter"), *recipe[1].split()]


def get(url:str):
    with urlopen(url, timeout=10) as response: return json.loads(response.read())


@pytest.mark.slow
def test_make_lab_serves_the_chapters_and_a_working_kernel():
    pytest.importorskip("jupyterlab")
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    env = {**os.environ, "JUPYTER_PATH": str(Path(sys.prefix)/"share"/"jupyter")}  # as the Makefile sets it
    server = subprocess.Popen([*lab_command(), "--no-browser", f"--port={port}", "--IdentityProvider.token=t"],
                              cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}/api"
        for _ in range(120):
            try: contents = get(f"{base}/contents?token=t"); break
            except OSError: time.sleep(0.5)
        else: pytest.fail("JupyterLab did not answer within a minute")
        names = {c["name"] for c in contents["content"]}
        assert {"index.ipynb", "01_data.ipynb", "04_finetuning.ipynb"} <= names, names
        spec = get(f"{base}/kernelspecs?token=t")
        python = spec["kernelspecs"][spec["default"]]["spec"]["argv"][0]
        assert Path(python).absolute() == Path(sys.executable).absolute(), (f"the course's kernel runs {python}, not "
                                                                            "this environment")
        out = subprocess.run([python, "-c", "import emotion_nbdev.data, emotion_nbdev.finetune; print('ok')"],
                             capture_output=True, text=True, cwd=ROOT/"nbs")
        assert out.stdout.strip() == "ok", out.stderr[-2000:]
    finally:
        server.terminate(); server.wait(timeout=30)
