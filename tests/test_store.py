"""The results store: keys, atomic writes, load-or-compute and resume."""

import json

import pytest

from gobig.store import CorruptRecordError, ResultStore, config_key
from gobig.sweep import run_sweep

pytestmark = pytest.mark.unit


def compute(config):
    return {"square": config["x"] ** 2}, {"device": "cpu", "device_name": "test"}


def test_key_depends_on_config_study_and_version():
    config = {"x": 1, "nested": {"a": [1, 2]}}
    assert config_key("s", 1, config) == config_key("s", 1, {"nested": {"a": [1, 2]}, "x": 1})
    assert config_key("s", 1, config) != config_key("s", 2, config)
    assert config_key("s", 1, config) != config_key("t", 1, config)
    assert config_key("s", 1, config) != config_key("s", 1, {**config, "x": 2})


def test_round_trip_and_provenance(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    record = store.load_or_compute({"x": 3}, compute)
    assert record["result"] == {"square": 9}
    assert record["provenance"]["device_name"] == "test" and record["provenance"]["wall_time_s"] >= 0
    assert store.load({"x": 3}) == record
    assert json.loads(store.path({"x": 3}).read_text())["key"] == store.key({"x": 3})


def test_resume_after_a_crash_reuses_finished_configs(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    calls = []

    def crashing(config):
        calls.append(config["x"])
        if config["x"] == 3:
            raise KeyboardInterrupt  # the process dies mid-sweep
        return compute(config)

    configs = [{"x": x} for x in range(5)]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(configs, crashing, store, progress=False)
    assert calls == [0, 1, 2, 3]
    assert sorted(p.name for p in store.folder.iterdir()) == sorted(f"{store.key(c)}.json" for c in configs[:3])  # no partial file

    calls.clear()
    def recording(config):
        calls.append(config["x"])
        return compute(config)

    records = run_sweep(configs, recording, store, progress=False)
    assert calls == [3, 4]  # only the missing configs were computed
    assert [r["result"]["square"] for r in records] == [0, 1, 4, 9, 16]


def test_compute_missing_false_lists_what_is_missing(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    store.load_or_compute({"x": 1}, compute)
    with pytest.raises(FileNotFoundError, match=r"1 of 2 configs have no record") as error:
        run_sweep([{"x": 1}, {"x": 2}], compute, store, compute_missing=False, progress=False)
    assert store.key({"x": 2}) in str(error.value)


def test_truncated_record_is_an_error_naming_the_file(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    store.load_or_compute({"x": 1}, compute)
    path = store.path({"x": 1})
    path.write_text(path.read_text()[:20])
    with pytest.raises(CorruptRecordError, match=str(path)):
        store.load_or_compute({"x": 1}, compute)


def test_record_for_another_config_is_refused(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    store.load_or_compute({"x": 1}, compute)
    store.path({"x": 1}).rename(store.path({"x": 2}))
    with pytest.raises(CorruptRecordError, match="does not match"):
        store.load({"x": 2})


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    store = ResultStore("demo", 1, tmp_path)

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        store.load_or_compute({"x": 1}, compute)
    assert list(store.folder.iterdir()) == []


def test_configs_computed_together_are_one_unit_with_their_own_records(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    units = []

    def together_compute(configs):
        units.append([c["x"] for c in configs])
        return [compute(c) for c in configs]

    configs = [{"x": x, "group": min(x, 2)} for x in range(5)]  # groups {0}, {1}, {2, 3, 4}
    store.save(configs[0], *compute(configs[0]), 0.0)  # a finished group is not recomputed
    store.save(configs[2], *compute(configs[2]), 0.0)  # a partial one is, whole, for the same bits
    before = store.path(configs[2]).read_text()
    records = run_sweep(configs, compute, store, progress=False, together=lambda c: c["group"], compute_together=together_compute)
    assert units == [[1], [2, 3, 4]]
    assert [r["result"]["square"] for r in records] == [0, 1, 4, 9, 16]
    assert store.path(configs[2]).read_text() == before  # an existing record is never rewritten
    assert [r["provenance"].get("computed_together") for r in records] == [None, None, None, 3, 3]
    with pytest.raises(ValueError, match="both together and compute_together"):
        run_sweep(configs, compute, store, progress=False, together=lambda c: c["group"])
