"""A toy study, written as CONTRIBUTING's "Adding a study" says, in one
module: it keeps the ``Study`` protocol, sweeps its configs through the
result store and draws one claim from its records. ``tests/test_toy_study.py``
registers it and runs it end to end."""

from __future__ import annotations

import pandas as pd

from gobig.core.params import Spec, validate
from gobig.core.store import ResultStore
from gobig.core.study import records_only as load_results  # noqa: F401
from gobig.core.sweep import SWEEP_PARAMETERS, run_from_params

STUDY = "toy"
VERSION = 1
DEFAULT_PROFILE = "small"
PROFILES = {"small": {"SIZES": [1, 2, 3], "SEEDS": [0]}}
PARAMETERS = {
    "SIZES": Spec(int, "model sizes to square", is_list=True, minimum=1),
    "SEEDS": Spec(int, "one run per seed", is_list=True, minimum=0),
    **SWEEP_PARAMETERS,
}


def load_profile(name: str) -> dict:
    if name not in PROFILES:
        raise ValueError(f"profile {name!r} does not exist; available profiles: {', '.join(PROFILES)}")
    return dict(PROFILES[name])


def validate_parameters(values: dict) -> dict:
    return validate(PARAMETERS, values)


def expand_configs(params: dict) -> list[dict]:
    return [{"size": size, "seed": seed} for size in params["SIZES"] for seed in params["SEEDS"]]


def _compute(config: dict) -> tuple[dict, dict]:
    return {"square": config["size"] ** 2}, {"device": "cpu", "device_name": "toy"}


def run(values: dict, progress: bool = False) -> list[dict]:
    params = validate_parameters(values)
    store = ResultStore.for_params(STUDY, VERSION, params)
    return run_from_params(expand_configs(params), _compute, store, params, progress=progress)


def claims_table(records: list[dict]) -> pd.DataFrame:
    squares = [record["result"]["square"] for record in records]
    supported = all(s == r["config"]["size"] ** 2 for s, r in zip(squares, records))
    return pd.DataFrame(
        [
            {
                "claim": "a size's square is its size times itself",
                "source": "arithmetic",
                "measured": ", ".join(map(str, squares)),
                "verdict": "supported" if supported else "not supported",
                "why": "every record's square",
            }
        ]
    )
