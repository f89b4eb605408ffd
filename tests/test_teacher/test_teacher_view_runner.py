import copy

import pytest
import torch

import mmcompact  # noqa: F401
from mmcompact.teacher import TeacherViewRunner, crop_views

from ..conftest import TOY_TEACHER


def _views():
    # Boxes of several sizes (some off the 32 px image: zero padding) and
    # flips, as the cache stores them.
    return torch.tensor([[0, 0, 32, 32, 0], [-4, 4, 32, 32, 1],
                         [5, 3, 20, 24, 0], [10, 0, 12, 30, 1]])


def _expected(teacher, images, views):
    """The teacher on the boxes, without the runner."""
    pixels = crop_views(images, views, teacher.data_preprocessor.size)
    with torch.no_grad():
        inputs = teacher.data_preprocessor({'inputs': pixels})['inputs']
        return teacher(inputs, mode='tensor')


@pytest.mark.parametrize('fuse_bn,channels_last', [(False, False),
                                                   (True, True)])
def test_runner_gives_the_teacher_logits_of_each_view(
        bn_teacher, fuse_bn, channels_last):
    teacher = bn_teacher.requires_grad_(False)
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    views = _views()
    expected = _expected(teacher, images, views)
    runner = TeacherViewRunner(copy.deepcopy(teacher), fuse_bn=fuse_bn,
                               channels_last=channels_last)
    logits = runner(images, views)
    assert logits.shape == (4, TOY_TEACHER['head']['num_classes'])
    assert logits.dtype == torch.float32
    assert torch.allclose(logits, expected, atol=1e-4 * expected.abs().max())
    # Each view's own logits: another view of the same images differs.
    other = runner(images, views.roll(1, dims=0))
    assert not torch.allclose(other, expected, atol=1e-2)


def test_runner_folds_and_converts_the_teacher(bn_teacher):
    teacher = bn_teacher.requires_grad_(False)
    runner = TeacherViewRunner(teacher)
    assert runner.teacher is teacher
    assert not any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        for m in teacher.modules())
    conv = next(m for m in teacher.modules()
                if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)


def test_runner_amp_stays_close_to_fp32(bn_teacher):
    teacher = bn_teacher.requires_grad_(False)
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    expected = _expected(teacher, images, _views())
    logits = TeacherViewRunner(teacher, amp=True)(images, _views())
    assert logits.dtype == torch.float32
    # bf16 keeps 8 bits of mantissa: ~1 % of the logits' range.
    scale = expected.abs().max()
    assert torch.allclose(logits, expected, atol=3e-2 * scale)
    assert not torch.equal(logits, expected)
