"""Run the notebooks as `nbdev-test` does, without nbdev: each in a Jupyter kernel of this interpreter (nbclient).

    python tools/run_notebooks.py [PATH ...] [--flags slow] [--n-workers 2]

`make colab` runs the chapters with it at Colab's versions, where nbdev is not installed (it would replace Colab's
fastcore). It keeps nbdev-test's rules (nbdev 3.3, nbdev/test.py):
- notebooks: the `*.ipynb` under PATHs (default: pyproject.toml's `nbs_path`), into subfolders when `recursive`,
  leaving out names that start with `_` or `.` and folders holding a `.notest` file; a notebook whose frontmatter
  says `skip_exec: true`, or whose kernel is not Python, is skipped whole;
- cells: only code cells run, and not those whose `eval` directive is false (default: the frontmatter's `eval`),
  tagged `skip-execution`, calling `nbdev_export(`, or carrying a flag of `tst_flags` not passed with --flags.
  A cell's directives are its leading `#| name: value` lines, then its `nbdev` metadata; the notebook's `nbdev`
  metadata counts as directives of its first code cell;
- each notebook runs in its own folder with that folder and the project root first on sys.path, IN_TEST=1, at most
  `cell_timeout` seconds a cell (600), and stops at its first error; comment lines before a cell magic are dropped,
  as nbdev's shell (execnb) drops them. Unlike that in-process shell, a real kernel runs each notebook, as on Colab.
"""
import argparse, os, re, sys, tempfile, time, tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat, yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = dict(nbs_path="nbs", tst_flags="notest", recursive=True, cell_timeout=600)  # nbdev's, for keys not set
# directive, cell magic or blank: the lines directives are read from
LEADING = re.compile(r"^(\s*#\s*\||\s*%%\w+|\s*$)")


def nbdev_config()->dict:
    return {**DEFAULTS, **tomllib.loads((ROOT/"pyproject.toml").read_text())["tool"]["nbdev"]}


def notebooks(paths:list, config:dict)->list[Path]:
    "The notebooks nbdev-test would pick from `paths` (files, or folders searched as nbdev's `nbglob` does)."
    found = []
    for path in map(Path, paths or [ROOT/config["nbs_path"]]):
        if path.is_file(): found.append(path); continue
        for folder, subfolders, files in os.walk(path, followlinks=True):
            subfolders[:] = [d for d in subfolders if not re.match(r"[_.]", d)] if config["recursive"] else []
            found += [Path(folder)/f for f in files if f.endswith(".ipynb") and not re.match(r"[_.]", f)]
    return [p.absolute() for p in sorted(found) if not (p.parent/".notest").exists()]


def yaml_block(text:str)->dict:
    "The mapping of a cell that is a `---` YAML block and nothing else (fastcore's `cell_frontmatter`), else {}."
    text = text.strip()
    if not text.startswith("---\n"): return {}
    end = min((i for i in (text.find(f"\n{c}\n", 3) for c in ("---", "...")) if i >= 0), default=-1)
    if end < 0:
        if not text.endswith(("\n---", "\n...")): return {}
        end = len(text) - 4
    found = yaml.safe_load(text[4:end])
    return found if isinstance(found, dict) and not text[end+5:].strip() else {}


def markdown_frontmatter(text:str)->dict:
    "A title cell's frontmatter (fastcore's `md_frontmatter`): `# title`, `> description`, `- key: value` lines."
    title = re.search(r"^#\s+(\S.*?)\s*$", text, re.M)
    if not title: return {}
    found = dict(title=title[1])
    if description := re.search(r"^>\s+(\S.*?)\s*$", text, re.M): found["description"] = description[1]
    if pairs := re.findall(r"^-\s+(\S.*:.*\S)\s*$", text, re.M):
        try: found.update(yaml_block("---\n" + "\n".join(pairs) + "\n---"))
        except yaml.YAMLError: pass  # nbdev warns and goes on
    return found


def frontmatter(nb)->dict:
    """fastcore's `nb_frontmatter`: the notebook's `nbdev` metadata, then its first markdown cell, then its first raw
    cell."""
    found = dict(nb.metadata.get("nbdev") or {})
    markdown = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    raw = next((c for c in nb.cells if c.cell_type == "raw"), None)
    if markdown: found.update(yaml_block(markdown.source) or markdown_frontmatter(markdown.source))
    if raw: found.update(yaml_block(raw.source))
    return found


def meta_directives(metadata)->dict:
    "Directives from an `nbdev` metadata mapping ('true' means a bare directive, '')."
    return {k: "" if v == "true" else v for k, v in ((metadata or {}).get("nbdev") or {}).items()}


def directives(cell)->dict:
    "{name: value} of a cell's leading `#| name: value` lines ('' for a bare `#| name`), then of its `nbdev` metadata."
    found = {}
    for line in cell.source.splitlines(keepends=True):
        if not LEADING.search(line): break
        if match := re.match(r"\s*#\s*\|\s*([^\s:]+)\s*:?\s?(.*?)\s*$", line, re.S):
            found[match[1]] = "" if match[2] == "true" else match[2]
    return {**meta_directives(cell.get("metadata")), **found}


def truthy(value)->bool:
    "fastcore's `str2bool`."
    if not isinstance(value, str): return bool(value)
    if value.lower() in ("", "n", "no", "f", "false", "off", "0"): return False
    if value.lower() in ("y", "yes", "t", "true", "on", "1"): return True
    raise TypeError(f"{value!r} is not a yes/no value")


