import torch

from mmcompact.models import teacher_fingerprint

from ...conftest import build_toy_teacher as _toy


def test_same_weights_and_input_same_fingerprint():
    assert teacher_fingerprint(_toy()) == teacher_fingerprint(_toy())


def test_changes_with_any_weight():
    model = _toy()
    before = teacher_fingerprint(model)
    with torch.no_grad():
        model.head.layers[-1].fc.bias[0] += 1e-3
    assert teacher_fingerprint(model) != before


def test_changes_with_the_input_size_and_normalisation():
    ref = teacher_fingerprint(_toy())
    assert teacher_fingerprint(_toy(size=48)) != ref
    assert teacher_fingerprint(_toy(mean=[0.0] * 3)) != ref
    assert teacher_fingerprint(_toy(std=[1.0] * 3)) != ref
