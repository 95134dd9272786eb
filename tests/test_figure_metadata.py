"""Every figure of the book is numbered, captioned and described: the cell
that draws it carries myst-nb's metadata (CONTRIBUTING.md, "Tables and
figures"). Read from the notebooks' stored outputs, in seconds; the book tier
checks the built pages too."""

import json
import re

import pytest

from gobig.core import paths

pytestmark = pytest.mark.unit


def book_notebooks() -> list[str]:
    toc = (paths.ROOT / "_toc.yml").read_text()
    pages = re.findall(r"^root: (\S+)", toc, re.M) + re.findall(r"file: (\S+)", toc)
    return [page for page in pages if (paths.ROOT / f"{page}.ipynb").is_file()]


@pytest.mark.parametrize("page", book_notebooks())
def test_every_figure_cell_has_a_caption_a_name_and_alt_text(page):
    problems = []
    for index, cell in enumerate(json.loads((paths.ROOT / f"{page}.ipynb").read_text())["cells"]):
        shows_image = any("image/png" in output.get("data", {}) for output in cell.get("outputs", []))
        if cell["cell_type"] != "code" or not shows_image:
            continue
        options = cell["metadata"].get("mystnb", {})
        figure, image = options.get("figure", {}), options.get("image", {})
        first_line = "".join(cell["source"]).strip().splitlines()[-1][:60]
        if not figure.get("caption") or not figure.get("name"):
            problems.append(f"cell {index} ({first_line}): no mystnb.figure caption and name")
        if len(str(image.get("alt", "")).split()) < 5:
            problems.append(f"cell {index} ({first_line}): no mystnb.image alt text that says what it shows")
    assert not problems, f"{page}:\n" + "\n".join(problems)
