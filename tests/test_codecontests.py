"""The CodeContests loader and the dated corpus: real mirrors, a parquet
file in the Hugging Face schema, and damaged or malformed inputs."""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gobig.data import codecontests, python_corpus

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def mini():
    return codecontests.load(codecontests.mirror_path("codecontests_mini"))


def _raw_records(count: int) -> list[dict]:
    with gzip.open(codecontests.mirror_path("codecontests_mini"), "rt") as handle:
        return [json.loads(next(handle)) for _ in range(count)]


def test_mirror_counts_match_its_readme(mini):
    assert len(mini) == 300
    assert len({p.cf_contest_id for p in mini}) == 275
    assert min(p.cf_contest_id for p in mini) == 2 and max(p.cf_contest_id for p in mini) == 1547
    assert sum(len(p.private_tests) for p in mini) == 2999
    assert sum(len(p.public_tests) for p in mini) == 688
    assert all(len(p.solutions) == 1 for p in mini)


def test_problem_fields(mini):
    first = mini[0]
    assert first.key == "2_C" and first.title == "Commentator problem"
    # Public examples come first in all_tests and are not repeated from the private ones.
    inputs = [i for i, _ in first.all_tests]
    assert len(inputs) == len(set(inputs))
    assert inputs[: len(first.public_tests)] == [i for i, _ in first.public_tests]


def test_neocoder_mirror_has_solutions_only_for_recent_problems():
    problems = codecontests.load(codecontests.mirror_path("neocoder_codeforces"))
    assert len(problems) == 499
    with_solutions = [p for p in problems if p.solutions]
    assert len(with_solutions) == 199
    assert min(p.cf_contest_id for p in with_solutions) >= 1699
    assert all(p.time_limit_seconds in (1.0, 1.5, 2.0, 3.0) for p in problems)


def test_parquet_in_the_hugging_face_schema_loads_like_jsonl(tmp_path):
    records = _raw_records(3)
    path = tmp_path / "valid-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(records), path)
    from_parquet = codecontests.load(path)
    assert from_parquet == [codecontests.check_record(r, "x") for r in records]
    assert codecontests.load(tmp_path) == from_parquet  # a folder of shards


def test_parquet_without_a_column_names_the_file(tmp_path):
    records = [{k: v for k, v in r.items() if k != "solutions"} for r in _raw_records(2)]
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(records), path)
    with pytest.raises(codecontests.CodeContestsFormatError, match="bad.parquet"):
        codecontests.load(path)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda r: r.pop("private_tests"), "missing field"),
        (lambda r: r.update(cf_contest_id="1280"), "cf_contest_id"),
        (lambda r: r["public_tests"]["output"].pop(), "public_tests"),
        (lambda r: r.update(solutions={"language": [3], "solution": [7]}), "solutions"),
        (lambda r: r.update(time_limit={"seconds": "1"}), "time_limit"),
    ],
)
def test_malformed_record_names_file_record_and_field(tmp_path, damage, message):
    records = _raw_records(3)
    damage(records[1])
    path = tmp_path / "problems.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with pytest.raises(codecontests.CodeContestsFormatError) as error:
        codecontests.load(path)
    text = str(error.value)
    assert "problems.jsonl: record 2" in text and message in text and records[1]["name"] in text


def test_invalid_json_line_names_the_record(tmp_path):
    path = tmp_path / "problems.jsonl"
    path.write_text(json.dumps(_raw_records(1)[0]) + "\n{not json\n")
    with pytest.raises(codecontests.CodeContestsFormatError, match="record 2: not valid JSON"):
        codecontests.load(path)


def test_truncated_gzip_names_the_file(tmp_path):
    data = codecontests.mirror_path().read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(codecontests.CodeContestsFormatError, match="cut.jsonl.gz: damaged or truncated"):
        codecontests.load(path)


def test_altered_mirror_fails_its_checksum(tmp_path):
    mirror = codecontests.mirror_path().parent
    for name in ("codecontests_mini.jsonl.gz", "SHA256SUMS"):
        shutil.copy(mirror / name, tmp_path / name)
    records = _raw_records(300)
    records[5]["private_tests"]["output"][0] = "42\n"  # a valid record with a wrong answer
    with gzip.open(tmp_path / "codecontests_mini.jsonl.gz", "wt") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in records)
    with pytest.raises(codecontests.CodeContestsFormatError, match="does not match SHA256SUMS"):
        codecontests.load(tmp_path / "codecontests_mini.jsonl.gz")


def test_duplicate_problems_are_refused(tmp_path):
    record = _raw_records(1)[0]
    path = tmp_path / "twice.jsonl"
    path.write_text((json.dumps(record) + "\n") * 2)
    with pytest.raises(codecontests.CodeContestsFormatError, match="listed twice: 2_C"):
        codecontests.load(path)


def test_missing_file_says_how_to_get_data(tmp_path):
    with pytest.raises(codecontests.CodeContestsDataMissing, match="deepmind/code_contests"):
        codecontests.load(tmp_path / "nope.jsonl.gz")
    with pytest.raises(ValueError, match="codecontests_mini"):
        codecontests.mirror_path("other")


def test_corpus_dates_and_cutoff():
    files = python_corpus.load()
    assert len(files) == 3621
    cutoff = python_corpus.parse_date("2019-12-15")
    before = python_corpus.before(files, cutoff)
    assert before and all(f.added < cutoff for f in before)
    # The README's per-year counts: 2014-2019 = 170+132+145+221+239+301 = 1208 files.
    assert len(python_corpus.before(files, python_corpus.parse_date("2020-01-01"))) == 1208


def test_damaged_corpus_record_names_it(tmp_path):
    path = tmp_path / "corpus.jsonl.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(json.dumps({"path": "a.py", "added": "2015-01-01T00:00:00Z", "text": "x"}) + "\n")
        handle.write(json.dumps({"path": "b.py", "added": "yesterday", "text": "y"}) + "\n")
    with pytest.raises(python_corpus.CorpusFormatError, match="record 2"):
        python_corpus.load(path)
