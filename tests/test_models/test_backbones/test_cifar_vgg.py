import pytest
import torch

import mmcompact  # noqa: F401  (registers the backbones)
from mmcompact.models.backbones import CifarVGG

# (channels, spatial size) of groups 0..2 for a 32x32 input at the default
# widths: the 2x2 stem gives 31 px, each group max-pools by 2.
SHAPES = [(32, 15), (128, 7), (128, 3)]


def _num_params(model):
    return sum(p.numel() for p in model.parameters())


def test_output_shapes():
    bb = CifarVGG(out_indices=(0, 1, 2))
    bb.init_weights()
    outs = bb(torch.randn(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, c, s, s) for c, s in SHAPES]


def test_num_params():
    # stem 3*24*2*2 + 24; per group two bias-free 3x3 convs + two BNs.
    def group(cin, cout):
        return cin * cout * 9 + cout * cout * 9 + 4 * cout

    expected = 3 * 24 * 4 + 24 + group(24, 32) + group(32, 128) + group(
        128, 128)
    assert _num_params(CifarVGG()) == expected == 496824
    wide = CifarVGG(widths=(64, 256, 256))
    assert _num_params(wide) == 3 * 24 * 4 + 24 + group(24, 64) + group(
        64, 256) + group(256, 256)


def test_channels_last_same_values():
    torch.manual_seed(0)
    cl = CifarVGG(channels_last=True)
    plain = CifarVGG(channels_last=False)
    plain.load_state_dict(cl.state_dict())
    # BaseBackbone.train() returns None, so no chained .eval().
    cl.eval()
    plain.eval()
    assert cl.layers[1].conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    assert plain.layers[1].conv1.weight.is_contiguous()
    x = torch.randn(2, 3, 32, 32)
    out_cl, out_plain = cl(x)[0], plain(x)[0]
    assert out_cl.is_contiguous(memory_format=torch.channels_last)
    assert not out_plain.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out_cl, out_plain, rtol=1e-4, atol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match='3 group widths'):
        CifarVGG(widths=(32, 64))
    with pytest.raises(ValueError, match='out_indices'):
        CifarVGG(out_indices=(3, ))