def cells_to_run(nb, skip_flags:set)->list|None:
    "(index, cell) of the cells nbdev-test runs, or None when it skips the whole notebook."
    fm = frontmatter(nb)
    if truthy(fm.get("skip_exec", False)) or nb.metadata.get("kernelspec", {}).get("language", "python") != "python":
        return None
    default_eval = {True: True, "true": True, "True": True, False: False, "false": False,
                    "False": False}.get(fm.get("eval"), True)
    own = {i: directives(c) for i, c in enumerate(nb.cells)}
    flags = dict(own)  # for flags, the notebook's `nbdev` metadata counts as its first code cell's (not for `eval`)
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
    if first_code is not None:
        notebook = {k: v for k, v in meta_directives(nb.metadata).items() if not any(k in d for d in own.values())}
        flags[first_code] = {**notebook, **own[first_code]}

    def runs(i, cell):
        if cell.cell_type != "code": return False
        if "skip-execution" in cell.metadata.get("tags", []) or "nbdev_export(" in cell.source: return False
        value = own[i].get("eval")
        evaluated = True if value in ("", "true", "True") else False if value in ("false", "False") else default_eval
        return evaluated and not skip_flags & flags[i].keys()
    return [(i, c) for i, c in enumerate(nb.cells) if runs(i, c)]


def without_leading_comments(source:str)->str:
    "execnb's `leading_comment_lines`: drop blank and comment lines before a cell magic, which must start its cell."
    lines = source.splitlines(keepends=True)
    i = next((i for i, l in enumerate(lines) if l.strip() and not l.lstrip().startswith("#")), 0)
    return "".join(lines[i:]) if i and lines[i].startswith("%%") else source


def shown(path:Path)->Path: return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def run_notebook(path:Path, skip_flags:set, timeout:int|None)->tuple:
    "(passed, seconds, failure report) of one notebook, run top to bottom in a fresh kernel."
    start = time.time()
    nb = nbformat.read(path, as_version=4)
    selected = cells_to_run(nb, skip_flags)
    if selected is None: return True, 0.0, ""
    setup = f"import sys\nsys.path[:0] = {[str(path.parent), str(ROOT)]!r}"
    run = nbformat.v4.new_notebook(metadata=nb.metadata, cells=[nbformat.v4.new_code_cell(setup)] +
                                   [nbformat.v4.new_code_cell(without_leading_comments(c.source)) for _, c in selected])
    current = [0]
    client = NotebookClient(run, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_start=lambda cell, cell_index: current.__setitem__(0, cell_index))
    try: client.execute()
    except Exception as e:
        index, cell = selected[current[0] - 1] if current[0] else ("(setup)",
                                                                   nbformat.v4.new_code_cell(setup, id="setup"))
        outputs = run.cells[current[0]].get("outputs", [])
        error = "\n".join("\n".join(o.traceback) for o in outputs
                          if o.output_type == "error") or f"{type(e).__name__}: {e}"
        error = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", error)
        return False, time.time() - start, (f"{'=' * 80}\n{shown(path)}: cell {index} (id {cell.get('id')}) failed. "
                                            f"Its source:\n{cell.source}\n{'-' * 80}\n{error}\n")
    return True, time.time() - start, ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="notebooks or folders (default: nbs_path)")
    parser.add_argument("--flags", default="", help="space-separated test flags to run that are normally skipped")
    parser.add_argument("--n-workers", type=int, help="notebooks run at once (default: as nbdev-test, up to 8)")
    args = parser.parse_args()
    config = nbdev_config()
    if config.get("test_setup"): sys.exit("pyproject.toml sets nbdev's `test_setup`, which this runner does not do")
    skip_flags = set(config["tst_flags"].split() if isinstance(config["tst_flags"],
                                                               str) else config["tst_flags"]) - set(args.flags.split())
    files = notebooks(args.paths, config)
    if not files: sys.exit("no notebooks to run")
    workers = args.n_workers if args.n_workers is not None else 0 if len(files) == 1 else min(os.cpu_count(), 8)
    # IN_TEST as nbdev-test sets it; PYDEVD_...: no warning from the debugger ipykernel imports (here, in the kernels)
    os.environ.update(IN_TEST="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    timeout = config["cell_timeout"] or None
    os.chdir(ROOT/config["nbs_path"])  # as nbdev-test; each kernel starts in its notebook's folder
    results = []
    with tempfile.TemporaryDirectory() as specs, ProcessPoolExecutor(workers or 1) as pool:  # 0 workers: runs here
        # the kernel is this interpreter: a `python3` kernelspec found first on JUPYTER_PATH
        from ipykernel.kernelspec import write_kernel_spec
        write_kernel_spec(Path(specs)/"kernels"/"python3")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [specs, os.environ.get("JUPYTER_PATH")]))
        runs = (pool.map if workers else map)(run_notebook, files, [skip_flags]*len(files), [timeout]*len(files))
        # in order, each as soon as it and those before are done
        for path, (passed, seconds, report) in zip(files, runs):
            print(f"{'ok  ' if passed else 'FAIL'} {shown(path)} ({seconds:.0f} s)", flush=True)
            if report: sys.stderr.write(report)
            results.append((path, passed))
    if failed := [path.name for path, passed in results if not passed]: sys.exit("notebooks failed: "
                                                                                 f"{', '.join(failed)}")
    print("Success.")


if __name__ == "__main__":
    main()
