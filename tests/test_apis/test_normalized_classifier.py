import pytest
import torch

from mmcompact.apis import NormalizedClassifier

from ..conftest import build_toy_teacher


def _toy(**pre):
    return build_toy_teacher(**pre).eval()


def test_folds_the_preprocessor():
    model = _toy()
    wrapped = NormalizedClassifier(model).eval()
    x = torch.rand(2, 3, 40, 40) * 255
    with torch.no_grad():
        ref = model(model.data_preprocessor({'inputs': x})['inputs'],
                    mode='tensor')
        torch.testing.assert_close(wrapped(x), ref)


def test_takes_rgb_even_where_the_preprocessor_flips_channels():
    """``to_rgb=True`` flips BGR loads into the RGB the network was trained
    on; the wrapped model is fed RGB, so it must not flip again."""
    model = _toy(to_rgb=True)
    wrapped = NormalizedClassifier(model).eval()
    rgb = torch.rand(1, 3, 40, 40) * 255
    with torch.no_grad():
        ref = model(model.data_preprocessor(
            {'inputs': rgb.flip(1)})['inputs'], mode='tensor')
        torch.testing.assert_close(wrapped(rgb), ref)


def test_without_normalisation_is_the_model():
    model = _toy(mean=None, std=None)
    wrapped = NormalizedClassifier(model).eval()
    assert wrapped.mean.flatten().tolist() == [0.0] * 3
    assert wrapped.std.flatten().tolist() == [1.0] * 3
    x = torch.rand(1, 3, 40, 40) * 255
    with torch.no_grad():
        torch.testing.assert_close(wrapped(x), model(x, mode='tensor'))


@pytest.mark.parametrize('mode', [True, False])
def test_keeps_the_models_mode(mode):
    model = _toy().train(mode)
    NormalizedClassifier(model)
    assert model.training is mode
