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

from gobig.core import registry
from gobig.report import ledger, site

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
#: Chapter pages (relative to _build/html) and the fewest figures each must show.
CHAPTER_FIGURES = {f"{entry.notebook}.html": entry.figures for entry in registry.STUDIES}
#: Every notebook page of the book (the toc's files), relative to the root.
BOOK_NOTEBOOKS = ["ledger", *(entry.notebook for entry in registry.STUDIES), "reliability", "performance"]
#: The toc's markdown pages.
BOOK_MARKDOWN = ["bibliography"]
#: Every page a reader can open, the landing page included.
BOOK_PAGES = ["intro", *BOOK_NOTEBOOKS, *BOOK_MARKDOWN]
#: Window widths every table must read cleanly at: a laptop and a phone.
TABLE_WIDTHS = {"desktop": 1400, "phone": 390}
BUILD_TIMEOUT_S = 3600
BROWSER_TIMEOUT_S = 120


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory) -> Path:
    """Build the whole book once per session; fail with the build log."""
    output = tmp_path_factory.mktemp("book")
    command = [
        str(VENV_BIN / "jupyter-book"),
        "build",
        str(ROOT),
        "--path-output",
        str(output),
        "-W",
        "-n",
        "--keep-going",
    ]
    # Kernels and tools resolve to this interpreter's environment. The kernels
    # must not inherit MPLBACKEND: ipykernel selects its inline backend only
    # when it is unset, and under Agg `plt.show()` puts no figure in the page.
    environment = dict(os.environ, PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    environment.pop("MPLBACKEND", None)
    build = subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
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


#: Chromium without a display, a sandbox, a GPU or the network: what every page load here uses.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def dump_dom(chromium: str, page: Path, profile_dir: Path) -> str:
    """The page's DOM after Chromium loaded it (scripts run, nothing fetched from the network)."""
    command = [
        chromium,
        *HEADLESS_FLAGS,
        f"--user-data-dir={profile_dir}",
        "--dump-dom",
        page.as_uri(),
    ]
    rendered = subprocess.run(
        command,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
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
        assert not parts.output_text[kind], (
            f"{chapter} has an `output {kind}` cell: {''.join(parts.output_text[kind])[:2000]}"
        )
    stderr = "".join(parts.output_text["stderr"])
    assert not re.search(r"\b\w*Error\b", stderr), f"{chapter} printed an error to stderr: {stderr[:2000]}"


def tables_built(notebook: Path) -> list[str]:
    """The names of the tables a notebook's code builds with
    `plotting.table(..., name=...)` (or another `*table` function with a
    `name`), which become the HTML ids `T_<name>`."""
    names = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            # plotting.table(...), plotting.ledger_table(...), plotting.legend_table(...)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr.endswith("table"):
                names += [k.value.value for k in node.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)]
    return names


def test_the_toc_lists_exactly_the_pages_checked_here():
    toc = (ROOT / "_toc.yml").read_text()
    assert sorted(re.findall(r"file: (\S+)", toc)) == sorted(BOOK_NOTEBOOKS + BOOK_MARKDOWN)


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
        devices = {
            json.loads(p.read_text())["provenance"]["device_name"] for p in (ROOT / "results" / study).glob("*.json")
        }
        assert devices, f"no committed {study} records"
        dom = dump_dom(chromium, html_dir / f"chapters/{chapter}.html", tmp_path / f"profile-{study}")
        for device in devices:
            assert device in dom, f"{chapter} does not name the device {device!r}"


# ---- tables that read cleanly (tests/table_layout.js) ----------------------

TABLE_SCRIPT = ROOT / "tests" / "table_layout.js"


def measure_tables(chromium: str, page: Path, width: int, workdir: Path) -> dict:
    """What tests/table_layout.js finds about every table of ``page`` when
    it is shown ``width`` CSS pixels wide.

    Headless Chromium's window is never narrower than 500 px, so the page is
    shown in an <iframe> of that width (its viewport: media queries see the
    iframe's width). A copy of the page, with a <base> to its folder so its
    stylesheets load, carries the measuring script; the script posts its
    report to the wrapper page, which writes it into its DOM for --dump-dom."""
    workdir.mkdir(parents=True, exist_ok=True)
    html = page.read_text()
    html = re.sub(r"<head[^>]*>", lambda m: f'{m.group(0)}<base href="{page.parent.as_uri()}/">', html, count=1)
    html = html.replace("</body>", f"<script>{TABLE_SCRIPT.read_text()}</script></body>", 1)
    (workdir / "page.html").write_text(html)
    height = 900
    (workdir / "wrapper.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{margin:0} iframe{border:0;display:block}</style></head><body>"
        f'<iframe src="page.html" width="{width}" height="{height}"></iframe>'
        "<script>window.addEventListener('message', function (event) {"
        "var out = document.createElement('pre'); out.id = 'gobig-table-report'; out.textContent = event.data; document.body.appendChild(out);"
        "});</script></body></html>"
    )
    command = [
        chromium,
        *HEADLESS_FLAGS,
        f"--user-data-dir={workdir / 'profile'}",
        f"--window-size={max(width, 500) + 40},{height + 40}",
        # Run the page's scripts and the measurement before the DOM is dumped.
        "--virtual-time-budget=5000",
        "--dump-dom",
        (workdir / "wrapper.html").as_uri(),
    ]
    rendered = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S
    )
    assert rendered.returncode == 0, f"chromium failed on {page}:\n{rendered.stderr[-5000:]}"
    found = re.search(r'<pre id="gobig-table-report">(.*?)</pre>', rendered.stdout, re.S)
    assert found, f"the measuring script reported nothing for {page} at {width} px:\n{rendered.stderr[-3000:]}"
    import html as html_module

    return json.loads(html_module.unescape(found.group(1)))


