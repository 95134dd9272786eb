import math

import pytest

from gobig.methods.scaling import law

pytestmark = pytest.mark.unit


def test_mnist_n_times_d():
    assert law.MNIST_N * law.MNIST_D == 47_040_000


def test_lipschitz_lower_bound_is_one_at_n_times_d():
    assert law.lipschitz_lower_bound(47_040_000) == pytest.approx(1.0)
    # 100x fewer parameters than n*d: a Lipschitz constant of at least 10.
    assert law.lipschitz_lower_bound(470_400) == pytest.approx(10.0)
    assert law.lipschitz_lower_bound(13_514) == pytest.approx(math.sqrt(47_040_000 / 13_514))


def test_params_for_lipschitz_inverts_the_bound():
    assert law.params_for_lipschitz(1.0) == pytest.approx(4.704e7)
    for p in (1e3, 2e5, 3e6):
        assert law.params_for_lipschitz(law.lipschitz_lower_bound(p)) == pytest.approx(p)


def test_nonpositive_inputs_are_refused():
    with pytest.raises(ValueError):
        law.lipschitz_lower_bound(0)
    with pytest.raises(ValueError):
        law.params_for_lipschitz(-1)


def test_rescaling_into_the_laws_units_scales_inputs_and_outputs():
    from gobig.methods.scaling.law import rescale_lipschitz

    # f(x) = 3 x on inputs of norm 10 and outputs up to 30: on unit-norm
    # inputs with outputs in [-1, 1] it is x -> x, Lipschitz 1.
    assert rescale_lipschitz(3.0, input_norm=10.0, output_bound=30.0) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        rescale_lipschitz(3.0, input_norm=0.0, output_bound=1.0)
