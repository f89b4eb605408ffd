from types import SimpleNamespace

import pytest
import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import HOOKS

import mmcompact  # noqa: F401
from mmcompact.engine import CompileHook


def _model():
    torch.manual_seed(0)
    return ImageClassifier(
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64)).eval()


def test_compiles_in_place_with_the_same_outputs_and_keys():
    model = _model()
    keys = list(model.state_dict())
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        expected = model(x)
    hook = HOOKS.build(dict(type='CompileHook', modules=['backbone']))
    assert isinstance(hook, CompileHook)
    hook.before_train(SimpleNamespace(model=model))
    assert model.backbone._compiled_call_impl is not None
    assert model.head._compiled_call_impl is None
    # Checkpoints keep their keys (no '_orig_mod.' prefix).
    assert list(model.state_dict()) == keys
    with torch.no_grad():
        assert torch.allclose(model(x), expected, atol=1e-5)


def test_a_model_without_the_modules_is_refused():
    with pytest.raises(ValueError, match='none of the modules'):
        CompileHook(modules='encoder').before_train(
            SimpleNamespace(model=_model()))


@pytest.mark.parametrize('loops, compiled_by', [
    (('train', ), ['before_train']),
    ('test', ['before_test']),
    (['train', 'test'], ['before_train', 'before_test']),
])
def test_compiles_for_the_named_loops_only(loops, compiled_by):
    for stage in ('before_train', 'before_test'):
        model = _model()
        getattr(CompileHook(loops=loops), stage)(SimpleNamespace(model=model))
        assert (model.backbone._compiled_call_impl is not None) == (
            stage in compiled_by), stage


def test_compiles_once_per_runner():
    model = _model()
    hook = CompileHook(loops=['train', 'test'])
    runner = SimpleNamespace(model=model)
    hook.before_train(runner)
    first = model.backbone._compiled_call_impl
    hook.before_test(runner)
    assert model.backbone._compiled_call_impl is first


def test_unknown_loop_is_refused():
    with pytest.raises(ValueError, match=r"among \('train', 'test'\), got "
                       r"\['val'\]"):
        CompileHook(loops=['train', 'val'])
