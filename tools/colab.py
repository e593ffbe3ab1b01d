"""The notebooks' Colab install cell, defined once here, and the checks that it replaces nothing Colab preinstalls.

    python tools/colab.py sync-cells            # write INSTALL_CELL into every chapter (nbs/[0-9]*.ipynb)
    python tools/colab.py sync-cells --check    # exit 1 naming the chapters whose install cell differs
    python tools/colab.py preinstalled REPORT CONSTRAINTS  # the pins of CONSTRAINTS a `pip --report` REPORT installs
    python tools/colab.py try-cell DIR          # run the install script's command on this checkout, with this
                                                # interpreter's pip (its files in DIR): exit 1 naming each installed
                                                # package it changes
    python tools/colab.py wheels                # exit 1 naming runtime dependencies without a CPython 3.13 Linux wheel

The cell (hidden on the site) fetches tools/colab_install.py from the repository and runs it: it installs the package
with the `course` extra, passing pip every package the runtime has as a constraint at the version installed now, so pip
only adds what Colab lacks and, when Colab updates its runtime, still keeps what it has.
requirements/colab.txt (the exact versions Colab preinstalls, made by `tools/requirements.py colab` from its published
freeze) is the copy of that runtime CI tests against: `make colab` builds it (.venv-colab) and runs try-cell (the cell's
command, with this runtime's versions as its constraints), wheels, the chapters and pytest in it.
"""
import argparse, json, re, secrets, shlex, subprocess, sys, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO_URL = "https://github.com/emotion-nbdev/emotion_nbdev"
PROFILE = ROOT/"requirements"/"colab.txt"

SCRIPT = "tools/colab_install.py"  # the install itself: the cell fetches it from the repository and runs it
INSTALL_CELL = f'''\
#| hide
# On Colab: install this course's package, keeping every package Colab already has (no restart). Elsewhere: nothing.
import sys
if "google.colab" in sys.modules:
    !curl -fsSL -o /tmp/colab_install.py {REPO_URL.replace("github.com", "raw.githubusercontent.com")}/main/{SCRIPT}
    %run /tmp/colab_install.py'''


def chapters()->list[Path]: return sorted((ROOT/"nbs").glob("[0-9]*.ipynb"))


def install_cell_index(cells:list)->int|None:
    """Index of the install cell: the first code cell that runs the install script (or, in an older notebook, `%pip
    install`)."""
    return next((i for i, c in enumerate(cells) if c["cell_type"] == "code"
                 and ("colab_install.py" in "".join(c["source"]) or "%pip install" in "".join(c["source"]))), None)


def synced(nb:dict)->dict:
    """`nb` with INSTALL_CELL as its install cell (put right after the Colab badge when it has none); ids and metadata
    kept."""
    cells, i = nb["cells"], install_cell_index(nb["cells"])
    if i is None:
        badge = next((j for j, c in enumerate(cells) if "colab.research.google.com" in "".join(c["source"])), None)
        if badge is None: raise ValueError("no install cell, and no Colab badge cell to put one after")
        i = badge + 1
        cells.insert(i, {"cell_type": "code", "execution_count": None, "id": secrets.token_hex(4), "metadata": {},
                         "outputs": [], "source": []})
    cells[i].update(execution_count=None, outputs=[], source=INSTALL_CELL.splitlines(keepends=True))
    return nb


