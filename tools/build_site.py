"""Build the course's docs site offline into `docs/`: nbdev's processed notebooks, rendered by MkDocs.

nbdev renders its site with Quarto (`nbdev-docs`, the GitHub docs workflow). Quarto cannot be
installed on machines without internet, so this script renders the same processed notebooks with
MkDocs (Material theme, mkdocs-jupyter), which installs from PyPI:

1. nbdev's processing, the steps of `nbdev-proc-nbs` (refresh `_quarto.yml`, the sidebar, run the
   notebook processors: `show_doc` API entries, hidden cells, directives) into `_proc/`, without
   its Quarto download;
2. staging for MkDocs in `_site_src/`: each notebook under its nbdev page name (`data.html`, ...),
   the frontmatter as a title, Quarto directives (`echo: false`, `output: false`) applied, and
   progress-bar widgets replaced by their final text (widgets need JavaScript from the internet);
3. `mkdocs build` into the output folder, navigation in the sidebar's (chapter) order.

    python tools/build_site.py                      # -> docs/ (`make docs`; not committed: built where it is read)
    python tools/build_site.py --out build/site     # elsewhere

This is the project's one docs pipeline: `make docs` here, `make site-test` in CI (then the browser test), and the
deploy workflow (.github/workflows/deploy.yaml) on GitHub, which publishes the same build to GitHub Pages.
"""
import argparse, ast, html, re, shutil
from pathlib import Path

import nbformat, yaml

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT/"_site_src"
CSS = ROOT/"tools"/"site.css"  # the site's own styles, beside the theme's
CELL_KEYS = {"code": {"cell_type", "id", "metadata", "source", "outputs", "execution_count"},
             "markdown": {"cell_type", "id", "metadata", "source", "attachments"},
             "raw": {"cell_type", "id", "metadata", "source", "attachments"}}
WIDGET_VIEW, WIDGET_STATE = "application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"



def process_notebooks() -> Path:
    "nbdev's `nbdev-proc-nbs` without its attempt to download Quarto: processed notebooks in `_proc/`."
    import nbdev.doclinks
    from nbdev.config import get_config
    from nbdev.quarto import nbdev_sidebar, refresh_quarto_yml
    from nbdev.serve import proc_nbs
    cfg = get_config(ROOT)
    refresh_quarto_yml()
    nbdev.doclinks._build_modidx()
    nbdev_sidebar.__wrapped__(path=cfg.nbs_path)
    return Path(proc_nbs(cfg.nbs_path, n_workers=0))


def _directives(source: str) -> tuple[dict, str]:
    "Quarto/nbdev `#| key: value` lines at the top of a cell, and the source without them."
    lines, found = source.splitlines(), {}
    while lines and lines[0].startswith("#|"):
        key, _, value = lines.pop(0)[2:].strip().partition(":")
        found[key.strip()] = value.strip() or True
    return found, "\n".join(lines)


def _page_links(markdown: str) -> str:
    """Links between notebooks (`03_features.ipynb#x`, which work in Jupyter and on GitHub) -> the site's pages
    (`features.html#x`)."""
    return re.sub(r"\]\((?:\d+_)?(\w+)\.ipynb(#[^)]*)?\)", lambda m: f"]({m[1]}.html{m[2] or ''})", markdown)


def _progress_text(model_id: str, state: dict) -> str | None:
    "The last frame of a tqdm notebook progress bar (HBox of description, bar, stats) as text."
    box = state.get(model_id, {}).get("state", {})
    parts = [state.get(child.removeprefix("IPY_MODEL_"), {}).get("state", {}) for child in box.get("children", [])]
    if len(parts) != 3: return None
    description, bar, stats = parts
    total, value = bar.get("max") or 0, bar.get("value") or 0
    filled = int(10 * value / total) if total else 0
    return html.unescape(f"{description.get('value', '')}|{'█' * filled}{' ' * (10 - filled)}| "
                         f"{stats.get('value', '')}")


def _plain_headings(markdown: str) -> str:
    """Headings without inline-code backticks: the table of contents drops code, so '## `predict`: lists' became ':
    lists'."""
    return re.sub(r"^(#{1,6} .*)$", lambda m: m[1].replace("`", ""), markdown, flags=re.M)


