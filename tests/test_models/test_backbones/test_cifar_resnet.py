import pytest
import torch
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

import mmcompact  # noqa: F401  (registers the backbones)
from mmcompact.models.backbones import CifarResNet

# Backbone + GAP + 10-class linear head (64 * 10 + 10).
# Option A (zero-padded identity shortcuts) is what He et al. (2016) used on
# CIFAR and gives the published 0.27 / 0.46 / 0.85 M. Option B adds a
# 1x1 conv + BN projection in stages 2 and 3 ((16 * 32 + 2 * 32) +
# (32 * 64 + 2 * 64) = 2752 parameters), which tips ResNet-32/56 over to
# 0.47 / 0.86 M.
PARAMS = {
    ('A', 20): 269722,
    ('A', 32): 464154,
    ('A', 56): 853018,
    ('B', 20): 272474,
    ('B', 32): 466906,
    ('B', 56): 855770,
}
PUBLISHED_M = {20: 0.27, 32: 0.46, 56: 0.85}


def _classifier(**backbone):
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='CifarResNet', **backbone),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64)))


def _num_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('shortcut', ['A', 'B'])
@pytest.mark.parametrize('depth', [20, 32, 56])
def test_param_count(depth, shortcut):
    model = _classifier(depth=depth, shortcut=shortcut)
    assert _num_params(model) == PARAMS[(shortcut, depth)]


@pytest.mark.parametrize('depth', [20, 32, 56])
def test_option_a_matches_published_params(depth):
    n = _num_params(_classifier(depth=depth, shortcut='A'))
    assert round(n / 1e6, 2) == PUBLISHED_M[depth]


def test_option_b_projection_params():
    # The projection is the only difference between the options.
    for depth in (20, 32, 56):
        diff = PARAMS[('B', depth)] - PARAMS[('A', depth)]
        assert diff == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    bb = CifarResNet(depth=20, shortcut='B')
    assert bb.layer1[0].downsample is None
    assert bb.layer2[0].downsample is not None
    assert bb.layer2[1].downsample is None


@pytest.mark.parametrize('shortcut', ['A', 'B'])
def test_output_shapes(shortcut):
    bb = CifarResNet(depth=20, out_indices=(0, 1, 2), shortcut=shortcut)
    bb.init_weights()
    outs = bb(torch.randn(2, 3, 32, 32))
    assert isinstance(outs, tuple)
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32, 32),
                                              (2, 32, 16, 16),
                                              (2, 64, 8, 8)]
    # Each stage has n = 3 blocks.
    assert len(bb.layer1) == len(bb.layer2) == len(bb.layer3) == 3


@pytest.mark.parametrize('index,shape', [(0, (2, 16, 32, 32)),
                                         (1, (2, 32, 16, 16)),
                                         (2, (2, 64, 8, 8)),
                                         (-1, (2, 64, 8, 8))])
def test_single_out_index(index, shape):
    outs = CifarResNet(depth=8, out_indices=(index, ))(
        torch.randn(2, 3, 32, 32))
    assert len(outs) == 1
    assert tuple(outs[0].shape) == shape


def test_default_out_indices_and_blocks():
    bb = CifarResNet(depth=56)
    assert len(bb.layer3) == 9
    outs = bb(torch.randn(1, 3, 32, 32))
    assert len(outs) == 1 and tuple(outs[0].shape) == (1, 64, 8, 8)


@pytest.mark.parametrize('depth', [18, 21, 2, 0, 34, 101])
def test_bad_depth(depth):
    with pytest.raises(ValueError, match=f'depth={depth}'):
        CifarResNet(depth=depth)


def test_bad_args():
    with pytest.raises(ValueError):
        CifarResNet(depth=20, out_indices=(3, ))
    with pytest.raises(ValueError):
        CifarResNet(depth=20, frozen_stages=4)
    with pytest.raises(ValueError):
        CifarResNet(depth=20, shortcut='C')


def test_init_weights():
    bb = CifarResNet(depth=20, shortcut='B')
    bb.init_weights()
    assert torch.all(bb.norm1.weight == 1)
    assert torch.all(bb.layer3[0].downsample[1].weight == 1)
    assert bb.conv1.weight.std() > 0


def test_frozen_stages():
    frozen_stages = 2
    bb = CifarResNet(depth=20, frozen_stages=frozen_stages)
    bb.train()
    assert bb.training
    assert not bb.norm1.training
    for p in list(bb.conv1.parameters()) + list(bb.norm1.parameters()):
        assert not p.requires_grad
    for i in range(1, frozen_stages + 1):
        layer = getattr(bb, f'layer{i}')
        for m in layer.modules():
            if isinstance(m, _BatchNorm):
                assert not m.training
        for p in layer.parameters():
            assert not p.requires_grad
    # The last stage still trains.
    for m in bb.layer3.modules():
        if isinstance(m, _BatchNorm):
            assert m.training
    assert all(p.requires_grad for p in bb.layer3.parameters())
    # A frozen BN must not update its running stats in a train-mode forward.
    frozen_mean = bb.layer1[0].norm1.running_mean.clone()
    live_mean = bb.layer3[0].norm1.running_mean.clone()
    bb(torch.randn(2, 3, 32, 32))
    assert torch.equal(bb.layer1[0].norm1.running_mean, frozen_mean)
    assert not torch.equal(bb.layer3[0].norm1.running_mean, live_mean)


def test_norm_eval():
    bb = CifarResNet(depth=20, norm_eval=True)
    bb.train()
    assert bb.training
    bns = [m for m in bb.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    # Parameters stay trainable; only the statistics are frozen.
    assert all(p.requires_grad for p in bb.parameters())

    bb = CifarResNet(depth=20, norm_eval=False)
    bb.train()
    assert all(m.training for m in bb.modules() if isinstance(m, _BatchNorm))
