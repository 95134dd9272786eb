"""A rerun as a page: one executed notebook built as HTML with the book's theme.

A papermill output notebook stores the glued numbers in (hidden) outputs, and
its prose still shows the raw ``{glue:text}`` placeholders; Jupyter cannot
resolve them, only the book's build can. ``render`` builds that one notebook
with Jupyter Book, the book's own configuration and theme, and *no*
re-execution (the notebook's stored outputs are the rerun), so the page a
rerunner reads shows their numbers in the book's sentences:

    python -m gobig render out.ipynb            # -> out_html/out.html
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from gobig.core import paths


def render(notebook: str | Path, output: str | Path | None = None) -> Path:
    """Build ``notebook`` as one HTML page under ``output`` (default:
    ``<stem>_html`` beside it); return the page's path."""
    notebook = Path(notebook).resolve()
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise ValueError(f"render: {notebook} is not a notebook file (.ipynb)")
    output = Path(output).resolve() if output else notebook.with_name(f"{notebook.stem}_html")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "page"
        source.mkdir()
        config = _book_config(source)
        page = json.loads(notebook.read_text())
        if config.get("bibtex_bibfiles"):
            # sphinxcontrib-bibtex resolves a citation only to an entry that some page's
            # bibliography directive lists; the book has a page for that, a lone page needs its own.
            page["cells"].append(
                {"cell_type": "markdown", "metadata": {}, "source": "## References\n\n```{bibliography}\n```\n"}
            )
        (source / notebook.name).write_text(json.dumps(page))
        config["title"] = f"{notebook.stem} (a rerun)"
        # The stored outputs are the rerun: execute nothing, show what it computed.
        config["execute"] = {**config.get("execute", {}), "execute_notebooks": "off"}
        (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        (source / "_toc.yml").write_text(yaml.safe_dump({"format": "jb-book", "root": notebook.stem}))
        build = Path(folder) / "build"
        completed = subprocess.run(
            [str(Path(sys.executable).parent / "jupyter-book"), "build", str(source), "--path-output", str(build)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"render: jupyter-book failed on {notebook.name}:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(build / "_build" / "html", output)
    return output / f"{notebook.stem}.html"


def _book_config(source: Path) -> dict:
    """The book's _config.yml (theme, MyST extensions, bibliography) with the
    files it names copied beside the page; a minimal one outside a checkout."""
    book_config = paths.ROOT / "_config.yml"
    if not book_config.is_file():
        return {"parse": {"myst_enable_extensions": ["colon_fence", "dollarmath", "amsmath", "substitution"]}}
    config = yaml.safe_load(book_config.read_text()) or {}
    config.pop("exclude_patterns", None)
    for name in config.get("bibtex_bibfiles", []):
        shutil.copy(paths.ROOT / name, source / name)
    static = paths.ROOT / "_static"
    if static.is_dir():
        shutil.copytree(static, source / "_static")
    return config
