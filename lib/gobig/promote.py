"""Make a profile a chapter's defaults, once every record of it is in results/.

Chapters 1 and 3 default to their ``cpu`` profile until the ``full``
profile's GPU records are committed. Then ``python -m gobig promote mnist
full``:

- refuses, before changing anything, when any config of the profile has no
  record (a chapter's defaults must never compute);
- sets ``DEFAULT_PROFILE`` in the study's module;
- writes the profile's values into the chapter's parameters cell, each line
  keeping its name, annotation and comment (``DEVICE`` stays ``"auto"``);
- lists the prose that still speaks of the interim run (``INTERIM_PROSE``),
  which a test requires gone once a chapter's default is ``full``.

Rewriting prose is left to a person; ``make notebooks`` and ``make test``
come after.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from gobig import paths
from gobig.sweep import profile_sweep

#: The chapter each sweeping study's defaults live in.
CHAPTERS = {"mnist": "chapters/01_mnist_capacity.ipynb", "alphacode": "chapters/03_alphacode_split.ipynb"}

#: Sentences a chapter holds while its default is not the full profile, and
#: must lose when it is (tests/test_results_committed.py checks both ways).
INTERIM_PROSE = {
    "mnist": ("This is the interim CPU run, not the full study", "the full GPU profile, with more data, epochs and scales up to 32, is what can settle them"),
    "alphacode": ("The GPU rerun with the full profile (a larger model, thousands of samples per problem, two memorization pairs) is owed",),
}

#: Parameters whose chapter value does not follow the profile.
MACHINE_SPECIFIC = ("DEVICE",)

_LINE = re.compile(r"^(?P<head>(?P<name>[A-Z][A-Z0-9_]*)\s*(?::[^=]+?)?\s*=\s*)(?P<value>.*?)(?P<comment>\s+#.*)?$")
_DEFAULT_PROFILE = re.compile(r'^DEFAULT_PROFILE = "[a-z0-9_]+"$', re.MULTILINE)


class PromotionError(ValueError):
    pass


def literal(value) -> str:
    """A parameter value as the chapters write it: Python, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    return repr(value)


def rewrite_parameters(source: str, values: dict) -> str:
    """The parameters cell's source with ``values`` in place of the old ones."""
    lines, seen = [], set()
    for line in source.split("\n"):
        match = _LINE.match(line)
        if match and match["name"] in values:
            line = match["head"] + literal(values[match["name"]]) + (match["comment"] or "")
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
        raise PromotionError(f"study: {study.STUDY!r} has no sweep to promote; allowed: {', '.join(CHAPTERS)}")
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
    cells[0].source = rewrite_parameters(cells[0].source, {k: v for k, v in values.items() if k not in MACHINE_SPECIFIC})

    module_path = root / "lib" / "gobig" / f"{study.STUDY}.py"
    module_text = module_path.read_text()
    if len(_DEFAULT_PROFILE.findall(module_text)) != 1:
        raise PromotionError(f"{module_path} needs exactly one line DEFAULT_PROFILE = \"...\"")
    # Both files are written only once both rewrites succeeded.
    nbformat.write(notebook, chapter_path)
    module_path.write_text(_DEFAULT_PROFILE.sub(f'DEFAULT_PROFILE = "{profile}"', module_text))
    devices = sorted({record["provenance"]["device_name"] for record in records})
    return {"records": len(configs), "devices": devices, "interim_prose": interim_prose_left(study.STUDY, root)}