def sync_cells(check:bool):
    "Write INSTALL_CELL into every chapter, or with `check` exit 1 naming those that differ."
    stale, no_place = [], []
    for path in chapters():
        text, name = path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        # nbformat's layout
        try: new = json.dumps(synced(json.loads(text)), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
        except ValueError: no_place.append(name); continue
        if new == text: continue
        stale.append(name)
        if not check: path.write_text(new, encoding="utf-8")
    problems = [f"no install cell, and no Colab badge cell to put one after, in: {', '.join(no_place)}. Fix: give each "
                "the badge (a markdown cell linking to colab.research.google.com)"] if no_place else []
    if check and stale:
        problems.append(f"install cell differs from tools/colab.py's INSTALL_CELL in: {', '.join(stale)}. "
                                        "Fix: python tools/colab.py sync-cells")
    if not check and stale: print(f"updated the install cell of {len(stale)} chapters: {', '.join(stale)}")
    if problems: sys.exit("\n".join(problems))
    print(f"the install cell of all {len(chapters())} chapters is tools/colab.py's INSTALL_CELL")


def norm(name:str)->str: return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def pins(constraints:Path)->dict:
    "{normalized name: `name==version` line} of a constraints file."
    lines = [l.strip() for l in constraints.read_text().splitlines() if "==" in l and not l.startswith("#")]
    return {norm(l.split("==")[0]): l for l in lines}


def preinstalled(report:Path, constraints:Path):
    "Print the pins of `constraints` for the packages a `pip install --dry-run --report` would install."
    wanted = pins(constraints)
    names = {norm(item["metadata"]["name"]) for item in json.loads(report.read_text())["install"]}
    print("\n".join(sorted((wanted[n] for n in names & wanted.keys()), key=str.lower)))


def installed()->dict:
    "{normalized name: version} of this interpreter's environment."
    from importlib.metadata import distributions
    return {norm(d.metadata["Name"]): d.version for d in distributions()}


def install_script():
    "tools/colab_install.py as a module: the install the cells run."
    import importlib.util
    spec = importlib.util.spec_from_file_location("colab_install", ROOT/SCRIPT)
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


def try_cell(work:Path):
    """Dry-run the chapters' install command here, its constraints this environment's versions (as the cell writes them
    on Colab), and exit 1 naming each installed package it would change; then run it. Its files go to folder `work`."""
    # emotion-nbdev itself is no preinstalled package: when installed already (a second run), it is simply replaced
    before = installed()
    before.pop("emotion-nbdev", None)
    constraints = work/"runtime-constraints.txt"
    constraints.write_text("\n".join(f"{name}=={version}" for name, version in sorted(before.items())) + "\n")
    script = install_script()
    args = script.pip_args(str(constraints), script.PACKAGE.replace(f"git+{REPO_URL}", ROOT.as_uri()))
    print(f"the chapters run {SCRIPT}: pip {shlex.join(script.pip_args('CONSTRAINTS'))}\nhere: pip {shlex.join(args)}")
    report = work/"install-cell.json"
    pip = [sys.executable, "-m", "pip", *args]
    if subprocess.run([*pip, "--dry-run", "--report", str(report)]).returncode:
        sys.exit("pip cannot install the package while keeping every preinstalled version (its message above). Fix: "
                 "give the package (pyproject.toml) floors that Colab's versions meet, then `make colab`.")
    wanted = {norm(item["metadata"]["name"]): item["metadata"]["version"]
              for item in json.loads(report.read_text())["install"]}
    changes = [f"{name} {before[name]} -> {version}" for name, version in sorted(wanted.items()) if name in before]
    adds = [f"{name}=={version}" for name, version in sorted(wanted.items()) if name not in before]
    print(f"dry run: changes {len(changes)} of the {len(before)} packages installed; adds {len(adds)}: "
          f"{', '.join(adds)}")
    if changes: sys.exit("the install cell would replace preinstalled packages: " + ", ".join(changes) +
                         ". Fix: give the package (pyproject.toml) floors that Colab's versions meet, then `make "
                         "colab`.")
    subprocess.run(pip, check=True)
    after = installed()
    moved = [f"{name} {version} -> {after.get(name)}" for name, version in before.items() if after.get(name) != version]
    if moved: sys.exit("the install cell replaced preinstalled packages: " + ", ".join(moved))
    print("installed; every preinstalled package kept")


# The runtime Colab users have: CPython 3.13 (requirements/colab.txt's header) on Ubuntu 22.04, so glibc 2.35, x86-64.
GLIBC_MINOR = 35

def colab_python()->str:
    return re.search(r"Python (\d+\.\d+\.\d+)", PROFILE.read_text())[1]


def marker_env(python:str)->dict:
    return dict(python_version=python.rsplit(".", 1)[0], python_full_version=python, implementation_name="cpython",
                platform_python_implementation="CPython", sys_platform="linux", platform_system="Linux",
                platform_machine="x86_64", os_name="posix")


def runtime_closure(python:str)->dict:
    """{name: version} of the closure of the package's runtime dependencies on Colab's Python (markers evaluated for
    it): Colab's version where it preinstalls the package, else the one installed here (the install cell's choice).
    Dependencies are read from this environment's metadata; torch here is a CPU build, so the CUDA packages of Colab's
    torch are not walked."""
    from importlib.metadata import PackageNotFoundError, distribution
    from packaging.requirements import Requirement
    colab, here, env = pins(PROFILE), installed(), marker_env(python)
    closure, seen, todo = {}, set(), [("emotion-nbdev", frozenset())]
    while todo:
        name, extras = todo.pop()
        key = norm(name)
        if (key, extras) in seen: continue
        seen.add((key, extras))
        closure[key] = colab[key].split("==")[1] if key in colab else here.get(key)
        if closure[key] is None:
            sys.exit(f"{name}: needed on Colab's Python {python}, neither on Colab nor installed here")
        try: requires = distribution(name).requires or []
        except PackageNotFoundError: continue  # a dependency on Colab's Python only: its own are not walked
        for req in map(Requirement, requires):  # the package's extras (course, test, dev) stay out: `extra` is ""
            if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in {"", *extras}):
                todo.append((req.name, frozenset(req.extras)))
    del closure["emotion-nbdev"]
    return closure