def table_problems(report: dict) -> list[str]:
    problems = []
    for table in report["tables"]:
        name = table["id"] or "(a table without id)"
        for hit in table["touching"][:3]:
            problems.append(
                f"{name} row {hit['row']}: the texts of columns {hit['cols']} touch (gap {hit['gap']} px): {hit['texts']}"
            )
        for hit in table["overflow"][:3]:
            problems.append(f"{name} row {hit['row']}, column {hit['col']}: text runs out of its cell: {hit['text']!r}")
        for hit in table["clipped"][:3]:
            problems.append(
                f"{name} row {hit['row']}, column {hit['col']} ({hit['text']!r}) is cut off by {hit['by']} at x={hit['right']}"
            )
    return problems


@pytest.mark.parametrize("width", sorted(TABLE_WIDTHS), ids=str)
@pytest.mark.parametrize("page", BOOK_PAGES)
def test_every_table_reads_cleanly_at_desktop_and_phone_widths(html_dir, chromium, tmp_path, page, width):
    """No two cells of a row whose texts touch ("4.99e+11" beside "1" read
    "4.99e+111"), no text out of its cell, and no column cut off unless its
    table scrolls sideways in a box that shows the cue (the scroll shadow)."""
    pixels = TABLE_WIDTHS[width]
    report = measure_tables(chromium, html_dir / f"{page}.html", pixels, tmp_path / "measure")
    assert report["innerWidth"] == pixels, f"the page was shown {report['innerWidth']} px wide, not {pixels}"
    if page in BOOK_NOTEBOOKS:
        measured = {table["id"] for table in report["tables"] if not table.get("hidden") and table["rows"]}
        missing = [name for name in tables_built(ROOT / f"{page}.ipynb") if f"T_{name}" not in measured]
        assert not missing, f"{page}: these tables were not measured (not shown?): {missing}"
    problems = table_problems(report)
    assert not problems, f"{page} at {pixels} px:\n" + "\n".join(problems)


