"""A new study needs only what CONTRIBUTING's "Adding a study" lists: a
toy study in one module (tests/toy_study.py) and one registry entry run,
store their records, read them back and feed the ledger."""

import pytest

from gobig.core import registry
from gobig.core.store import ResultStore
from gobig.core.study import Study
from gobig.report import ledger

pytestmark = pytest.mark.unit

TOY = registry.Entry("toy", "chapters/99_toy.ipynb", "99. Toy", "arithmetic", figures=0, module="toy_study")


def test_a_toy_study_registered_the_documented_way_runs_stores_and_reads_back(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "STUDIES", (*registry.STUDIES, TOY))
    # Its default profile would be a line of lib/gobig/profiles/defaults.yaml; a test leaves that file alone.
    default = registry.default_profile
    monkeypatch.setattr(registry, "default_profile", lambda name: "small" if name == "toy" else default(name))
    study = registry.get("toy").study
    assert isinstance(study, Study)
    values = {**study.load_profile(study.DEFAULT_PROFILE), "RESULTS_DIR": str(tmp_path)}
    records = study.run(values)
    assert [r["result"]["square"] for r in records] == [1, 4, 9]
    assert sorted(p.stem for p in (tmp_path / "toy").glob("*.json")) == sorted(r["key"] for r in records)
    assert registry.records_for(study, values) == records  # read back from the store alone
    store = ResultStore(study.STUDY, study.VERSION, tmp_path)
    assert all(store.exists(config) for config in study.expand_configs(study.validate_parameters(values)))
    monkeypatch.setattr(ledger, "profile_records", lambda s, profile, results_dir=None: records)
    (row,) = ledger.study_rows(registry.get("toy"), tmp_path)
    assert row["verdict"] == "supported" and row["chapter"] == "99. Toy" and row["device"] == "toy"
