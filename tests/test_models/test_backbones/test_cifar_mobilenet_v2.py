import pytest
import torch
from mmpretrain.models.backbones import MobileNetV2
from mmpretrain.registry import MODELS
from torch.nn.modules.batchnorm import _BatchNorm

import mmcompact  # noqa: F401  (registers the backbones)
from mmcompact.models.backbones import CifarMobileNetV2

# (channels, spatial size) of out indices 0..7 for a 32x32 input, at
# widen_factor 1.0 and 0.5 (channels rounded to multiples of 8; conv2 keeps
# 1280 when widen_factor <= 1).
SHAPES = {
    1.0: [(16, 32), (24, 32), (32, 16), (64, 8), (96, 8), (160, 4), (320, 4),
          (1280, 4)],
    0.5: [(8, 32), (16, 32), (16, 16), (32, 8), (48, 8), (80, 4), (160, 4),
          (1280, 4)],
}
# Backbone + GAP + LinearClsHead(10, 1280): strides change no parameter,
# so the backbones match mmpretrain's MobileNetV2 (2,223,872 / 687,680).
PARAMS = {1.0: 2223872 + 12810, 0.5: 687680 + 12810}


def _num_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('widen_factor', [1.0, 0.5])
def test_output_shapes(widen_factor):
    bb = CifarMobileNetV2(
        widen_factor=widen_factor, out_indices=tuple(range(8)))
    bb.init_weights()
    outs = bb(torch.randn(2, 3, 32, 32))
    assert isinstance(outs, tuple) and len(outs) == 8
    assert [tuple(o.shape) for o in outs] == [
        (2, c, s, s) for c, s in SHAPES[widen_factor]
    ]


@pytest.mark.parametrize('index', range(8))
def test_single_out_index(index):
    outs = CifarMobileNetV2(out_indices=(index, ))(torch.randn(2, 3, 32, 32))
    c, s = SHAPES[1.0][index]
    assert len(outs) == 1 and tuple(outs[0].shape) == (2, c, s, s)


def test_default_out_is_4x4():
    outs = CifarMobileNetV2()(torch.randn(1, 3, 32, 32))
    assert len(outs) == 1 and tuple(outs[0].shape) == (1, 1280, 4, 4)


def test_strides():
    bb = CifarMobileNetV2()
    assert bb.conv1.conv.stride == (1, 1)
    # layer2 is the only stage whose stride differs from mmpretrain's.
    strides = [s for *_, s in bb.arch_settings]
    assert strides == [1, 1, 2, 2, 1, 2, 1]
    ref = [s for *_, s in MobileNetV2.arch_settings]
    assert ref == [1, 2, 2, 2, 1, 2, 1]


@pytest.mark.parametrize('widen_factor', [1.0, 0.5])
def test_param_count(widen_factor):
    model = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='CifarMobileNetV2', widen_factor=widen_factor),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10,
                      in_channels=1280)))
    assert _num_params(model) == PARAMS[widen_factor]
    assert _num_params(model.backbone) == _num_params(
        MobileNetV2(widen_factor=widen_factor))


def test_widen_factor_above_one_scales_out_channels():
    bb = CifarMobileNetV2(widen_factor=1.5)
    assert bb.out_channel == 1920
    outs = bb(torch.randn(1, 3, 32, 32))
    assert tuple(outs[0].shape) == (1, 1920, 4, 4)


def test_bad_args():
    with pytest.raises(ValueError):
        CifarMobileNetV2(out_indices=(8, ))
    with pytest.raises(ValueError):
        CifarMobileNetV2(frozen_stages=8)


def test_frozen_stages():
    frozen_stages = 3
    bb = CifarMobileNetV2(frozen_stages=frozen_stages)
    bb.train()
    assert bb.training
    frozen = [bb.conv1] + [
        getattr(bb, f'layer{i}') for i in range(1, frozen_stages + 1)
    ]
    for layer in frozen:
        for m in layer.modules():
            if isinstance(m, _BatchNorm):
                assert not m.training
        for p in layer.parameters():
            assert not p.requires_grad
    for i in range(frozen_stages + 1, 8):
        layer = getattr(bb, f'layer{i}')
        for m in layer.modules():
            if isinstance(m, _BatchNorm):
                assert m.training
        assert all(p.requires_grad for p in layer.parameters())
    # Frozen BN (including the stem's) must keep its running stats.
    stem_mean = bb.conv1.bn.running_mean.clone()
    bb(torch.randn(2, 3, 32, 32))
    assert torch.equal(bb.conv1.bn.running_mean, stem_mean)


def test_norm_eval():
    bb = CifarMobileNetV2(norm_eval=True)
    bb.train()
    assert bb.training
    bns = [m for m in bb.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    assert all(p.requires_grad for p in bb.parameters())

    bb = CifarMobileNetV2(norm_eval=False)
    bb.train()
    assert all(m.training for m in bb.modules() if isinstance(m, _BatchNorm))