def pypi_files(name:str, version:str)->list[dict]:
    "The files PyPI holds for `name` `version` (its JSON API; the project's page when the release's page is missing)."
    def get(url):
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "emotion-nbdev-ci"}),
                                    timeout=120) as r:
            return json.load(r)
    try: return get(f"https://pypi.org/pypi/{name}/{version}/json")["urls"]
    except urllib.error.HTTPError as e:
        if e.code != 404: raise
        return get(f"https://pypi.org/pypi/{name}/json")["releases"].get(version, [])


def wheels():
    "Exit 1 naming the runtime dependencies with no wheel on PyPI that installs on Colab's CPython on Linux x86-64."
    from packaging import tags
    from packaging.specifiers import SpecifierSet
    from packaging.utils import parse_wheel_filename
    python = colab_python()
    major, minor = map(int, python.split(".")[:2])
    platforms = [f"manylinux_2_{m}_x86_64" for m in range(GLIBC_MINOR, 4, -1)] + \
                ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    preference = [*tags.cpython_tags((major, minor), platforms=platforms),  # most specific first, as pip ranks them
                  *tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms)]
    rank = {tag: i for i, tag in reversed(list(enumerate(preference)))}
    closure = runtime_closure(python)

    def wheel_for(item):
        "(name, release, the wheel pip would pick for Colab, or None)"
        name, version = item
        # Colab's local builds (torch 2.11.0+cu128) are that release on PyPI
        release, best = version.split("+")[0], None
        for f in pypi_files(name, release):
            if not f["filename"].endswith(".whl"): continue
            if not SpecifierSet(f.get("requires_python") or "").contains(python, prereleases=True): continue
            ranks = [rank[tag] for tag in parse_wheel_filename(f["filename"])[3] if tag in rank]
            if ranks and (best is None or min(ranks) < best[0]): best = (min(ranks), f["filename"])
        return name, release, best and best[1]

    with ThreadPoolExecutor(8) as pool: found = sorted(pool.map(wheel_for, closure.items()))
    for name, release, wheel in found: print(f"  {name}=={release}: {wheel or 'NO WHEEL'}")
    missing = [f"{name}=={release}" for name, release, wheel in found if wheel is None]
    if missing: sys.exit(f"no wheel on PyPI for CPython {python} on manylinux x86-64: {', '.join(missing)}")
    print(f"all {len(found)} runtime dependencies have a wheel for CPython {python} on manylinux x86-64")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync-cells", help="write INSTALL_CELL into every chapter")
    sync.add_argument("--check", action="store_true", help="fail naming the chapters whose install cell differs")
    pre = commands.add_parser("preinstalled", help="the pins of CONSTRAINTS a `pip --report` REPORT installs")
    pre.add_argument("report", type=Path); pre.add_argument("constraints", type=Path)
    cell = commands.add_parser("try-cell", help="run the chapters' install command here: fail if it changes a package")
    cell.add_argument("work", type=Path, help="folder for its files (the constraints it writes, pip's report)")
    commands.add_parser("wheels", help="fail naming runtime dependencies without a wheel for Colab's Python")
    args = parser.parse_args()
    if args.command == "sync-cells": sync_cells(args.check)
    elif args.command == "preinstalled": preinstalled(args.report, args.constraints)
    elif args.command == "try-cell": try_cell(args.work.resolve())
    else: wheels()


if __name__ == "__main__":
    main()