def test_the_table_check_finds_touching_text_and_clipped_columns(chromium, tmp_path):
    """The measurement itself, on a page made to fail: cells without padding,
    a wide table cut off by a box that hides overflow, and the same table in
    a box that scrolls but shows no cue; a padded table in a scroll box with
    the shadow passes."""
    css = (ROOT / "_static" / "gobig.css").read_text()
    wide_row = "".join(f"<td>column number {i} with some words</td>" for i in range(12))
    page = tmp_path / "site" / "page.html"
    page.parent.mkdir()
    page.write_text(
        f"<!DOCTYPE html><html><head><style>{css} td {{ padding: 0 }} .padded td {{ padding: 0.3em 0.75em }}</style></head><body><main>"
        "<table id='T_touching'><tr><td>4.99e+11</td><td>1</td></tr></table>"
        f"<div style='overflow: hidden; width: 300px'><table id='T_hidden'><tr>{wide_row}</tr></table></div>"
        f"<div style='overflow-x: auto; width: 300px'><table id='T_no_cue' class='padded'><tr>{wide_row}</tr></table></div>"
        f"<div class='gobig-table-wrap' style='width: 300px'><table id='T_scrolls' class='padded'><tr>{wide_row}</tr></table></div>"
        "</main></body></html>"
    )
    report = measure_tables(chromium, page, TABLE_WIDTHS["phone"], tmp_path / "measure")
    tables = {table["id"]: table for table in report["tables"]}
    assert tables["T_touching"]["touching"] and tables["T_touching"]["touching"][0]["texts"] == ["4.99e+11", "1"]
    assert tables["T_hidden"]["clipped"], "a column cut off by overflow: hidden was not found"
    assert tables["T_no_cue"]["clipped"] and "no cue" in tables["T_no_cue"]["clipped"][0]["by"]
    assert not tables["T_scrolls"]["clipped"] and not tables["T_scrolls"]["touching"], tables["T_scrolls"]
    assert tables["T_scrolls"]["scroll"], "the scroll box with the shadow was not recognised"


def test_the_bibliography_lists_every_reference_and_the_intro_cites_both_posts(html_dir):
    """references.bib's entries all appear on the bibliography page (its
    directive takes :all:, so keys the chapters have not cited yet resolve
    too), and the landing page links both blog posts to their entries."""
    keys = re.findall(r"^@\w+\{([^,\s]+),", (ROOT / "references.bib").read_text(), re.M)
    assert len(keys) == len(set(keys)), "a key is defined twice in references.bib"
    page = (html_dir / "bibliography.html").read_text()
    assert page.count('role="doc-biblioentry"') == len(keys), "the bibliography page does not list every entry"
    intro = (html_dir / "intro.html").read_text()
    cited = re.findall(r'<a class="reference internal" href="bibliography.html#[^"]*" title="([^"]*)"', intro)
    for post in ("Go big or go home for robust DNNs", "Deepmind does code"):
        assert any(post in title for title in cited), f"the intro does not cite the post {post!r}"
    labels = re.findall(r"\[[A-Z][A-Za-z]*\+?\d{2}[a-z]?\]", re.sub(r"<[^>]+>", "", intro))
    assert not labels, f"citations should read author-year (bibtex_reference_style), not {labels}"


# ---- a book a reader takes in at a glance -----------------------------------


class _Text(HTMLParser):
    """The visible text of a page's article, without its code (a script's
    file name such as gpu/session.sh is not prose), scripts or styles."""

    SKIP = {"code", "pre", "script", "style", "kbd", "samp"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._depth = 0
        self._skipping = 0
        self._in_article = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"br", "hr", "meta", "link", "input", "img", "wbr", "col", "source"}:
            return
        if tag == "article" or self._in_article:
            self._in_article += 1
        if tag in self.SKIP and self._in_article:
            self._skipping += 1

    def handle_endtag(self, tag):
        if self._in_article:
            if tag in self.SKIP and self._skipping:
                self._skipping -= 1
            self._in_article -= 1

    def handle_data(self, data):
        if self._in_article and not self._skipping:
            self.parts.append(data)


