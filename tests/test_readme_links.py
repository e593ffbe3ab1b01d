"Every relative link of the README (to the docs site, the notebooks, files) points at a file of the repository."
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_relative_links_resolve():
    links = re.findall(r"\]\(([^)\s]+)\)", (ROOT/"README.md").read_text())
    relative = [l.split("#")[0] for l in links if not re.match(r"[a-z]+:", l) and not l.startswith("#")]
    assert any(l.startswith("docs/") for l in relative), "the README links to no page of the docs site"
    missing = [l for l in relative if not (ROOT/l).exists()]
    assert not missing, f"README links to missing files: {missing}. Fix: `make docs` (for docs/ pages) or correct the link."
