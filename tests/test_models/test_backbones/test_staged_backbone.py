import pytest
import torch
import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm

import mmcompact  # noqa: F401
from mmcompact.models.backbones import (CifarResNet, CifarVGG,
                                        EfficientNetLite, StagedBackbone)

BN = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')


def _bn(prefix):
    return [f'{prefix}.{name}' for name in BN]


class _Toy(StagedBackbone):
    """Stem conv + BN, then three conv + BN stages; ``frozen`` leading
    stages (the stem counts as one)."""

    def __init__(self, out_indices=(2, ), frozen=0, norm_eval=False):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.BatchNorm2d(4))
            for _ in range(3))
        self.out_indices = out_indices
        self.frozen = frozen
        self.norm_eval = norm_eval

    def forward_stem(self, x):
        return self.stem(x)

    def stages(self):
        return self.layers

    def frozen_modules(self):
        return ([self.stem] + list(self.layers))[:self.frozen]


def test_forward_returns_the_stages_in_out_indices():
    model = _Toy(out_indices=(0, 2)).eval()
    x = torch.randn(2, 3, 10, 10)
    y0 = model.layers[0](model.stem(x))
    y2 = model.layers[2](model.layers[1](y0))
    outs = model(x)
    assert len(outs) == 2
    assert torch.equal(outs[0], y0) and torch.equal(outs[1], y2)


def test_train_keeps_frozen_modules_and_norm_eval():
    model = _Toy(frozen=2).train()
    assert model.training
    for module in (model.stem, model.layers[0]):
        assert all(not m.training for m in module.modules())
        assert all(not p.requires_grad for p in module.parameters())
    assert all(m.training for m in model.layers[1:].modules())
    assert all(p.requires_grad for p in model.layers[1:].parameters())

    model = _Toy(norm_eval=True).train()
    assert all(not m.training for m in model.modules()
               if isinstance(m, _BatchNorm))
    assert model.layers[0][0].training
    assert all(p.requires_grad for p in model.parameters())
    # eval() switches everything off; train() restores only what may train.
    model.eval()
    assert not any(m.training for m in model.modules())


def test_stages_must_be_defined():
    with pytest.raises(NotImplementedError, match='stages'):
        StagedBackbone()(torch.zeros(1))


@pytest.mark.parametrize('cls', [CifarResNet, CifarVGG, EfficientNetLite])
def test_backbones_share_it(cls):
    assert issubclass(cls, StagedBackbone)
    # forward and train are the shared ones, not copies.
    assert cls.forward is StagedBackbone.forward
    assert cls.train is StagedBackbone.train


def test_state_dict_keys_are_those_of_the_checkpoints():
    """The names saved checkpoints (and the pypi:// mapping) use."""
    keys = list(CifarResNet(depth=8).state_dict())
    expected = ['conv1.weight'] + _bn('bn1')
    for stage in (1, 2, 3):
        for conv in (1, 2):
            expected += [f'layer{stage}.0.conv{conv}.weight']
            expected += _bn(f'layer{stage}.0.bn{conv}')
    assert keys == expected
    keys = list(CifarResNet(depth=8, shortcut='B').state_dict())
    assert [k for k in keys if 'downsample' in k] == [
        f'layer{s}.0.downsample.{k}' for s in (2, 3)
        for k in ['0.weight'] + [f'1.{n}' for n in BN]]

    keys = list(CifarVGG().state_dict())
    expected = ['stem.0.weight', 'stem.0.bias']
    for group in range(3):
        for conv in (1, 2):
            expected += [f'layers.{group}.conv{conv}.weight']
            expected += _bn(f'layers.{group}.norm{conv}')
    assert keys == expected

    keys = list(EfficientNetLite('lite0').state_dict())
    assert keys[:6] == ['layers.0.conv.weight'] + _bn('layers.0.bn')
    assert keys[6:12] == ['layers.1.0.depthwise_conv.conv.weight'] + _bn(
        'layers.1.0.depthwise_conv.bn')
    assert keys[-6:] == ['layers.8.conv.weight'] + _bn('layers.8.bn')
    assert len(keys) == 294
