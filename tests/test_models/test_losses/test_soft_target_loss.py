import math

import pytest
import torch

import mmcompact  # noqa: F401
from mmcompact.models import SoftTargetLoss
from mmpretrain.registry import MODELS


def _kl_by_hand(student, teacher, t):
    """KL(softmax(teacher/t) || softmax(student/t)) with plain floats."""
    def softmax(row):
        exps = [math.exp(v / t) for v in row]
        return [e / sum(exps) for e in exps]

    p_t, p_s = softmax(teacher), softmax(student)
    return sum(a * (math.log(a) - math.log(b)) for a, b in zip(p_t, p_s))


def test_value_matches_hand_computation():
    student = [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]
    teacher = [[3.0, 2.0, 1.0], [0.0, 0.0, 4.0]]
    loss = SoftTargetLoss(temperature=2.0, loss_weight=0.7)
    value = loss(torch.tensor(student), torch.tensor(teacher))
    expected = 0.7 * 2.0**2 * sum(
        _kl_by_hand(s, t, 2.0) for s, t in zip(student, teacher)) / 2
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_zero_when_student_matches_teacher_and_t_squared_scaling():
    logits = torch.tensor([[0.3, -0.2, 1.5, 0.0]])
    assert SoftTargetLoss(4.0)(logits, logits).item() == pytest.approx(
        0.0, abs=1e-7)
    # Hand-computed value at T=1 and T=3: the T^2 factor is applied.
    s, t = [[2.0, 0.0]], [[0.0, 2.0]]
    for temp in (1.0, 3.0):
        value = SoftTargetLoss(temp)(torch.tensor(s), torch.tensor(t))
        assert value.item() == pytest.approx(
            temp**2 * _kl_by_hand(s[0], t[0], temp), rel=1e-5)


def test_gradient_only_to_student():
    torch.manual_seed(0)
    student = torch.randn(4, 10, requires_grad=True)
    # A teacher tensor that takes gradients: the loss itself must cut it.
    teacher = torch.randn(4, 10, requires_grad=True)
    SoftTargetLoss()(student, teacher).backward()
    assert teacher.grad is None
    assert student.grad is not None and student.grad.abs().sum() > 0
    # Through a teacher layer too: its weights get no gradient.
    layer = torch.nn.Linear(10, 10)
    student.grad = None
    SoftTargetLoss()(student, layer(teacher)).backward()
    assert layer.weight.grad is None and teacher.grad is None
    assert student.grad.abs().sum() > 0


def test_registered_and_errors():
    loss = MODELS.build(dict(type='SoftTargetLoss', temperature=2.0))
    assert isinstance(loss, SoftTargetLoss) and loss.temperature == 2.0
    with pytest.raises(ValueError, match='temperature'):
        SoftTargetLoss(temperature=0)
    with pytest.raises(ValueError, match=r'\(2, 10\).*\(2, 5\)'):
        SoftTargetLoss()(torch.zeros(2, 10), torch.zeros(2, 5))
