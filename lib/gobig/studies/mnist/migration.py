"""The one rewrite of chapter 1's version-1 records into version 2, without
recomputing anything (``python -m gobig migrate mnist``).

Version 2 spells out every training field that version 1 left out at its
default (``lr_schedule`` cosine, ``precision`` auto, ``monitor_images`` 0
for adversarial training), and moves a config's ``checkpoint`` and
``crosscheck`` flags into its ``extras``, outside the key. So a record's key
no longer depends on the sweep around its config, and a rerun of part of the
committed sweep loads the committed records.

Everything keyed by a record's or a trained model's key moves with it:
the record, its training record and checkpoint files (``checkpoints/``), its
re-attacks (``evaluations/KEY.ATTACK.json``) and a model waiting in
``.pending/``. Two version-1 records that become one key (a seed trained
again to keep its weights, beside its first record without them) keep the
one with more extras, whose checkpoint the re-attacks read; the other is
removed. Records already at version 2 are left alone, so running it twice
changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

from gobig.core import paths
from gobig.core.store import EXTRAS, config_key, write_json
from gobig.studies.mnist.params import ADVERSARIAL, CHECKPOINT, CROSSCHECK, STUDY, VERSION

OLD_VERSION = 1


def migrate_config(config: dict) -> dict:
    """A version-1 config in its version-2 form (same computation)."""
    training = dict(config["training"])
    training.setdefault("lr_schedule", "cosine")
    training.setdefault("precision", "auto")
    if config["mode"] in ADVERSARIAL:
        training.setdefault("monitor_images", 0)
    migrated = {k: v for k, v in config.items() if k not in (CHECKPOINT, CROSSCHECK)}
    migrated["training"] = training
    extras = [name for name in (CHECKPOINT, CROSSCHECK) if config.get(name)]
    if extras:
        migrated[EXTRAS] = extras
    return migrated


def _training_config(config: dict) -> dict:
    return {k: config[k] for k in ("family", "size", "mode", "seed", "training")}


def _checkpoint_files(folder: Path, info: dict) -> list[Path]:
    name = info["file"]
    return [folder / name] if info["parts"] == 1 else [folder / f"{name}.{k}" for k in range(info["parts"])]


def migrate_records(results_dir: str | Path | None = None) -> dict[str, str]:
    """Rewrite every version-1 chapter-1 record under ``results_dir`` (default:
    the results folder) to version 2; return {old key: new key}."""
    folder = Path(results_dir or paths.results_dir()) / STUDY
    checkpoints, evaluations, pending = folder / "checkpoints", folder / "evaluations", folder / ".pending"

    # Trained models first: records name them by their training key.
    trained_keys: dict[str, str] = {}
    for path in sorted(checkpoints.glob("*.json")):
        trained = json.loads(path.read_text())
        if trained.get("version") != OLD_VERSION:
            continue
        config = _training_config(migrate_config(trained["config"]))
        key = config_key(f"{STUDY}-trained", VERSION, config)
        info = dict(trained["checkpoint"])
        old_files = _checkpoint_files(checkpoints, info)
        info["file"] = f"{key}.pt"
        for old, new in zip(old_files, _checkpoint_files(checkpoints, info)):
            old.rename(new)
        write_json(
            checkpoints / f"{key}.json",
            {**trained, "key": key, "version": VERSION, "config": config, "checkpoint": info},
        )
        if path.stem != key:
            path.unlink()
        trained_keys[trained["key"]] = key
        waiting = pending / f"{trained['key']}.pt"
        if waiting.is_file():
            waiting.rename(pending / f"{key}.pt")

    # Then the records, the one with more extras winning a shared key.
    chosen: dict[str, tuple[dict, Path]] = {}
    keys: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("version") != OLD_VERSION:
            continue
        config = migrate_config(record["config"])
        key = config_key(STUDY, VERSION, config)
        keys[record["key"]] = key
        result = dict(record["result"])
        if "checkpoint" in result:
            training_key = trained_keys.get(result["checkpoint"]["training_key"], result["checkpoint"]["training_key"])
            result["checkpoint"] = {**result["checkpoint"], "training_key": training_key, "file": f"{training_key}.pt"}
        migrated = {**record, "key": key, "version": VERSION, "config": config, "result": result}
        previous = chosen.get(key)
        if previous is None or len(config.get(EXTRAS, ())) > len(previous[0]["config"].get(EXTRAS, ())):
            chosen[key] = (migrated, path)
    for key, (record, _) in chosen.items():
        if "trained_in" in record["result"]:
            record["result"]["trained_in"] = keys.get(record["result"]["trained_in"], record["result"]["trained_in"])
        write_json(folder / f"{key}.json", record)
    for old, new in keys.items():
        source = folder / f"{old}.json"
        if source.is_file() and old != new:
            source.unlink()
        winner = chosen[new][1].stem == old
        for evaluation in sorted(evaluations.glob(f"{old}.*.json")):
            if not winner:
                continue  # a re-attack of a checkpoint whose record lost its key to another
            attack = evaluation.name[len(old) + 1 : -len(".json")]
            content = json.loads(evaluation.read_text())
            write_json(evaluations / f"{new}.{attack}.json", {**content, "key": new})
            if old != new:
                evaluation.unlink()
    return keys
