"""The book tier: build the book as `make book` does, then read it in a browser.

The build runs `jupyter-book build -W -n --keep-going` (warnings are errors,
every chapter re-executed against the committed results) into a temporary
output folder, so a user's own _build/ is left alone. The chapter pages are
then rendered by headless Chromium and the DOM is checked: the figures are
there and load, and no cell printed a traceback or an error.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
#: Chapter pages (relative to _build/html) and the fewest figures each must show.
CHAPTER_FIGURES = {"chapters/01_mnist_capacity.html": 4, "chapters/02_gpt3_extrapolation.html": 2, "chapters/03_alphacode_split.html": 4}
#: Every notebook page of the book (the toc's files), relative to the root.
BOOK_NOTEBOOKS = ["ledger", "chapters/01_mnist_capacity", "chapters/02_gpt3_extrapolation", "chapters/03_alphacode_split", "reliability", "performance"]
BUILD_TIMEOUT_S = 3600
BROWSER_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory) -> Path:
    """Build the whole book once per session; fail with the build log."""
    output = tmp_path_factory.mktemp("book")
    command = [
        str(VENV_BIN / "jupyter-book"), "build", str(ROOT),
        "--path-output", str(output), "-W", "-n", "--keep-going",
    ]
    # Kernels and tools resolve to this interpreter's environment. The kernels
    # must not inherit MPLBACKEND: ipykernel selects its inline backend only
    # when it is unset, and under Agg `plt.show()` puts no figure in the page.
    environment = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    environment.pop("MPLBACKEND", None)
    build = subprocess.run(
        command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    if build.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` exited with {build.returncode}\n"
            f"--- stdout (tail) ---\n{build.stdout[-20000:]}\n--- stderr (tail) ---\n{build.stderr[-20000:]}",
            pytrace=False,
        )
    return output / "_build" / "html"


@pytest.fixture(scope="session")
def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    pytest.fail(
        "chromium is not installed, and the book tier renders the HTML in headless Chromium. "
        "`make test` installs it (apt-get install -y chromium, when run as root); "
        "otherwise install Debian's `chromium` package yourself.",
        pytrace=False,
    )


def dump_dom(chromium: str, page: Path, profile_dir: Path) -> str:
    """The page's DOM after Chromium loaded it (scripts run, nothing fetched from the network)."""
    command = [
        chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", f"--user-data-dir={profile_dir}",
        "--dump-dom", page.as_uri(),
    ]
    rendered = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S,
    )
    assert rendered.returncode == 0, f"chromium failed on {page}:\n{rendered.stderr[-5000:]}"
    assert "<html" in rendered.stdout, f"chromium returned no DOM for {page}:\n{rendered.stderr[-5000:]}"
    return rendered.stdout


class _PageParts(HTMLParser):
    """Image sources, and the text of cell outputs by kind (stderr, traceback, error)."""

    def __init__(self) -> None:
        super().__init__()
        self.image_sources: list[str] = []
        self.output_text: dict[str, list[str]] = {"stderr": [], "traceback": [], "error": []}
        self._open: list[tuple[str, str | None]] = []  # (tag, output kind or None)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.image_sources.append(attributes.get("src") or "")
            return
        if tag in {"br", "hr", "meta", "link", "input", "source", "wbr"}:
            return
        classes = set((attributes.get("class") or "").split())
        kind = next((k for k in self.output_text if "output" in classes and k in classes), None)
        self._open.append((tag, kind))

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for _, kind in self._open:
            if kind:
                self.output_text[kind].append(data)


def parse(dom: str) -> _PageParts:
    parts = _PageParts()
    parts.feed(dom)
    return parts


def test_intro_page_is_built_and_links_the_chapters(html_dir, chromium, tmp_path):
    assert (html_dir / "index.html").is_file(), "no index.html (redirect to the landing page)"
    intro = html_dir / "intro.html"
    assert intro.is_file(), f"landing page missing; built pages: {sorted(p.name for p in html_dir.glob('*.html'))}"
    dom = dump_dom(chromium, intro, tmp_path / "profile")
    assert "Go big or go home?" in dom
    for chapter in CHAPTER_FIGURES:
        assert chapter in dom, f"the landing page does not link {chapter}"


@pytest.mark.parametrize("chapter", sorted(CHAPTER_FIGURES))
def test_chapter_renders_figures_and_no_errors(html_dir, chromium, tmp_path, chapter):
    page = html_dir / chapter
    assert page.is_file(), f"{chapter} was not built"
    dom = dump_dom(chromium, page, tmp_path / "profile")
    parts = parse(dom)

    figures = []
    for source in parts.image_sources:
        assert source and not source.startswith(("http:", "https:", "//")), f"image not local: {source!r}"
        if source.startswith("data:"):
            figures.append(source)
            continue
        image = (page.parent / unquote(urlsplit(source).path)).resolve()
        assert image.is_file(), f"{chapter}: <img src={source!r}> points at a missing file"
        assert image.stat().st_size > 0, f"{chapter}: {source} is empty"
        figures.append(source)
    assert len(figures) >= CHAPTER_FIGURES[chapter], (
        f"{chapter} shows {len(figures)} images, expected at least {CHAPTER_FIGURES[chapter]}"
    )

    assert "Traceback" not in dom, f"{chapter} shows a traceback"
    for kind in ("traceback", "error"):
        assert not parts.output_text[kind], f"{chapter} has an `output {kind}` cell: {''.join(parts.output_text[kind])[:2000]}"
    stderr = "".join(parts.output_text["stderr"])
    assert not re.search(r"\b\w*Error\b", stderr), f"{chapter} printed an error to stderr: {stderr[:2000]}"


def tables_built(notebook: Path) -> list[str]:
    """The names of the tables a notebook's code builds with
    `plotting.table(..., name=...)`, which become the HTML ids `T_<name>`."""
    names = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "table":
                names += [k.value.value for k in node.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)]
    return names


def test_the_toc_lists_exactly_the_pages_checked_here():
    toc = (ROOT / "_toc.yml").read_text()
    assert sorted(re.findall(r"file: (\S+)", toc)) == sorted(BOOK_NOTEBOOKS)


@pytest.mark.parametrize("notebook", BOOK_NOTEBOOKS)
def test_page_shows_every_table_its_code_builds(html_dir, chromium, tmp_path, notebook):
    """A table built in a cell whose last line is not its display is
    computed and never shown (chapter 3's claims table once was)."""
    names = tables_built(ROOT / f"{notebook}.ipynb")
    assert names, f"{notebook} builds no named table; the check would pass vacuously"
    dom = dump_dom(chromium, html_dir / f"{notebook}.html", tmp_path / "profile")
    missing = [name for name in names if f'id="T_{name}"' not in dom]
    assert not missing, f"{notebook} builds these tables but the page does not show them: {missing}"


def test_chapter_names_the_device_of_its_records(html_dir, chromium, tmp_path):
    """Every number says where it came from: the page names each device in
    the committed records."""
    import json

    for study, chapter in (("mnist", "01_mnist_capacity"), ("alphacode", "03_alphacode_split")):
        devices = {json.loads(p.read_text())["provenance"]["device_name"] for p in (ROOT / "results" / study).glob("*.json")}
        assert devices, f"no committed {study} records"
        dom = dump_dom(chromium, html_dir / f"chapters/{chapter}.html", tmp_path / f"profile-{study}")
        for device in devices:
            assert device in dom, f"{chapter} does not name the device {device!r}"
