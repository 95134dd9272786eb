"""CodeContests-schema problems (Li et al. 2022), from parquet or JSON lines.

Two ways in, one schema check:
- the Hugging Face copy ``deepmind/code_contests`` (parquet shards, e.g.
  ``data/valid-00000-of-00001.parquet``), fetched by :func:`download` for
  users with internet, or any folder/file of such shards;
- JSON-lines files (``.jsonl`` or ``.jsonl.gz``) with the same fields, such as
  the offline mirrors in ``$GOBIG_DATA_DIR/codecontests`` (checked against
  that folder's ``SHA256SUMS`` when it has one).

Every record is checked field by field on load; a malformed one raises
:class:`CodeContestsFormatError` naming the file, the record number and the
problem, never a half-loaded list.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gobig.core import paths
from gobig.core.errors import UserError

#: Hugging Face dataset id of CodeContests.
HF_DATASET = "deepmind/code_contests"
#: Enum code of the dataset card: language 3 = PYTHON3.
PYTHON3 = 3
#: The offline mirrors in ``$GOBIG_DATA_DIR/codecontests``.
MIRRORS = ("codecontests_mini", "neocoder_codeforces")
#: The mirrors' published checksums (their SHA256SUMS). A chapter 3 record is
#: keyed by its problems file's sha256; with these, a build that only loads
#: committed records (the book, e.g. on GitHub's runners) needs no data.
MIRROR_SHA256 = {
    "codecontests_mini.jsonl.gz": "c01ceb73c1642ca48b46ad505b72db82f39af86f94ed7ae29fe158ffb938d5d2",
    "neocoder_codeforces.jsonl.gz": "4591d6af5e4032437ecbfa7562727fd56e6005e8d4eebb4c6f7b327ba6025049",
}


class CodeContestsDataMissing(UserError, FileNotFoundError):
    """No CodeContests file where one was asked for."""


class CodeContestsFormatError(UserError, ValueError):
    """A file or record does not follow the CodeContests schema."""


def _tests(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"input", "output"}
        and isinstance(value["input"], list)
        and isinstance(value["output"], list)
        and len(value["input"]) == len(value["output"])
        and all(isinstance(s, str) for s in value["input"] + value["output"])
    )


def _solutions(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"language", "solution"}
        and isinstance(value["language"], list)
        and isinstance(value["solution"], list)
        and len(value["language"]) == len(value["solution"])
        and all(isinstance(x, int) for x in value["language"])
        and all(isinstance(s, str) for s in value["solution"])
    )


def _time_limit(value: Any) -> bool:
    return value is None or (
        isinstance(value, dict) and all(isinstance(value.get(k), int) for k in ("seconds", "nanos"))
    )


#: Field -> (check, what the check wants): the schema of ``ContestProblem``.
SCHEMA = {
    "name": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "description": (lambda v: isinstance(v, str), "a string"),
    "public_tests": (_tests, "{input: [str], output: [str]} of equal lengths"),
    "private_tests": (_tests, "{input: [str], output: [str]} of equal lengths"),
    "generated_tests": (_tests, "{input: [str], output: [str]} of equal lengths"),
    "source": (lambda v: isinstance(v, int), "an integer"),
    "difficulty": (lambda v: isinstance(v, int), "an integer"),
    "solutions": (_solutions, "{language: [int], solution: [str]} of equal lengths"),
    "incorrect_solutions": (_solutions, "{language: [int], solution: [str]} of equal lengths"),
    "cf_contest_id": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "cf_index": (lambda v: isinstance(v, str), "a string"),
    "cf_points": (lambda v: isinstance(v, (int, float)), "a number"),
    "cf_rating": (lambda v: isinstance(v, int), "an integer"),
    "cf_tags": (lambda v: isinstance(v, list) and all(isinstance(t, str) for t in v), "a list of strings"),
    "is_description_translated": (lambda v: isinstance(v, bool), "a boolean"),
    "untranslated_description": (lambda v: isinstance(v, str), "a string"),
    "time_limit": (_time_limit, "null or {seconds: int, nanos: int}"),
    "memory_limit_bytes": (lambda v: isinstance(v, int), "an integer"),
    "input_file": (lambda v: isinstance(v, str), "a string"),
    "output_file": (lambda v: isinstance(v, str), "a string"),
}


@dataclass(frozen=True)
class Problem:
    """One problem, with the fields the study uses."""

    name: str
    description: str
    public_tests: tuple[tuple[str, str], ...]
    private_tests: tuple[tuple[str, str], ...]
    generated_tests: tuple[tuple[str, str], ...]
    solutions: tuple[str, ...]  # Python 3 only
    cf_contest_id: int
    cf_index: str
    difficulty: int
    tags: tuple[str, ...]
    time_limit_seconds: float | None

    @property
    def key(self) -> str:
        """``<contest>_<index>``, e.g. ``1280_C``: unique per Codeforces problem."""
        return f"{self.cf_contest_id}_{self.cf_index}"

    @property
    def title(self) -> str:
        """The name without its ``<contest>_<index>. `` prefix."""
        return self.name.split(". ", 1)[-1]

    @property
    def all_tests(self) -> tuple[tuple[str, str], ...]:
        """Public, private and generated tests, each input once (first wins)."""
        seen: dict[str, str] = {}
        for test_input, expected in self.public_tests + self.private_tests + self.generated_tests:
            seen.setdefault(test_input, expected)
        return tuple(seen.items())


def _pairs(tests: dict) -> tuple[tuple[str, str], ...]:
    return tuple(zip(tests["input"], tests["output"]))


def check_record(record: Any, where: str) -> Problem:
    """Validate one raw record against :data:`SCHEMA` and convert it."""
    if not isinstance(record, dict):
        raise CodeContestsFormatError(f"{where}: expected a JSON object, got {type(record).__name__}")
    name = record.get("name") if isinstance(record.get("name"), str) else "?"
    missing = [field for field in SCHEMA if field not in record]
    if missing:
        raise CodeContestsFormatError(f"{where} ({name}): missing field(s) {', '.join(missing)}")
    for field, (check, wanted) in SCHEMA.items():
        if not check(record[field]):
            value = repr(record[field])[:60]
            raise CodeContestsFormatError(f"{where} ({name}): field {field!r} must be {wanted}, got {value}")
    solutions = record["solutions"]
    limit = record["time_limit"]
    return Problem(
        name=record["name"],
        description=record["description"],
        public_tests=_pairs(record["public_tests"]),
        private_tests=_pairs(record["private_tests"]),
        generated_tests=_pairs(record["generated_tests"]),
        solutions=tuple(s for lang, s in zip(solutions["language"], solutions["solution"]) if lang == PYTHON3),
        cf_contest_id=record["cf_contest_id"],
        cf_index=record["cf_index"],
        difficulty=record["difficulty"],
        tags=tuple(record["cf_tags"]),
        time_limit_seconds=None if limit is None else limit["seconds"] + limit["nanos"] / 1e9,
    )


def _jsonl_records(path: Path) -> Iterator[tuple[str, Any]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}: record {number}"
                try:
                    yield where, json.loads(line)
                except json.JSONDecodeError as error:
                    raise CodeContestsFormatError(f"{where}: not valid JSON ({error.msg})") from None
    except (EOFError, OSError, zlib.error, UnicodeDecodeError) as error:
        # A truncated or damaged .gz fails mid-stream: say which file.
        raise CodeContestsFormatError(f"{path}: damaged or truncated file ({error})") from None


def _parquet_records(path: Path) -> Iterator[tuple[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path, columns=list(SCHEMA))
    except Exception as error:  # pyarrow raises several types for bad files and missing columns
        raise CodeContestsFormatError(f"{path}: not a CodeContests parquet file ({error})") from None
    for number, record in enumerate(table.to_pylist(), start=1):
        yield f"{path}: row {number}", record


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.rglob("*.parquet")) or sorted(path.glob("*.jsonl*"))
        if not files:
            raise CodeContestsDataMissing(f"{path}: no .parquet or .jsonl(.gz) files in this folder")
        return files
    if not path.is_file():
        raise CodeContestsDataMissing(
            f"{path}: no such file. Use download() for the Hugging Face copy ({HF_DATASET}) "
            f"or point GOBIG_DATA_DIR at a folder with codecontests/<name>.jsonl.gz"
        )
    return [path]


def verify_checksum(path: Path) -> None:
    """Check a file against ``SHA256SUMS`` beside it, when it is listed there."""
    sums = path.parent / "SHA256SUMS"
    if not sums.is_file():
        return
    expected = {line.split()[1].lstrip("*"): line.split()[0] for line in sums.read_text().splitlines() if line.strip()}
    if path.name not in expected:
        return
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected[path.name]:
        raise CodeContestsFormatError(
            f"{path}: sha256 {digest[:12]}… does not match SHA256SUMS ({expected[path.name][:12]}…): "
            "the file is damaged or altered"
        )


def load(path: str | Path) -> list[Problem]:
    """Every problem in a parquet or JSON-lines file, or a folder of them."""
    problems = []
    for file in _files(Path(path)):
        if file.suffix == ".parquet":
            records = _parquet_records(file)
        else:
            verify_checksum(file)
            records = _jsonl_records(file)
        problems.extend(check_record(record, where) for where, record in records)
    keys = [p.key for p in problems]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise CodeContestsFormatError(f"{path}: problem(s) listed twice: {', '.join(duplicates[:5])}")
    return problems


def mirror_path(name: str = "codecontests_mini") -> Path:
    """Path of an offline mirror file (see ``$GOBIG_DATA_DIR/codecontests/README.md``)."""
    if name not in MIRRORS:
        raise ValueError(f"mirror must be one of {', '.join(MIRRORS)}; got {name!r}")
    return paths.data_dir() / "codecontests" / f"{name}.jsonl.gz"


def resolve(source: str) -> Path:
    """A data parameter's value -> a path: a mirror's name, or a file/folder path."""
    return mirror_path(source) if source in MIRRORS else Path(source).expanduser()


def download(split: str = "valid", destination: str | Path | None = None) -> Path:
    """Fetch the Hugging Face parquet shards of one split (needs internet).

    Returns the folder to pass to :func:`load`. The train split is about
    3 GB in 39 shards; valid and test are one shard each.
    """
    if split not in ("train", "valid", "test"):
        raise ValueError(f"split must be one of train, valid, test; got {split!r}")
    from huggingface_hub import snapshot_download

    folder = Path(destination or paths.data_dir() / "code_contests_hf")
    snapshot_download(
        repo_id=HF_DATASET, repo_type="dataset", local_dir=folder, allow_patterns=[f"data/{split}-*.parquet"]
    )
    return folder / "data"
