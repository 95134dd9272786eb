import pytest

from gobig.methods.robustness.models import CAPACITY_SCALES, build_model, num_params

pytestmark = pytest.mark.unit

# Madry et al. (2018) capacity family, SAME padding (REFERENCES.md, section 1).
MADRY_COUNTS = {1: 13_514, 2: 52_506, 4: 206_954, 8: 821_706, 16: 3_274_634}


@pytest.mark.parametrize("scale,expected", MADRY_COUNTS.items())
def test_madry_parameter_counts_match_the_paper(scale, expected):
    assert num_params(build_model("madry", scale)) == expected


def test_madry_scale_32_follows_the_same_formula():
    s = 32
    expected = (
        (25 * 2 * s + 2 * s) + (25 * 2 * s * 4 * s + 4 * s) + (7 * 7 * 4 * s * 64 * s + 64 * s) + (64 * s * 10 + 10)
    )
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
    from gobig.methods.robustness.models import parse_spec

    assert parse_spec("madry:4") == ("madry", 4) and parse_spec("blog") == ("blog", 0)
    with pytest.raises(ValueError, match="'madry', 'mlp', 'blog'"):
        parse_spec("resnet:50")


def _relu_before_pool(model):
    """The conv-ReLU-pool order of the papers (and of gobig before issue 16)."""
    from torch import nn

    layers = list(model)
    for k in range(len(layers) - 1):
        if isinstance(layers[k], nn.MaxPool2d) and isinstance(layers[k + 1], nn.ReLU):
            layers[k], layers[k + 1] = layers[k + 1], layers[k]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("family,size", [("madry", 1), ("madry", 4), ("blog", 0)])
def test_pool_first_channels_last_model_is_the_papers_function(family, size):
    """ReLU after the pool and channels-last weights change speed, not the
    function: same outputs (bit for bit: max and ReLU commute exactly) and
    the same input gradients (the attack's) as the conv-ReLU-pool model
    with the same weights, and the same state-dict keys, so checkpoints of
    either load into the other."""
    import torch

    from gobig.methods.robustness.models import to_device

    torch.manual_seed(0)
    ours = to_device(build_model(family, size), "cpu")
    papers = _relu_before_pool(build_model(family, size))
    assert list(papers.state_dict()) == list(ours.state_dict())
    papers.load_state_dict(ours.state_dict())
    assert ours[0].weight.is_contiguous(memory_format=torch.channels_last)
    images = torch.rand(16, 1, 28, 28, requires_grad=True)
    out_ours, out_papers = ours(images), papers(images)
    assert torch.equal(out_ours.argmax(1), out_papers.argmax(1))
    torch.testing.assert_close(
        out_ours, out_papers, rtol=1e-5, atol=1e-5
    )  # the layouts' kernels sum in different orders
    (grad_ours,) = torch.autograd.grad(out_ours.logsumexp(1).sum(), images)
    (grad_papers,) = torch.autograd.grad(out_papers.logsumexp(1).sum(), images)
    torch.testing.assert_close(grad_ours, grad_papers, rtol=1e-4, atol=1e-6)


def test_checkpoints_hold_the_standard_layout_whatever_the_models(tmp_path):
    """A checkpoint of a channels-last model stores plain contiguous tensors
    with the same values, so it loads anywhere (a GPU box, older torch)."""
    import io

    import torch

    from gobig.core import checkpoints
    from gobig.methods.robustness.models import to_device

    torch.manual_seed(0)
    model = to_device(build_model("madry", 1), "cpu")
    info = checkpoints.save(model, tmp_path / "model.pt")
    state = torch.load(io.BytesIO((tmp_path / "model.pt").read_bytes()), weights_only=True)
    assert all(tensor.is_contiguous() for tensor in state.values())
    assert all(torch.equal(state[name], tensor.half()) for name, tensor in model.state_dict().items())
    loaded = checkpoints.load(build_model("madry", 1), tmp_path, info)
    assert all(
        torch.equal(a, b)
        for a, b in zip(loaded.state_dict().values(), checkpoints.round_to_half(model).state_dict().values())
    )
