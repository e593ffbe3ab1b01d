"The README's links: relative ones point at files of the repository; the chapters link to the published site."
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = "https://emotion-nbdev.github.io/emotion_nbdev/"


def test_readme_links_resolve():
    links = re.findall(r"\]\(([^)\s]+)\)", (ROOT/"README.md").read_text())
    relative = [l.split("#")[0] for l in links if not re.match(r"[a-z]+:", l) and not l.startswith("#")]
    missing = [l for l in relative if not (ROOT/l).exists()]
    assert not missing, (f"README links to missing files: {missing}. Fix: correct the link (the site is not committed: "
                         f"link {SITE}).")
    pages = [l[len(SITE):].split("#")[0] for l in links if l.startswith(SITE) and l != SITE]
    notebooks = {p.stem.split("_", 1)[1] for p in (ROOT/"nbs").glob("[0-9][0-9]_*.ipynb")}
    assert pages, "the README links to no page of the docs site"
    unknown = [p for p in pages if p.removesuffix(".html") not in notebooks | {"index"}]
    assert not unknown, f"README links to site pages that no notebook makes: {unknown}"
