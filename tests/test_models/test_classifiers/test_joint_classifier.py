import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmcompact  # noqa: F401
from mmcompact.models import JointLearningClassifier

STUDENT_PRE = dict(
    num_classes=4, mean=[120.0, 110.0, 100.0], std=[50.0, 55.0, 60.0])
TEACHER = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ResizeClsDataPreprocessor', size=40, num_classes=4,
        mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(type='CifarResNet', depth=8),
    neck=dict(type='GlobalAveragePooling'),
    # Has Dropout, which must stay in eval mode.
    head=dict(type='StackedLinearClsHead', num_classes=4, in_channels=64,
              mid_channels=[32], dropout_rate=0.5))


def _student_cfg(teacher_ckpt, **kwargs):
    cfg = dict(
        type='JointLearningClassifier',
        teacher=copy.deepcopy(TEACHER),
        teacher_ckpt=teacher_ckpt,
        teacher_config='configs/teacher_toy.py',
        data_preprocessor=STUDENT_PRE,
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
        hard_loss_weight=0.5,
        distill_loss=dict(type='SoftTargetLoss', temperature=2.0,
                          loss_weight=0.5))
    cfg.update(kwargs)
    return cfg


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    teacher = MODELS.build(copy.deepcopy(TEACHER))
    teacher.init_weights()
    path = tmp_path_factory.mktemp('teacher') / 'epoch_1.pth'
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    return str(path)


def _batch(n=6, size=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, size, size), generator=gen,
                            dtype=torch.uint8) for _ in range(n)]
    samples = [DataSample().set_gt_label(i % 4) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_teacher_frozen_student_trained(teacher_ckpt):
    model = MODELS.build(_student_cfg(teacher_ckpt))
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    student_before = copy.deepcopy(model.state_dict())
    # The teacher is not part of the optimised module tree.
    ids = {id(p) for p in model.parameters()}
    assert not any(id(p) in ids for p in model.teacher.parameters())
    assert all(not p.requires_grad for p in model.teacher.parameters())

    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    model.train()
    for step in range(3):
        log = model.train_step(_batch(seed=step), optim)
        assert {'loss_cls', 'loss_soft'} <= set(log)
        assert log['loss_soft'] > 0
    # BatchNorm and Dropout of the teacher stay in eval mode.
    assert model.training
    assert all(not m.training for m in model.teacher.modules())
    assert any(isinstance(m, torch.nn.Dropout)
               for m in model.teacher.modules())
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    changed = [k for k, v in model.state_dict().items()
               if v.dtype.is_floating_point
               and not torch.equal(v, student_before[k])]
    assert any(k.startswith('backbone.') for k in changed)
    assert any(k.startswith('head.') for k in changed)


def test_state_dict_is_a_plain_student(teacher_ckpt):
    model = MODELS.build(_student_cfg(teacher_ckpt))
    state = model.state_dict()
    assert not any('teacher' in k for k in state)
    student = ImageClassifier(
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
        data_preprocessor=STUDENT_PRE)
    # Strict load: exactly the keys of an ImageClassifier.
    student.load_state_dict(state, strict=True)
    x = torch.randn(2, 3, 32, 32)
    model.eval(), student.eval()
    assert torch.allclose(model(x), student(x))


def test_teacher_sees_the_student_view(teacher_ckpt):
    model = MODELS.build(_student_cfg(teacher_ckpt))
    data = _batch(n=3)
    student_inputs = model.data_preprocessor(data, False)['inputs']
    via_student = model.teacher_inputs(student_inputs)
    # What the stage-1 teacher pipeline makes of the same raw images.
    direct = model.teacher.data_preprocessor(data, False)['inputs']
    assert via_student.shape == (3, 3, 40, 40)
    assert torch.allclose(via_student, direct, atol=1e-4)
    # ... i.e. normalised with the teacher's mean/std, then resized.
    raw = torch.stack(data['inputs']).float()
    manual = F.interpolate((raw - 127.0) / 128.0, size=(40, 40),
                           mode='bilinear', align_corners=False)
    assert torch.allclose(via_student, manual, atol=1e-4)


def test_loss_is_weighted_sum(teacher_ckpt):
    model = MODELS.build(_student_cfg(teacher_ckpt))
    model.eval()  # deterministic BN for the comparison
    inputs = model.data_preprocessor(_batch(), False)['inputs']
    samples = _batch()['data_samples']
    losses = model.loss(inputs, samples)
    logits = model(inputs)
    labels = torch.tensor([s.gt_label.item() for s in samples])
    t_logits = model.teacher(model.teacher_inputs(inputs))
    ce = F.cross_entropy(logits, labels)
    kl = F.kl_div(F.log_softmax(logits / 2, 1), F.softmax(t_logits / 2, 1),
                  reduction='batchmean')
    assert losses['loss_cls'].item() == pytest.approx(0.5 * ce.item(),
                                                      rel=1e-4)
    assert losses['loss_soft'].item() == pytest.approx(
        0.5 * 4 * kl.item(), rel=1e-4)


def test_predict_uses_the_student_only(teacher_ckpt):
    model = MODELS.build(_student_cfg(teacher_ckpt))
    model.eval()
    data = _batch(n=2)
    with torch.no_grad():
        preds = model.val_step(data)
        inputs = model.data_preprocessor(data, False)['inputs']
        logits = model(inputs)
    assert torch.allclose(
        torch.stack([p.pred_score for p in preds]), logits.softmax(1),
        atol=1e-6)


def test_missing_teacher_checkpoint_says_run_stage1(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'python tools/train.py configs/teacher_toy.py'):
        MODELS.build(_student_cfg(str(tmp_path / 'nope.pth')))
    # A stage-1 work dir without last_checkpoint.
    with pytest.raises(FileNotFoundError, match='Run stage 1 first'):
        MODELS.build(_student_cfg(str(tmp_path)))


def test_work_dir_resolves_last_checkpoint(teacher_ckpt, tmp_path):
    (tmp_path / 'last_checkpoint').write_text(teacher_ckpt)
    model = MODELS.build(_student_cfg(str(tmp_path)))
    ref = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, ref[key])


def test_class_count_mismatch(teacher_ckpt):
    cfg = _student_cfg(
        teacher_ckpt,
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64))
    with pytest.raises(ValueError, match='num_classes=4.*num_classes=10'):
        MODELS.build(cfg)


def test_checkpoint_that_does_not_fit_names_keys(teacher_ckpt, tmp_path):
    state = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    state['head.layers.1.fc.weight'] = torch.zeros(7, 32)
    missing = next(k for k in state if k.startswith('backbone.'))
    state.pop(missing)
    bad = tmp_path / 'bad.pth'
    torch.save({'state_dict': state}, bad)
    with pytest.raises(ValueError) as err:
        MODELS.build(_student_cfg(str(bad)))
    msg = str(err.value)
    assert '1 missing keys' in msg and missing in msg
    assert 'head.layers.1.fc.weight' in msg
    assert '(7, 32)' in msg and str(bad) in msg


def test_mismatched_channel_order(teacher_ckpt):
    cfg = _student_cfg(teacher_ckpt,
                       data_preprocessor=dict(STUDENT_PRE, to_rgb=True))
    with pytest.raises(ValueError, match='to_rgb'):
        MODELS.build(cfg)


def test_is_registered():
    assert MODELS.get('JointLearningClassifier') is JointLearningClassifier
