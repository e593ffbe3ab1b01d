"""Install this course's package on Colab without replacing any package Colab preinstalls.

Every chapter's first cell fetches this file and runs it (`%run`). Every package the runtime already has goes to pip as
a
constraint at the version installed now, so pip only adds what Colab lacks (the package itself, ONNX, ONNX Runtime...)
and replaces nothing (torch, numpy, pandas, the kernel...): no restart. `tools/colab.py try-cell` runs the same install
on a copy of Colab's runtime in CI.
"""
import os, subprocess, sys, tempfile
from importlib.metadata import distributions

PACKAGE = "emotion-nbdev[course] @ git+https://github.com/emotion-nbdev/emotion_nbdev"


def installed()->dict:
    "name -> version; of two copies of a package, the first is the one Python imports."
    found = {}
    for d in distributions(): found.setdefault((d.metadata["Name"] or "").lower(), d.version)
    return found


def pin(name:str, version:str)->str|None:
    "A constraint keeping `name` at `version`; none for a version pip cannot read (rare) or for this course's package."
    from packaging.version import InvalidVersion, Version
    try: Version(version)
    except (InvalidVersion, TypeError): return None
    return f"{name}=={version}" if name and name != "emotion-nbdev" else None


def constraints_file(preinstalled:dict)->str:
    "A pip constraints file pinning every preinstalled package."
    path = os.path.join(tempfile.gettempdir(), "colab-preinstalled.txt")
    with open(path, "w") as f: f.write("\n".join(filter(None, (pin(n, v) for n, v in preinstalled.items()))))
    return path


def pip_args(constraints:str, package:str=PACKAGE)->list:
    "The pip command line (after `pip`) that installs `package` within `constraints`."
    return ["install", "-q", "-c", constraints, package]


def main(package:str=PACKAGE):
    preinstalled = installed()
    subprocess.run([sys.executable, "-m", "pip", *pip_args(constraints_file(preinstalled), package)])
    now = installed()
    replaced = [f"{name} {version} -> {now.get(name)}"
                for name, version in preinstalled.items() if now.get(name) != version]
    if "emotion-nbdev" not in now: print("The install failed (pip says why above); the chapters need it.")
    elif replaced: print("pip replaced preinstalled packages:", ", ".join(replaced) + ".",
                         "Restart the session (Runtime > Restart session), then run this notebook again from the top.")
    else: print("Installed. Every preinstalled package is as it was: no restart needed.")


if __name__ == "__main__": main()
