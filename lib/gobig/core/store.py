"""Result records: one small JSON file per run config.

A record's key is a hash of its study, the study's version and its config,
so changing the code's meaning (bump the version) or any parameter gives a
new key and never reuses a stale number. A config's ``extras`` (optional
additions to a result, such as a kept checkpoint or a cross-check) are not
part of its key: a record with more extras serves a config that asks for
fewer, so a key never depends on the sweep around its config. Writes are atomic (temp file in the
same folder, fsync, rename), so a crash leaves either the whole record or
none: a rerun resumes and loses nothing that finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gobig.core import paths
from gobig.core.errors import UserError


class CorruptRecordError(UserError, RuntimeError):
    """A record file exists but is not a complete, valid record."""


class MissingRecordsError(UserError, FileNotFoundError):
    """Records a run needs are not there and it may not compute them."""


class UnwritableResultsError(UserError, PermissionError):
    """The results folder cannot take new records."""


#: The config entry that lists a result's optional additions (outside the key).
EXTRAS = "extras"


def config_key(study: str, version: int, config: dict) -> str:
    canonical = json.dumps(
        {"study": study, "version": version, "config": without_extras(config)}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def without_extras(config: dict) -> dict:
    """What determines a config's result: the config without its ``extras``."""
    return {k: v for k, v in config.items() if k != EXTRAS}


def extras_of(config: dict) -> set:
    return set(config.get(EXTRAS, ()))


class ResultStore:
    """Records of one study under ``<root>/<study>/<key>.json``."""

    def __init__(self, study: str, version: int, root: str | Path | None = None):
        self.study = study
        self.version = version
        self.folder = Path(root or paths.results_dir()) / study

    @classmethod
    def for_params(cls, study: str, version: int, params: dict) -> ResultStore:
        """The store a study's validated parameters name: ``RESULTS_DIR``, else the default results folder."""
        return cls(study, version, params.get("RESULTS_DIR") or paths.results_dir())

    def check_writable(self) -> None:
        """Fail before any compute when this store's folder cannot take a
        record: a computation whose record cannot be written is lost."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".write-check-"):
                pass
        except OSError as error:
            raise UnwritableResultsError(
                f"RESULTS_DIR: cannot write records to {self.folder} ({error.strerror or error}); "
                "choose a writable folder with RESULTS_DIR (or GOBIG_RESULTS_DIR)"
            ) from None

    def key(self, config: dict) -> str:
        return config_key(self.study, self.version, config)

    def path(self, config: dict) -> Path:
        return self.folder / f"{self.key(config)}.json"

    def exists(self, config: dict) -> bool:
        """A record that serves ``config``: its key's file, holding every extra the config asks for."""
        if not self.path(config).is_file():
            return False
        return not extras_of(config) or extras_of(config) <= extras_of(self.load_any(config)["config"])

    def load_any(self, config: dict) -> dict:
        """The record under ``config``'s key, whatever extras it holds."""
        path = self.path(config)
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise CorruptRecordError(
                f"result record {path} is not valid JSON ({error}); delete it to recompute"
            ) from error
        if (
            not isinstance(record, dict)
            or not isinstance(record.get("config"), dict)
            or without_extras(record["config"]) != without_extras(config)
            or record.get("version") != self.version
            or "result" not in record
        ):
            raise CorruptRecordError(f"result record {path} does not match its config key; delete it to recompute")
        return record

    def load(self, config: dict) -> dict:
        """The record that serves ``config`` (see ``exists``)."""
        record = self.load_any(config)
        lacking = extras_of(config) - extras_of(record["config"])
        if lacking:
            raise MissingRecordsError(
                f"result record {self.path(config)} lacks {', '.join(sorted(lacking))}, which its config asks for; "
                "compute it again (python -m gobig run) to add them"
            )
        return record

    def find(self, config: dict) -> dict | None:
        """The record that serves ``config`` (see ``exists``), or None: one read of its file."""
        if not self.path(config).is_file():
            return None
        record = self.load_any(config)
        return record if extras_of(config) <= extras_of(record["config"]) else None

    def load_all(self, configs: list[dict]) -> list[dict] | None:
        """Every config's record, or None when any is missing (tables are
        never computed from part of a sweep)."""
        if not all(self.path(config).is_file() for config in configs):
            return None
        records = [self.find(config) for config in configs]
        return None if any(record is None for record in records) else records

    def save(self, config: dict, result: dict, provenance: dict, wall_time_s: float) -> dict:
        record = {
            "key": self.key(config),
            "study": self.study,
            "version": self.version,
            "config": config,
            "result": result,
            # A result only extended (an extra added to a stored one) keeps its first computation's time.
            "provenance": {"wall_time_s": round(wall_time_s, 3), **provenance},
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json(self.path(config), record)
        return record

    def rekey(self, path: Path, config: dict) -> Path:
        """Move a record of this store to a new form of its config: the same
        result and provenance under ``config``'s key (written first, then the
        old file removed). For a config whose form changed but whose
        computation did not; a changed computation needs a version bump."""
        record = json.loads(Path(path).read_text())
        if record.get("study") != self.study or record.get("version") != self.version:
            raise CorruptRecordError(f"result record {path} is not of {self.study} version {self.version}")
        moved = {**record, "key": self.key(config), "config": config}
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json(self.path(config), moved)
        if Path(path).resolve() != self.path(config).resolve():
            Path(path).unlink()
        return self.path(config)

    def load_or_compute(self, config: dict, compute: Callable[[dict], tuple[dict, dict]]) -> dict:
        """Return the stored record for ``config``; compute and store it when
        missing. ``compute(config)`` returns ``(result, provenance)``."""
        found = self.find(config)
        if found is not None:
            return found
        start = time.perf_counter()
        result, provenance = compute(config)
        return self.save(config, result, provenance, time.perf_counter() - start)


def write_json(path: Path, payload: Any) -> None:
    """Write ``payload`` as JSON atomically: a crash leaves the old file or the new one, never part."""
    descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(payload, handle, indent=1, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp makes it owner-only; records are for every reader
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
