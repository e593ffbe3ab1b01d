"""The built docs site as a reader sees it: headless Chromium opens every page over HTTP.

Each page must load with no console error and no failed or outside request; every image must
load; every chapter must show as many figures as its notebook has image outputs and an API entry
for each public name it exports; links between pages must resolve. No page may show a path of the
machine that ran it, a progress bar short of 100%, an empty or punctuation-led table-of-contents
entry, or a table wider than the content column. A full-page screenshot of each
page goes to `build/screenshots/`.

    make site-test     # builds the site into docs/ (`make docs`, tools/build_site.py), then runs this file
    EMOTION_SITE_DIR=build/site pytest -m browser tests/test_site.py    # a site built elsewhere

Needs Debian's `chromium` and `chromium-driver` (`make browser` installs them).
"""
import ast, functools, http.server, os, re, shutil, threading
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import nbformat
import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("EMOTION_SITE_DIR", ROOT/"docs")).resolve()
SHOTS = ROOT/"build"/"screenshots"
CHAPTERS = sorted((ROOT/"nbs").glob("[0-9][0-9]_*.ipynb"))
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")


def page_name(notebook: Path) -> str:
    "nbdev's page for a chapter: its name without the number (`01_data.ipynb` -> `data.html`)."
    return notebook.stem.split("_", 1)[1] + ".html"


def figures(notebook: Path) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum(any(t in o.get("data",
                              {}) for t in IMAGE_TYPES) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def exported_names(notebook: Path, kinds=(ast.FunctionDef, ast.ClassDef)) -> list[str]:
    "Public functions and classes defined in the chapter's exported cells: each gets a `show_doc` entry."
    nb = nbformat.read(notebook, as_version=4)
    names = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("#| export"):
            for node in ast.parse(cell.source).body:
                if isinstance(node, kinds) and not node.name.startswith("_"): names.append(node.name)
    return names


@pytest.fixture(scope="module")
def server():
    if not (SITE/"index.html").exists(): pytest.fail(f"no site in {SITE}. Fix: `make docs` (or `make site-test`, which "
                                                     "builds one).")
    handler = functools.partial(type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                                     {"log_message": lambda *a: None}), directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.fail("Chromium not found. Fix: `make browser` (apt-get install chromium chromium-driver).")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    yield driver
    driver.quit()


def open_page(browser, url):
    "Load `url`; returns (console errors, failed or outside requests, images that did not load)."
    browser.get_log("browser")  # drop what earlier pages logged
    # no cached fetches
    if browser.current_url.startswith("http"): browser.execute_script("sessionStorage.clear(); localStorage.clear()")
    browser.get(url)  # returns once the page has loaded
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    bad_requests = browser.execute_script(
        "return performance.getEntriesByType('resource').filter(e => (e.responseStatus || 200) >= 400 || "
        "!e.name.startsWith(location.origin) && !e.name.startsWith('data:')).map(e => e.name + ' ' + e.responseStatus)")
    broken_images = browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))")
    return errors, bad_requests, broken_images


# absolute paths of the machine that ran a notebook: a virtual environment, a temporary folder, a home or work folder
LOCAL_PATH = re.compile(r"(site-packages|\.venv/|(?<![\w.])/(?:tmp|home|root|Users|work|opt|usr)/[\w.-])")
# a tqdm bar's last frame: "Classifying: 97%|█████████ | 31/32"
PROGRESS = re.compile(r"(\d{1,3})%\s*\|[^|\n]*\|\s*(\d+)/(\d+)")