def article_text(dom: str) -> str:
    parser = _Text()
    parser.feed(dom)
    return " ".join(" ".join(parser.parts).split())


#: Text meant for the team, not a reader: its notes, its sessions, its issues.
TEAM_TEXT = re.compile(r"REFERENCES\.md|\bsessions?\b|\bissues? #?\d+", re.I)


@pytest.mark.parametrize("page", BOOK_PAGES)
def test_no_page_carries_text_meant_for_the_team(html_dir, page):
    """No published page names the team's notes (REFERENCES.md), its
    sessions or its issues; code (a script's file name) is not prose."""
    dom = (html_dir / f"{page}.html").read_text()
    assert "REFERENCES.md" not in dom, f"{page} names REFERENCES.md"
    found = sorted({m.group(0) for m in TEAM_TEXT.finditer(article_text(dom))})
    assert not found, f"{page} carries text meant for the team: {found}"


@pytest.mark.parametrize("page", BOOK_PAGES)
def test_no_literal_backticks_in_prose(html_dir, page):
    """Markdown that did not render (a code span inside glued bold text)
    shows its backticks to the reader."""
    text = article_text((html_dir / f"{page}.html").read_text())
    found = [text[max(0, i - 40) : i + 40] for i in [m.start() for m in re.finditer("`", text)][:3]]
    assert not found, f"{page} shows literal backticks: {found}"


def test_the_landing_page_answers_with_glued_findings(html_dir, chromium, tmp_path):
    """The landing page opens with what the evidence says: glued counts, a
    findings paragraph per chapter with numbers, and the summary figure."""
    dom = dump_dom(chromium, html_dir / "intro.html", tmp_path / "profile")
    text = article_text(dom)
    glued = re.findall(r'class="pasted-text"', dom)
    assert len(glued) >= 3, f"the landing page glues {len(glued)} values; its counts must be computed"
    answer = text.split("What the evidence says", 1)
    assert len(answer) == 2, "no 'What the evidence says' section"
    for entry in registry.STUDIES:
        assert entry.title in answer[1], f"the findings do not name {entry.title}"
        assert f'href="{entry.notebook}.html"' in dom, f"the findings do not link {entry.notebook}"
    assert any(style["symbol"] in answer[1] for style in ledger.VERDICT_STYLES.values()), "no verdict in the findings"
    assert re.search(r"\d+(\.\d+)?%", answer[1]), "the findings state no measured percentage"
    assert text.index("What the evidence says") < text.index("How the book is made"), "the answer comes first"


def test_no_ledger_why_exceeds_the_limit(html_dir):
    """Every row's why, as shown, is one sentence within the limit, and none
    had to be cut from a longer one (the chapter's claims table owes a short
    why and a detail)."""
    dom = (html_dir / "ledger.html").read_text()
    whys = re.findall(r'<span class="gobig-why"( data-cut)?>(.*?)</span>', dom, re.S)
    assert whys, "the ledger shows no why"
    import html as html_module

    too_long = [text for _, text in whys if len(html_module.unescape(text)) > ledger.WHY_LIMIT]
    assert not too_long, f"whys over {ledger.WHY_LIMIT} characters: {too_long[:3]}"
    cut = [html_module.unescape(text) for flag, text in whys if flag]
    assert not cut, (
        f"{len(cut)} of {len(whys)} whys were cut from longer ones (write a short `why` and a `detail`): "
        + " | ".join(cut[:5])
    )


@pytest.mark.parametrize("page", BOOK_PAGES)
def test_no_table_needs_sideways_scrolling_at_1400_px(html_dir, chromium, tmp_path, page):
    """At a laptop's 1400 px every table's essential columns are in view:
    a wider table folds the columns that are not essential (table(columns=...))
    or takes the page's full width."""
    report = measure_tables(chromium, html_dir / f"{page}.html", TABLE_WIDTHS["desktop"], tmp_path / "measure")
    scrolling = [
        f"{table['id']} ({round(table['width'])} px wide, scrolls in {table['scroll']})"
        for table in report["tables"]
        if table["scroll"]
    ]
    assert not scrolling, f"{page} at 1400 px: tables whose columns are cut off behind a scroll: {scrolling}"


