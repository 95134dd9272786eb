"""The book's numbers, pinned: every value a page glues, read from the
notebooks' stored outputs (what the built book shows), against a committed
snapshot (tests/glued_values.json).

nbval proves the stored outputs match a re-execution; this test proves a
change (a refactoring, a merge, new records) did not move a number the
reader sees without anyone deciding it should. When a change of numbers is
intended, re-execute the notebooks, then refresh the snapshot and commit it
with the change:

    python tests/test_glued_values.py

The diff of glued_values.json then shows every number that moved.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).with_name("glued_values.json")
#: myst-nb's glue (scrapbook's record format): one output per glued name, its value under these MIME types.
RECORD_PREFIX = "application/papermill.record/"


def book_notebooks() -> list[str]:
    """The toc's pages that are notebooks, in book order (paths without .ipynb)."""
    toc = (ROOT / "_toc.yml").read_text()
    pages = re.findall(r"^root: (\S+)", toc, re.M) + re.findall(r"file: (\S+)", toc)
    return [page for page in pages if (ROOT / f"{page}.ipynb").is_file()]


def _value(data: dict) -> str:
    """A glued value as the page shows it: its text, else a hash of its richest form (a figure)."""
    if f"{RECORD_PREFIX}text/plain" in data and len(data) == 1:
        return data[f"{RECORD_PREFIX}text/plain"]
    parts = {mime.removeprefix(RECORD_PREFIX): content for mime, content in sorted(data.items())}
    if set(parts) <= {"text/plain", "text/html", "text/markdown"}:
        return json.dumps(parts, sort_keys=True)
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest}"


def glued_values(notebook: Path) -> dict[str, str]:
    """Every name a notebook glues, with its stored value; a name glued twice is an error."""
    values: dict[str, str] = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            data = {mime: content for mime, content in output.get("data", {}).items() if mime.startswith(RECORD_PREFIX)}
            if not data:
                continue
            name = output["metadata"]["scrapbook"]["name"]
            if name in values:
                raise ValueError(f"{notebook.name} glues {name!r} twice; the page would show either")
            content = {mime: "".join(text) if isinstance(text, list) else text for mime, text in data.items()}
            values[name] = _value(content)
    return values


def book_values() -> dict[str, dict[str, str]]:
    return {page: glued_values(ROOT / f"{page}.ipynb") for page in book_notebooks()}


def test_the_snapshot_covers_every_book_notebook():
    snapshot = json.loads(SNAPSHOT.read_text())
    assert sorted(snapshot) == sorted(book_notebooks()), "refresh: python tests/test_glued_values.py"


@pytest.mark.parametrize("page", book_notebooks())
def test_every_glued_value_is_unchanged(page):
    expected = json.loads(SNAPSHOT.read_text()).get(page, {})
    actual = glued_values(ROOT / f"{page}.ipynb")
    changed = {
        name: (expected.get(name, "<absent>"), actual.get(name, "<absent>"))
        for name in sorted(set(expected) | set(actual))
        if expected.get(name) != actual.get(name)
    }
    assert not changed, (
        f"{page}: glued values differ from tests/glued_values.json (snapshot, now): {changed}; "
        "if the change is intended, refresh with: python tests/test_glued_values.py"
    )


def test_a_changed_value_is_caught(tmp_path):
    page = book_notebooks()[0]
    notebook = json.loads((ROOT / f"{page}.ipynb").read_text())
    glued = next(
        output
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if any(mime.startswith(RECORD_PREFIX) for mime in output.get("data", {}))
    )
    name = glued["metadata"]["scrapbook"]["name"]
    glued["data"] = {f"{RECORD_PREFIX}text/plain": "'not the stored value'"}
    changed = tmp_path / "changed.ipynb"
    changed.write_text(json.dumps(notebook))
    assert glued_values(changed)[name] != json.loads(SNAPSHOT.read_text())[page][name]


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(book_values(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}: {sum(map(len, book_values().values()))} values", file=sys.stderr)
