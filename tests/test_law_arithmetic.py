"""The blog's and the paper's arithmetic, by hand (REFERENCES.md sections 1-2)."""

import pytest

from gobig.methods.scaling import law

pytestmark = pytest.mark.unit


def test_blog_mnist_arithmetic():
    assert law.smooth_interpolation_params(law.BLOG_MNIST_N, law.BLOG_MNIST_D) == pytest.approx(1e9)
    assert law.smooth_interpolation_params(law.BLOG_MNIST_N, law.BLOG_MNIST_EFFECTIVE_D) == pytest.approx(1e7)


def test_corrected_mnist_arithmetic():
    assert law.smooth_interpolation_params(law.MNIST_N, law.MNIST_D) == pytest.approx(4.704e7)
    low, high = (law.smooth_interpolation_params(law.MNIST_N, d) for d in law.MNIST_EFFECTIVE_D_RANGE)
    # Bubeck & Sellke: "in the range 10^6-10^7".
    assert (low, high) == (pytest.approx(9e5), pytest.approx(9e6))


def test_parameters_equal_equations():
    assert law.params_equal_equations(6e4) == 6e4
    assert law.params_equal_equations(1e4) == 1e4
    assert law.params_equal_equations(6e4, outputs_per_example=10) == 6e5
    with pytest.raises(ValueError):
        law.params_equal_equations(0)


def test_gpt3_arithmetic():
    # 300B training tokens at effective dimension 1 already exceed 175B parameters.
    assert law.smooth_interpolation_params(300e9, 1) == pytest.approx(3e11)