class _Figures(HTMLParser):
    """Every image of the article: its alt text, and its figure's caption."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self._figures: list[dict] = []
        self._caption = 0
        self._in_article = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article":
            self._in_article += 1
        if not self._in_article:
            return
        if tag == "figure":
            self._figures.append({"caption": ""})
        elif tag == "figcaption":
            self._caption += 1
        elif tag == "img":
            self.images.append(
                {
                    "src": attributes.get("src", ""),
                    "alt": attributes.get("alt") or "",
                    "figure": self._figures[-1] if self._figures else None,
                }
            )

    def handle_endtag(self, tag):
        if tag == "article":
            self._in_article -= 1
        elif tag == "figcaption" and self._caption:
            self._caption -= 1
        elif tag == "figure" and self._figures:
            self._figures.pop()

    def handle_data(self, data):
        if self._caption and self._figures:
            self._figures[-1]["caption"] += data


#: Alt text that names a file, not what the figure shows.
FILE_NAME_ALT = re.compile(r"^[0-9a-f]{16,}(\.\w+)?$|\.(png|jpe?g|svg)$", re.I)


@pytest.mark.parametrize("page", BOOK_PAGES)
def test_every_figure_has_a_caption_and_alt_text(html_dir, page):
    """Every image is a numbered figure with a caption, and its alt text says
    what it shows in words (myst-nb cell metadata: mystnb.figure.caption and
    .name, mystnb.image.alt; CONTRIBUTING.md)."""
    parser = _Figures()
    parser.feed((html_dir / f"{page}.html").read_text())
    problems = []
    for image in parser.images:
        name = image["src"].rsplit("/", 1)[-1][:20]
        if image["figure"] is None or not image["figure"]["caption"].strip():
            problems.append(f"{name}: no figure caption")
        if len(image["alt"].split()) < 5 or FILE_NAME_ALT.search(image["alt"].strip()):
            problems.append(f"{name}: alt text {image['alt'][:40]!r} does not say what the figure shows")
    assert not problems, f"{page}: " + "; ".join(problems)


def test_math_renders_with_the_network_cut(html_dir, chromium, tmp_path):
    """MathJax is served from the site itself: with every host unresolvable,
    the landing page's formula is typeset (no raw TeX)."""
    page = html_dir / "intro.html"
    source = page.read_text()
    scripts = re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', source, re.I)
    assert scripts and all(not s.startswith(("http:", "https:", "//")) for s in scripts), scripts
    command = [
        chromium,
        *HEADLESS_FLAGS,
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        page.as_uri(),
    ]
    rendered = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S
    )
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    assert "<mjx-container" in rendered.stdout, "no formula was typeset with the network cut"
    assert "\\(" not in article_text(rendered.stdout), "raw TeX is showing"


def test_the_site_buttons_follow_the_repository_address(html_dir):
    """Every notebook page offers its .ipynb for download; the repository,
    issues and Binder buttons appear exactly when the address is known
    (gobig.report.site: $GOBIG_REPOSITORY_URL or the origin remote)."""
    address = site.repository_url(ROOT)
    for page in BOOK_NOTEBOOKS:
        dom = (html_dir / f"{page}.html").read_text()
        assert re.search(rf'href="[^"]*{re.escape(Path(page).name)}\.ipynb"', dom), (
            f"{page}: no download of its notebook"
        )
        if address:
            assert f'href="{address}"' in dom and f"{address}/issues" in dom, f"{page}: no repository or issues button"
            assert "mybinder.org" in dom, f"{page}: no Binder button"
        else:
            assert "mybinder.org" not in dom and "/issues" not in dom, f"{page}: buttons without an address"
    intro = article_text((html_dir / "intro.html").read_text())
    assert "How to cite" in intro and ("address was not known" in intro or address in intro)
