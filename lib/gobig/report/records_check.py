"""``python -m gobig check``: what a book build needs from the results
folder, checked before any page executes, so that a damaged or missing
record is one line naming the file and the fix, not the end of a page's
stack in Sphinx's output."""

from __future__ import annotations

import json
from pathlib import Path

from gobig.core import paths, registry
from gobig.core.errors import UserError
from gobig.core.store import ResultStore, config_key


def check_results(results_dir=None) -> list[str]:
    """One message per problem: a record file that is not valid JSON, lacks
    its fields, does not match its key or is of an older version of its
    study; a chapter default config without its record. Empty when the book
    can be built."""
    root = Path(results_dir or paths.results_dir())
    problems = []
    for entry in registry.STUDIES:
        study = entry.study
        folder = root / study.STUDY
        for path in sorted(folder.glob("*.json")):
            problems += _record_problems(path, study.STUDY, study.VERSION)
        values = {**study.load_profile(study.DEFAULT_PROFILE), "RESULTS_DIR": str(root)}
        try:
            params = study.validate_parameters(values)
            store = ResultStore.for_params(study.STUDY, study.VERSION, params)
            missing = [config for config in study.expand_configs(params) if not store.exists(config)]
        except UserError as error:
            problems.append(f"{study.STUDY}: {error}")
            continue
        if missing:
            problems.append(
                f"{study.STUDY}: {len(missing)} default config(s) have no record under {folder} (the first: "
                f"{store.key(missing[0])}); restore them (git checkout -- results/) or compute them with "
                f"`python -m gobig run {study.STUDY} --profile {study.DEFAULT_PROFILE}`"
            )
    return problems


def _record_problems(path: Path, study: str, version: int) -> list[str]:
    fix = "restore it (git checkout -- <file>) or delete it to recompute"
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return [f"{path}: not valid JSON ({error}); {fix}"]
    if not isinstance(record, dict) or not {"config", "version", "result", "key"} <= set(record):
        return [f"{path}: not a complete result record (config, version, result, key); {fix}"]
    if config_key(study, record["version"], record["config"]) != path.stem or record["key"] != path.stem:
        return [f"{path}: its config does not hash to its file name; {fix}"]
    if record["version"] != version:
        # No config of this version reads it: a results folder keeps one version of a study's records.
        return [f"{path}: a record of {study} version {record['version']}, not {version}; migrate it or delete it"]
    return []
