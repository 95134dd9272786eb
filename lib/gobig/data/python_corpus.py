"""The dated Python corpus: pre-training text with a date per file.

``$GOBIG_DATA_DIR/python-corpus/leetcode_python.jsonl.gz`` (see its README)
holds source files, each with the date its path first appeared in its
repository. It plays GitHub's role in AlphaCode's pre-training: for a
temporal split only files dated before the cutoff may be used.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from gobig.core import paths
from gobig.core.errors import UserError
from gobig.data.codecontests import verify_checksum


class CorpusDataMissing(UserError, FileNotFoundError):
    """No corpus file where one was asked for."""


class CorpusFormatError(UserError, ValueError):
    """A corpus file or record is damaged or does not have the expected fields."""


@dataclass(frozen=True)
class CorpusFile:
    path: str
    added: datetime  # UTC
    text: str


def default_path() -> Path:
    return paths.data_dir() / "python-corpus" / "leetcode_python.jsonl.gz"


def parse_date(value: str) -> datetime:
    """``YYYY-MM-DD`` or ISO-8601 with ``Z`` -> an aware UTC datetime."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def load(path: str | Path | None = None) -> list[CorpusFile]:
    path = Path(path) if path else default_path()
    if not path.is_file():
        raise CorpusDataMissing(f"{path}: no such corpus file (set GOBIG_DATA_DIR to the data folder)")
    verify_checksum(path)
    files = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    record = json.loads(line)
                    files.append(CorpusFile(record["path"], parse_date(record["added"]), record["text"]))
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as error:
                    raise CorpusFormatError(f"{path}: record {number}: {type(error).__name__}: {error}") from None
    except (EOFError, OSError, zlib.error) as error:
        raise CorpusFormatError(f"{path}: damaged or truncated file ({error})") from None
    return files


def before(files: list[CorpusFile], cutoff: datetime) -> list[CorpusFile]:
    """The files first added strictly before ``cutoff``."""
    return [f for f in files if f.added < cutoff]
