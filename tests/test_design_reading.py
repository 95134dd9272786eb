"""Chapter 1's description of what was trained is read from the run's
parameters, so a rerun's page says what the rerun did, not the defaults."""

from __future__ import annotations

import pytest

from gobig.report.readings.mnist import design_reading
from gobig.studies import mnist

pytestmark = pytest.mark.unit


def test_the_default_profile_is_named_with_its_models_and_seeds():
    reading = design_reading(mnist.validate_parameters(mnist.load_profile("cpu60k")))
    assert reading.startswith("These results are the cpu60k profile's")
    assert "capacity scales 1, 2, 4, 8 and 16 (scale 16 is their own 3.27M-parameter network)" in reading
    assert "3 seeds each (2 for the adversarially trained scale 16" in reading


def test_a_rerun_that_drops_scales_and_seeds_says_so():
    params = mnist.validate_parameters({**mnist.load_profile("cpu60k"), "SEEDS": [0], "CAPACITY_SCALES": [1, 2]})
    reading = design_reading(params)
    assert "match no profile" in reading
    assert "capacity scales 1 and 2 and" in reading and "16" not in reading
    assert reading.endswith("1 seed each")
