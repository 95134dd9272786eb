"""Every committed record still loads and keeps its key: the refactors of
issue 20 moved code, not records. A record's key is a hash of its study,
version and config (gobig.store.config_key); no key was migrated."""

import copy
import json

import pytest

from gobig import paths, registry
from gobig.gpt3.views import Record, RecordShapeError, view
from gobig.store import ResultStore, config_key

pytestmark = pytest.mark.unit

RECORDS = [
    (entry, path) for entry in registry.STUDIES for path in sorted((paths.ROOT / "results" / entry.name).glob("*.json"))
]
GPT3_RECORDS = [path for entry, path in RECORDS if entry.name == "gpt3"]


def test_there_are_records_of_every_study():
    assert {entry.name for entry, _ in RECORDS} == set(registry.NAMES)


@pytest.mark.parametrize("entry,path", RECORDS, ids=lambda x: x.name if hasattr(x, "name") else None)
def test_every_committed_record_loads_and_maps_to_its_key(entry, path):
    record = json.loads(path.read_text())
    assert record["study"] == entry.name
    assert record["key"] == path.stem
    assert config_key(entry.name, record["version"], record["config"]) == record["key"]
    assert record["provenance"]["device_name"], "every record names its device"
    if record["version"] == entry.study.VERSION:  # a record of an older version is kept, and never read
        assert ResultStore(entry.name, record["version"], paths.ROOT / "results").load(record["config"]) == record


@pytest.mark.parametrize("path", GPT3_RECORDS, ids=lambda p: p.stem)
def test_every_gpt3_record_has_a_typed_view_with_the_same_key(path):
    record = json.loads(path.read_text())
    typed = Record.from_record(record)
    assert typed.config.to_dict() == record["config"]
    assert typed.config.key(typed.version) == record["key"] == typed.key
    assert len(typed.fits) == len(record["result"]["fits"]) and len(typed.backtests) == len(
        record["result"]["backtests"]
    )
    fit = record["result"]["fits"][0]
    assert typed.fit(fit["benchmark"], fit["setting"], fit["fit"]["kind"]).fit.to_dict() == fit["fit"]
    assert view(typed) is typed


def test_the_view_refuses_a_record_it_does_not_know():
    record = json.loads(GPT3_RECORDS[0].read_text())
    grown = copy.deepcopy(record)
    grown["result"]["new_number"] = 1.0
    with pytest.raises(RecordShapeError, match=r"not known to the view \['new_number'\]"):
        Record.from_record(grown)
    shrunk = copy.deepcopy(record)
    del shrunk["result"]["fits"][0]["accuracy_at_gpt3"]
    with pytest.raises(RecordShapeError, match=r"missing \['accuracy_at_gpt3'\]"):
        Record.from_record(shrunk)
    other = {**record, "study": "mnist"}
    with pytest.raises(RecordShapeError, match="expected 'gpt3'"):
        Record.from_record(other)


def test_a_bare_computation_has_a_view_without_key_or_device():
    """Tests and readings view ``{"config", "result"}`` before it is stored."""
    record = json.loads(GPT3_RECORDS[0].read_text())
    bare = Record.from_record({"config": record["config"], "result": record["result"]})
    assert (bare.key, bare.version, bare.device_name) == (None, None, None)
    assert bare.config.key(record["version"]) == record["key"]
