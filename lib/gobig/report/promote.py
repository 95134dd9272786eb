"""Make a profile a chapter's defaults, once every record of it is in results/.

Chapters 1 and 3 default to their ``cpu`` profile until the ``full``
profile's GPU records are committed. Then ``python -m gobig promote mnist
full``:

- refuses, before changing anything, when any config of the profile has no
  record (a chapter's defaults must never compute);
- sets the study's default profile in ``lib/gobig/profiles/defaults.yaml``
  (data, which the study's ``DEFAULT_PROFILE`` reads; no source line is
  rewritten);
- writes the profile's values into the chapter's parameters cell, each line
  keeping its name, annotation and comment (``DEVICE`` stays ``"auto"``);
- lists the prose that still speaks of the interim run (``INTERIM_PROSE``),
  which a test requires gone once a chapter's default is ``full``.

Rewriting prose is left to a person; ``make notebooks`` and ``make test``
come after.

A checkout tool: it rewrites the chapter notebook and
``lib/gobig/profiles/defaults.yaml`` of the repository it lives in
(``paths.ROOT``), data files both; no source line is rewritten.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml

from gobig.core import paths, registry
from gobig.core.params import DEFAULTS_FILE, load_yaml
from gobig.core.sweep import profile_sweep

#: The chapter each study's defaults live in (from ``gobig.core.registry``).
CHAPTERS = {entry.name: entry.chapter for entry in registry.STUDIES}

#: Sentences a chapter holds while its default is not the full profile, and
#: must lose when it is (tests/test_promote.py checks both ways; from ``gobig.core.registry``).
INTERIM_PROSE = {entry.name: entry.interim_prose for entry in registry.STUDIES if entry.interim_prose}

#: The defaults file, relative to the repository root.
DEFAULTS_PATH = DEFAULTS_FILE.relative_to(paths.ROOT)

#: Parameters whose chapter value does not follow the profile.
MACHINE_SPECIFIC = ("DEVICE",)

_LINE = re.compile(r"^(?P<head>(?P<name>[A-Z][A-Z0-9_]*)\s*(?::[^=]+?)?\s*=\s*)(?P<value>.*?)(?P<comment>\s+#.*)?$")


class PromotionError(ValueError):
    pass


def literal(value) -> str:
    """A parameter value as the chapters write it: Python, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    return repr(value)


def _same_value(text: str, value) -> bool:
    try:
        return ast.literal_eval(text) == value
    except (ValueError, SyntaxError):
        return False


def rewrite_parameters(source: str, values: dict, comments: dict | None = None) -> str:
    """The parameters cell's source with ``values`` in place of the old ones,
    and each parameter's comment from ``comments`` (its spec's, ``Spec.comment``) where given."""
    lines, seen = [], set()
    comments = comments or {}
    for line in source.split("\n"):
        match = _LINE.match(line)
        if match and match["name"] in values:
            value = match["value"]
            if not _same_value(value, values[match["name"]]):  # an equal value keeps its spelling (300e9)
                value = literal(values[match["name"]])
            comment = f"  # {comments[match['name']]}" if match["name"] in comments else (match["comment"] or "")
            line = match["head"] + value + comment
            seen.add(match["name"])
        lines.append(line)
    missing = sorted(set(values) - seen)
    if missing:
        raise PromotionError(f"the parameters cell has no line for {', '.join(missing)}")
    return "\n".join(lines)


def interim_prose_left(study_name: str, root: Path = paths.ROOT) -> list[str]:
    """The interim-run sentences the study's chapter still holds."""
    text = (root / CHAPTERS[study_name]).read_text()
    return [sentence for sentence in INTERIM_PROSE.get(study_name, ()) if sentence in text]


def promote(study, profile: str, root: Path = paths.ROOT, results_dir: Path | None = None) -> dict:
    """Make ``profile`` the study's defaults (see the module docstring);
    returns the devices its records ran on and the interim sentences its
    chapter still holds."""
    import nbformat

    if study.STUDY not in CHAPTERS:
        raise PromotionError(f"study: {study.STUDY!r} is not registered; allowed: {', '.join(CHAPTERS)}")
    values = study.load_profile(profile)  # names the allowed profiles when there is no such file
    store, configs = profile_sweep(study, profile, results_dir)
    # Loaded (and so checked) before anything is written: a damaged record stops it here.
    records = store.load_all(configs)
    if records is None:
        missing = sum(not store.exists(config) for config in configs)
        raise PromotionError(
            f"{missing} of {len(configs)} configs of the {profile!r} profile have no record under {store.folder}; "
            f"run `python -m gobig run {study.STUDY} --profile {profile}` first (nothing was changed)"
        )

    chapter_path = root / CHAPTERS[study.STUDY]
    notebook = nbformat.read(chapter_path, as_version=4)
    cells = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    if len(cells) != 1:
        raise PromotionError(f"{chapter_path.name} has {len(cells)} cells tagged 'parameters'; it needs exactly one")
    cells[0].source = rewrite_parameters(
        cells[0].source,
        {k: v for k, v in values.items() if k not in MACHINE_SPECIFIC},
        {name: spec.comment() for name, spec in study.PARAMETERS.items()},
    )

    defaults_path = root / DEFAULTS_PATH
    defaults_text = defaults_path.read_text()
    if study.STUDY not in load_yaml(defaults_path):
        raise PromotionError(f"{defaults_path} has no line for {study.STUDY}")
    # Both files are written only once both rewrites succeeded; the defaults
    # file keeps its comments (one line changes).
    new_line = yaml.safe_dump({study.STUDY: profile}).strip()
    defaults_text = re.sub(rf"^{study.STUDY}:.*$", new_line, defaults_text, count=1, flags=re.MULTILINE)
    nbformat.write(notebook, chapter_path)
    defaults_path.write_text(defaults_text)
    devices = sorted({record["provenance"]["device_name"] for record in records})
    return {"records": len(configs), "devices": devices, "interim_prose": interim_prose_left(study.STUDY, root)}