def _class_names(nb) -> set:
    "Classes the notebook defines: nbdev's `show_doc` prints their signatures as `def Name(`."
    names = set()
    for cell in nb.cells:
        if cell.cell_type != "code": continue
        try: tree = ast.parse("\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!"))))
        except SyntaxError: continue
        names |= {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    return names


def _class_signatures(markdown: str, classes: set) -> str:
    "`def Name(` -> `class Name(` in a `show_doc` entry of a class."
    return re.sub(r"(```python\n)def (\w+)\(", lambda m: f"{m[1]}class {m[2]}(" if m[2] in classes else m[0], markdown)


def _terminal_text(text: str) -> str:
    """A stream as a terminal leaves it on screen: a carriage return rewrites its line (a progress bar's frames), the
    cursor-up sequence of nested bars (ESC [ A) moves to the line above, and other escape sequences are dropped."""
    lines, row, col = [[]], 0, 0
    for token in re.split(r"(\x1b\[[0-9;]*[A-Za-z]|\r|\n)", text):
        if token == "\n":
            row, col = row + 1, 0
            if row == len(lines): lines.append([])
        elif token == "\r": col = 0
        elif token == "\x1b[A": row = max(row - 1, 0)
        elif token and not token.startswith("\x1b["):  # text (other escape sequences are dropped)
            line = lines[row]
            line.extend(" " * (col - len(line)))  # a cursor past the end (moved up onto a shorter line)
            line[col:col + len(token)] = token
            col += len(token)
    return "\n".join("".join(line).rstrip() for line in lines)


def stage_notebook(path: Path, out_dir: Path) -> tuple[str, str]:
    "Write the MkDocs copy of a processed notebook; returns (page file, title)."
    nb = nbformat.read(path, as_version=4)
    widget_state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    # nbdev's processing empties exported cells, so the classes are read from the chapter itself when it is there
    source = ROOT/"nbs"/path.name
    classes = _class_names(nb) | (_class_names(nbformat.read(source, as_version=4)) if source.exists() else set())
    cells, front = [], {}
    for cell in nb.cells:
        for extra in set(cell) - CELL_KEYS[cell.cell_type]: del cell[extra]  # nbdev's bookkeeping (e.g. `has_sd`)
        cell.metadata.pop("execution", None)  # timings of nbdev's show_doc run
        if cell.cell_type == "raw" and cell.source.startswith("---"):
            front = yaml.safe_load(cell.source.strip().strip("-")) or {}
            continue
        if cell.cell_type == "markdown": cell.source = _plain_headings(_page_links(cell.source))
        if cell.cell_type != "code": cells.append(cell); continue
        found, cell.source = _directives(cell.source)
        if str(found.get("include", "")).lower() == "false": continue
        if str(found.get("echo", "")).lower() == "false" or not cell.source.strip():
            cell.metadata.setdefault("tags", []).append("remove_input")
        # eval: false cells never run in the tested notebook, so what they show would be left over from elsewhere
        if str(found.get("output", "")).lower() == "false" or str(found.get("eval",
                                                                            "")).lower() == "false": cell.outputs = []
        for output in cell.outputs:
            data = output.get("data", {})
            view = data.get(WIDGET_VIEW)
            if view and (text := _progress_text(view["model_id"], widget_state)) is not None:
                output["data"] = {"text/plain": text}
            if "text/markdown" in data: data["text/markdown"] = _page_links(_class_signatures(data["text/markdown"],
                classes))
            if output.get("output_type") == "stream": output["text"] = _terminal_text(output["text"])
        cells.append(cell)
    title = front.get("title") or path.stem
    heading = f"# {title}" + (f"\n\n> {front['description']}" if front.get("description") else "")
    # the title, repeated
    if cells and cells[0].cell_type == "markdown" and cells[0].source.startswith("# "): cells.pop(0)
    nb.cells = [nbformat.v4.new_markdown_cell(heading), *cells]
    # nbdev's inserted cells get random ids: keep rebuilds identical
    for i, cell in enumerate(nb.cells): cell.id = f"cell-{i}"
    nb.metadata.pop("widgets", None)
    page = Path(front.get("output-file", path.stem + ".html")).with_suffix(".ipynb").name
    nbformat.write(nb, out_dir/page)
    return page, title


def stage(proc: Path) -> list:
    "Stage every processed notebook for MkDocs; the navigation in the sidebar's order."
    shutil.rmtree(STAGE, ignore_errors=True); STAGE.mkdir()
    shutil.copytree(ROOT/"nbs"/"images", STAGE/"images")
    (STAGE/"stylesheets").mkdir(); shutil.copy(CSS, STAGE/"stylesheets"/"site.css")
    order = yaml.safe_load((proc/"sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    nav = []
    for name in order:
        page, title = stage_notebook(proc/name, STAGE)
        nav.append({"Home" if page == "index.ipynb" else title: page})
    return nav


def build(out: Path):
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    nav = stage(process_notebooks())
    config = load_config(str(ROOT/"mkdocs.yml"), docs_dir=str(STAGE), site_dir=str(out), nav=nav)
    mkdocs_build(config)
    (out/".nojekyll").touch()  # GitHub Pages: serve the files as they are
    print(f"built {len(nav)} pages into {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT/"docs"), help="site folder (default: docs/)")
    build(Path(parser.parse_args().out).resolve())


if __name__ == "__main__":
    main()