def reader_defects(browser) -> list[str]:
    """What a reader would trip over on the open page: machine paths, stalled progress bars, bad TOC entries, tables
    wider than the page."""
    text = browser.find_element("tag name", "article").get_attribute("textContent")
    defects = ["machine-local path: "
               f"...{text[max(0, m.start() - 40):m.end() + 40]!r}" for m in LOCAL_PATH.finditer(text)]
    defects += [f"progress bar stopped at {m[0]!r}" for m in PROGRESS.finditer(text) if m[2] != m[3] or int(m[1]) < 100]
    toc = browser.execute_script(
        "return [...document.querySelectorAll('nav.md-nav--secondary a.md-nav__link')].map(a => a.textContent.trim())")
    defects += [f"table-of-contents entry {t!r}" for t in toc if not t or not t[0].isalnum()]
    defects += [f"table wider than the page ({w}px in {c}px): {head!r}" for w, c, head in browser.execute_script("""
        const column = document.querySelector('article').getBoundingClientRect();
        return [...document.querySelectorAll('article table')].map(t => [Math.round(t.getBoundingClientRect().width),
            Math.round(column.width), t.innerText.slice(0, 80)]).filter(([w, c]) => w > c + 1)""")]
    # a figure drawn wider than the column is shrunk to fit, its labels with it: at most a quarter smaller stays
    # readable.
    # Figures are stored at twice the size they are drawn at (the notebooks' retina format): drawn width = pixels / 2
    defects += [f"figure drawn {w // 2}px wide in a {c}px column (shown at {2 * c / w:.0%})"
                for w, c in browser.execute_script("""
        const column = document.querySelector('article').getBoundingClientRect().width;
        return [...document.querySelectorAll('article img[src^="data:image"]')]
            .map(i => [i.naturalWidth, Math.round(column)])
            .filter(([w, c]) => w / 2 > c / 0.75)""")]
    return defects


def screenshot(browser, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(height, 20000))
    browser.save_screenshot(str(SHOTS/name.replace(".html", ".png")))
    browser.set_window_size(1280, 900)


def test_navigation_follows_the_chapters(server, browser):
    assert open_page(browser, server + "index.html") == ([], [], [])
    links = browser.execute_script("return [...document.querySelectorAll('nav.md-nav--primary a.md-nav__link')].map(a "
                                   "=> a.getAttribute('href'))")
    pages = [l for l in dict.fromkeys(links) if l and l.endswith(".html")]
    assert pages == ["index.html"] + [page_name(nb) for nb in CHAPTERS], pages


def test_landing_page(server, browser):
    errors, bad, broken = open_page(browser, server + "index.html")
    assert (errors, bad, broken) == ([], [], [])
    text = browser.find_element("tag name", "article").text
    assert "The chapters" in text and "Running the course" in text, text[:500]
    assert not re.search(r"\b(target|bar|not met)\b", text,
                         flags=re.I), "project status belongs in the README, not the course's landing page"
    for nb in CHAPTERS:
        assert browser.find_elements("css selector", f"article a[href='{page_name(nb)}']"), page_name(nb)
    assert browser.find_elements("css selector", "article table"), "no chapter table"
    assert reader_defects(browser) == []
    screenshot(browser, "index.html")


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_page(server, browser, notebook):
    name = page_name(notebook)
    errors, bad, broken = open_page(browser, server + name)
    assert errors == [], errors
    assert bad == [], bad
    assert broken == [], broken
    shown = browser.execute_script("return document.querySelectorAll('article img[src^=\"data:image\"]').length")
    assert shown >= figures(notebook), f"{name}: {shown} figures, the notebook has {figures(notebook)}"
    api = set(browser.execute_script("return [...document.querySelectorAll('article h3[id]')].map(h => h.id)"))
    missing = [n for n in exported_names(notebook) if n.lower() not in api]
    assert not missing, f"{name}: no API entry for {missing}"
    for cls in exported_names(notebook, ast.ClassDef):  # a class's entry shows `class Name(`, not `def Name(`
        signature = browser.execute_script("const h = document.getElementById(arguments[0]); return h && "
                                           "h.nextElementSibling ? h.nextElementSibling.innerText : ''",
                                           cls.lower())
        assert signature.startswith(f"class {cls}"), f"{name}: the entry of class {cls} reads {signature[:40]!r}"
    assert browser.find_elements("css selector", "article a[href*='colab.research.google.com']"), "no Colab badge"
    assert reader_defects(browser) == [], name
    for href in browser.execute_script("return [...document.querySelectorAll('article a[href]')].map(a => a.href)"):
        target, anchor = urldefrag(href)
        if not target.startswith(server): continue
        path = SITE/urlparse(target).path.lstrip("/")
        assert path.exists(), f"{name}: broken link {href}"
        if anchor and path.name == name: assert browser.find_elements("id", anchor), f"{name}: no anchor #{anchor}"
    screenshot(browser, name)
