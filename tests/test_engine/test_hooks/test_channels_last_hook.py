from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmpretrain.registry import HOOKS

import mmcompact  # noqa: F401
from mmcompact.engine import ChannelsLastHook


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.Conv2d(8, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(4, 2))


def _is_nhwc(t):
    return t.is_contiguous(memory_format=torch.channels_last) and \
        not t.is_contiguous()


def test_weights_become_channels_last_in_place():
    model = _model()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        before = model(x)
    params = dict(model.named_parameters())
    values = {k: v.detach().clone() for k, v in params.items()}
    # The optimiser exists before the hook runs (the runner builds it).
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    hook = HOOKS.build(dict(type='ChannelsLastHook'))
    assert isinstance(hook, ChannelsLastHook) and hook.priority == 'VERY_HIGH'
    hook.before_run(SimpleNamespace(model=model))
    assert _is_nhwc(model[0].weight) and _is_nhwc(model[3].weight)
    # Same parameter objects and values; other tensors untouched.
    for key, param in model.named_parameters():
        assert param is params[key], key
        assert torch.equal(param, values[key]), key
    assert model[6].weight.is_contiguous() and model[1].weight.dim() == 1
    with torch.no_grad():
        assert torch.allclose(model(x), before, atol=1e-5)
        # NHWC weights give NHWC activations.
        assert _is_nhwc(model[0](x))
    # ... so the optimiser built before still trains the model.
    model(x).sum().backward()
    optim.step()
    assert not torch.equal(model[0].weight, values['0.weight'])
    assert _is_nhwc(model[0].weight)


def test_contiguous_format_is_a_no_op():
    model = _model()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    ChannelsLastHook('contiguous_format').before_run(
        SimpleNamespace(model=model))
    for key, value in model.state_dict().items():
        assert value.is_contiguous(), key
        assert torch.equal(value, state[key]), key
    # Nor does it convert back what is NHWC by itself (an online teacher).
    model.to(memory_format=torch.channels_last)
    ChannelsLastHook('contiguous_format').before_run(
        SimpleNamespace(model=model))
    assert _is_nhwc(model[0].weight) and _is_nhwc(model[3].weight)


def test_bad_memory_format_is_refused():
    with pytest.raises(ValueError, match='"channels_last" or '
                       '"contiguous_format", got "preserve_format"'):
        ChannelsLastHook('preserve_format')


def test_preprocessor_hands_over_nhwc_batches():
    from mmpretrain.models import ImageClassifier
    torch.manual_seed(0)
    model = ImageClassifier(
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
        data_preprocessor=dict(type='RandomViewClsDataPreprocessor',
                               size=24, mean=[127.0] * 3,
                               std=[128.0] * 3)).eval()
    data = dict(inputs=[torch.randint(0, 256, (3, 32, 32),
                                      dtype=torch.uint8)
                        for _ in range(3)])
    before = model.data_preprocessor(data, False)['inputs']
    assert before.is_contiguous()
    with torch.no_grad():
        expected = model(before)
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    after = model.data_preprocessor(data, False)['inputs']
    assert _is_nhwc(after) and torch.equal(after, before)
    with torch.no_grad():
        assert torch.allclose(model(after), expected, atol=1e-5)
