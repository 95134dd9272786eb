import pytest

from gobig.models import CAPACITY_SCALES, build_model, num_params

pytestmark = pytest.mark.unit

# Madry et al. (2018) capacity family, SAME padding (REFERENCES.md, section 1).
MADRY_COUNTS = {1: 13_514, 2: 52_506, 4: 206_954, 8: 821_706, 16: 3_274_634}


@pytest.mark.parametrize("scale,expected", MADRY_COUNTS.items())
def test_madry_parameter_counts_match_the_paper(scale, expected):
    assert num_params(build_model("madry", scale)) == expected


def test_madry_scale_32_follows_the_same_formula():
    s = 32
    expected = (25 * 2 * s + 2 * s) + (25 * 2 * s * 4 * s + 4 * s) + (7 * 7 * 4 * s * 64 * s + 64 * s) + (64 * s * 10 + 10)
    assert num_params(build_model("madry", 32)) == expected == 13_074_186


def test_mlp_family_spans_1e3_to_1e7():
    assert num_params(build_model("mlp", 2)) == 2**2 + 796 * 2 + 10 == 1_606
    assert 1e7 < num_params(build_model("mlp", 3072)) < 2e7


def test_blog_model_has_688k_parameters():
    assert num_params(build_model("blog", 0)) == 687_800


def test_unknown_scale_or_family_is_refused():
    with pytest.raises(ValueError, match="capacity scale 3"):
        build_model("madry", 3)
    with pytest.raises(ValueError, match="resnet"):
        build_model("resnet", 1)
    assert 32 in CAPACITY_SCALES


def test_command_line_model_names_parse_or_fail_with_the_families():
    from gobig.models import parse_spec

    assert parse_spec("madry:4") == ("madry", 4) and parse_spec("blog") == ("blog", 0)
    with pytest.raises(ValueError, match="'madry', 'mlp', 'blog'"):
        parse_spec("resnet:50")
