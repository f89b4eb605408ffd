import torch

from mmcompact.teacher import (build_teacher, checkpoint_fingerprint,
                               teacher_fingerprint)

from ..conftest import TOY_TEACHER
from ..conftest import build_toy_teacher as _toy


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


def test_a_checkpoint_has_the_fingerprint_of_its_loaded_teacher(tmp_path):
    """Read from the file, without building the teacher: the same digest."""
    model = _toy()
    with torch.no_grad():
        model.head.layers[-1].fc.bias[0] += 1.0
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    loaded = build_teacher(TOY_TEACHER, path)
    assert checkpoint_fingerprint(TOY_TEACHER, path) == \
        teacher_fingerprint(loaded) == teacher_fingerprint(model)
    assert checkpoint_fingerprint(
        dict(TOY_TEACHER, data_preprocessor=dict(
            TOY_TEACHER['data_preprocessor'], size=48)),
        path) != teacher_fingerprint(model)
