import copy
import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmcompact  # noqa: F401
from mmcompact.models import (JointLearningClassifier,
                              RandomViewClsDataPreprocessor)
from mmcompact.teacher import (resolve_teacher, save_teacher_cache,
                               teacher_fingerprint)

from ...conftest import (STUDENT_PRE, TOY_TEACHER, joint_student_cfg,
                         write_config)


def _teacher_config(folder, name='teacher_toy.py'):
    """A stage-1 config file whose ``model`` is :data:`TOY_TEACHER`."""
    return write_config(osp.join(folder, name),
                        f'model = {TOY_TEACHER!r}\n')


def _batch(n=6, size=32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, size, size), generator=gen,
                            dtype=torch.uint8) for _ in range(n)]
    samples = [DataSample().set_gt_label(i % 4) for i in range(n)]
    return dict(inputs=inputs, data_samples=samples)


def test_teacher_frozen_student_trained(teacher_ckpt):
    model = MODELS.build(joint_student_cfg(teacher_ckpt))
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
    model = MODELS.build(joint_student_cfg(teacher_ckpt))
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
    model = MODELS.build(joint_student_cfg(teacher_ckpt))
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
    model = MODELS.build(joint_student_cfg(teacher_ckpt))
    model.eval()  # deterministic BN for the comparison
    inputs = model.data_preprocessor(_batch(), False)['inputs']
    samples = _batch()['data_samples']
    calls = []
    model.head.register_forward_hook(lambda *args: calls.append(1))
    losses = model.loss(inputs, samples)
    # One head forward serves both terms.
    assert len(calls) == 1
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


def test_unlabelled_samples_get_the_soft_term_only(teacher_ckpt):
    """Label -1 (the transfer set): hard term over the labelled rows, soft
    term over all, whatever the mix."""
    model = MODELS.build(joint_student_cfg(teacher_ckpt))
    model.eval()  # deterministic dropout and BN for the comparison
    inputs = model.data_preprocessor(_batch(), False)['inputs']
    logits = model(inputs)
    t_logits = model.teacher(model.teacher_inputs(inputs))
    kl = F.kl_div(F.log_softmax(logits / 2, 1), F.softmax(t_logits / 2, 1),
                  reduction='batchmean')
    for labels in ([0, -1, 2, -1, -1, 1], [-1] * 6, [3, 2, 1, 0, 1, 2]):
        samples = [DataSample().set_gt_label(y) for y in labels]
        calls = []
        handle = model.head.register_forward_hook(
            lambda *args: calls.append(1))
        losses = model.loss(inputs, samples)
        handle.remove()
        assert len(calls) == 1
        rows = [i for i, y in enumerate(labels) if y >= 0]
        ce = F.cross_entropy(logits[rows], torch.tensor(
            [labels[i] for i in rows])) if rows else torch.tensor(0.)
        assert losses['loss_cls'].item() == pytest.approx(0.5 * ce.item(),
                                                          rel=1e-4, abs=1e-7)
        assert losses['loss_soft'].item() == pytest.approx(
            0.5 * 4 * kl.item(), rel=1e-4)
    # An unlabelled batch still trains the student, through the soft term.
    model.train()
    samples = [DataSample().set_gt_label(-1) for _ in range(6)]
    loss = sum(model.loss(inputs, samples).values())
    loss.backward()
    assert model.head.fc.weight.grad.abs().sum() > 0


def test_predict_uses_the_student_only(teacher_ckpt):
    model = MODELS.build(joint_student_cfg(teacher_ckpt))
    model.eval()
    data = _batch(n=2)
    with torch.no_grad():
        preds = model.val_step(data)
        inputs = model.data_preprocessor(data, False)['inputs']
        logits = model(inputs)
    assert torch.allclose(
        torch.stack([p.pred_score for p in preds]), logits.softmax(1),
        atol=1e-6)


def test_gradient_only_to_student(teacher_ckpt):
    model = MODELS.build(joint_student_cfg(teacher_ckpt))
    model.train()
    # Even a teacher whose weights would take gradients gets none: the
    # joint loss runs it without autograd.
    model.teacher.requires_grad_(True)
    inputs = model.data_preprocessor(_batch(), True)['inputs']
    losses = model.loss(inputs, _batch()['data_samples'])
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert all(g is not None for g in grads.values())
    assert grads['backbone.conv1.weight'].abs().sum() > 0
    assert grads['head.fc.weight'].abs().sum() > 0
    # The soft term alone also reaches the student.
    model.zero_grad()
    model.loss(inputs, _batch()['data_samples'])['loss_soft'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_missing_teacher_checkpoint_says_run_stage1(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r'nope\.pth" does not exist\. Run stage 1 first'):
        MODELS.build(joint_student_cfg(str(tmp_path / 'nope.pth')))
    # A stage-1 work dir without last_checkpoint.
    with pytest.raises(FileNotFoundError,
                       match='no last_checkpoint.*Run stage 1 first'):
        MODELS.build(joint_student_cfg(str(tmp_path)))


def test_teacher_from_its_stage1_config(teacher_ckpt, tmp_path):
    config = _teacher_config(tmp_path)
    # Unfolded, so that the weights compare with the checkpoint's.
    model = MODELS.build(joint_student_cfg(
        teacher_ckpt, teacher=dict(cfg_path=config), fuse_teacher_bn=False))
    # The config's model, with the checkpoint's weights.
    assert isinstance(model.teacher.data_preprocessor,
                      RandomViewClsDataPreprocessor)
    assert model.teacher.data_preprocessor.size == (40, 40)
    assert model.teacher.head.num_classes == 4
    ref = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, ref[key]), key
    teacher, ckpt, path = resolve_teacher(dict(cfg_path=config))
    assert teacher == TOY_TEACHER and path == config
    assert ckpt == osp.join('work_dirs', 'teacher_toy')
    # A model dict is the teacher itself; an explicit checkpoint wins.
    assert resolve_teacher(TOY_TEACHER, 'x.pth') == (
        TOY_TEACHER, 'x.pth', None)
    assert resolve_teacher(dict(cfg_path=config), 'x.pth')[1] == 'x.pth'


def test_teacher_ckpt_defaults_to_the_config_work_dir(
        teacher_ckpt, tmp_path, monkeypatch):
    config = _teacher_config(tmp_path, 'teacher_toy_96px.py')
    monkeypatch.chdir(tmp_path)
    cfg = joint_student_cfg(None, teacher=dict(cfg_path=config),
                            fuse_teacher_bn=False)
    # Not trained yet: the error names the work dir and the stage-1 command.
    with pytest.raises(FileNotFoundError) as err:
        MODELS.build(copy.deepcopy(cfg))
    msg = str(err.value)
    assert osp.join('work_dirs', 'teacher_toy_96px') in msg
    assert f'python tools/train.py {config}' in msg
    # Trained: the work dir's last_checkpoint is loaded.
    work_dir = tmp_path / 'work_dirs' / 'teacher_toy_96px'
    os.makedirs(work_dir)
    (work_dir / 'last_checkpoint').write_text(teacher_ckpt)
    model = MODELS.build(copy.deepcopy(cfg))
    ref = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, ref[key]), key


def test_bad_teacher_arguments(teacher_ckpt, tmp_path):
    config = _teacher_config(tmp_path)
    with pytest.raises(ValueError, match=r"takes no other keys, got "
                       r"\['data_preprocessor'\]"):
        MODELS.build(joint_student_cfg(teacher_ckpt, teacher=dict(
            cfg_path=config, data_preprocessor=dict(size=48))))
    with pytest.raises(FileNotFoundError, match='Teacher config.*nope.py'):
        MODELS.build(joint_student_cfg(
            teacher_ckpt, teacher=dict(cfg_path=str(tmp_path / 'nope.py'))))
    with pytest.raises(ValueError, match='teacher_ckpt is needed'):
        MODELS.build(joint_student_cfg(None))


PAD_CROP_PRE = dict(STUDENT_PRE, type='RandomViewClsDataPreprocessor',
                    size=32, view=dict(type='PadCrop', crop_size=32,
                                       padding=4))


def _cache(path, teacher_ckpt, view=PAD_CROP_PRE['view'], n=2):
    """A cache of the toy teacher for ``n`` images ``{i}.png``, one view
    each (the whole image), views drawn as ``view``; image ``i``'s logits
    are 5 for class ``i % 4``, else 0."""
    teacher = MODELS.build(copy.deepcopy(TOY_TEACHER))
    teacher.load_state_dict(
        torch.load(teacher_ckpt, weights_only=True)['state_dict'])
    view = MODELS.build(dict(PAD_CROP_PRE, view=view)).view
    logits = np.zeros((n, 1, 4), np.float32)
    logits[np.arange(n), 0, np.arange(n) % 4] = 5.0
    save_teacher_cache(
        str(path), logits, np.tile([0, 0, 32, 32, 0], (n, 1, 1)),
        [f'{i}.png' for i in range(n)],
        dict(teacher=teacher_fingerprint(teacher), data='d',
             teacher_ckpt=teacher_ckpt, view=view, image_shape=(32, 32),
             teacher_size=(40, 40)))
    return str(path)


def test_cache_must_match_the_student_views(teacher_ckpt, tmp_path):
    cache = _cache(tmp_path / 'c.npz', teacher_ckpt)
    with pytest.raises(ValueError, match=r"holds views drawn as .*'padding':"
                       r" 4.*but the data_preprocessor draws .*'padding': 2"):
        MODELS.build(joint_student_cfg(
            teacher_ckpt, teacher_cache=cache, data_preprocessor=dict(
                PAD_CROP_PRE, view=dict(PAD_CROP_PRE['view'], padding=2))))
    with pytest.raises(ValueError, match='holds views drawn as'):
        MODELS.build(joint_student_cfg(
            teacher_ckpt, teacher_cache=cache, data_preprocessor=dict(
                PAD_CROP_PRE, view=dict(type='ResizedCrop'))))
    # The student must replay the stored views itself.
    for pre in (STUDENT_PRE, dict(PAD_CROP_PRE, view=None)):
        with pytest.raises(ValueError, match=r'teacher_cache=".*c\.npz": the '
                           "student's data_preprocessor .* draws no views"):
            MODELS.build(joint_student_cfg(
                teacher_ckpt, teacher_cache=cache, data_preprocessor=pre))
    # Another view config of the same numbers is the same view.
    model = MODELS.build(joint_student_cfg(
        teacher_ckpt, teacher_cache=cache, data_preprocessor=dict(
            PAD_CROP_PRE, view=dict(PAD_CROP_PRE['view'],
                                    crop_size=[32, 32]))))
    assert model.teacher_cache == cache


def test_cached_logits_replace_the_teacher(teacher_ckpt, tmp_path):
    cache = _cache(tmp_path / 'c.npz', teacher_ckpt)
    model = MODELS.build(joint_student_cfg(
        teacher_ckpt, teacher_cache=cache, data_preprocessor=PAD_CROP_PRE))

    def no_teacher(*args, **kwargs):
        raise AssertionError('the teacher ran although logits are cached')

    model.teacher.forward = no_teacher
    model.eval()
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    batch = dict(inputs=images, data_samples=[
        DataSample(metainfo=dict(sample_idx=i, img_path=f'/d/{i}.png'))
        .set_gt_label(i) for i in (1, 0)
    ])
    # The training path: the preprocessor replays the stored (whole-image)
    # views and attaches their logits, the loss uses them.
    data = model.data_preprocessor(batch, training=True)
    assert torch.equal(data['inputs'],
                       model.data_preprocessor(batch)['inputs'])
    losses = model(**data, mode='loss')
    cached = torch.tensor([[0., 5., 0., 0.], [5., 0., 0., 0.]])
    expected = model.distill_loss(model(data['inputs']), cached)
    assert losses['loss_soft'].item() == pytest.approx(expected.item(),
                                                       rel=1e-5)
    # A batch that did not pass the training preprocessor is refused.
    with pytest.raises(ValueError, match='the batch has no teacher_logits'):
        model.loss(data['inputs'], [DataSample().set_gt_label(0)] * 2)
    # Only the first stored views, when asked.
    with pytest.raises(ValueError, match='teacher_cache_views=2, but'):
        MODELS.build(joint_student_cfg(teacher_ckpt, teacher_cache=cache,
                                       teacher_cache_views=2,
                                       data_preprocessor=PAD_CROP_PRE))


def test_work_dir_resolves_last_checkpoint(teacher_ckpt, tmp_path):
    (tmp_path / 'last_checkpoint').write_text(teacher_ckpt)
    model = MODELS.build(
        joint_student_cfg(str(tmp_path), fuse_teacher_bn=False))
    ref = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, ref[key])


def test_class_count_mismatch(teacher_ckpt):
    cfg = joint_student_cfg(
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
        MODELS.build(joint_student_cfg(str(bad)))
    msg = str(err.value)
    assert '1 missing keys' in msg and missing in msg
    assert 'head.layers.1.fc.weight' in msg
    assert '(7, 32)' in msg and str(bad) in msg


def test_mismatched_channel_order(teacher_ckpt):
    cfg = joint_student_cfg(teacher_ckpt,
                            data_preprocessor=dict(STUDENT_PRE, to_rgb=True))
    with pytest.raises(ValueError, match='to_rgb'):
        MODELS.build(cfg)


def test_is_registered():
    assert MODELS.get('JointLearningClassifier') is JointLearningClassifier


def test_online_teacher_batchnorm_is_folded(teacher_ckpt):
    folded = MODELS.build(joint_student_cfg(teacher_ckpt))
    plain = MODELS.build(
        joint_student_cfg(teacher_ckpt, fuse_teacher_bn=False))

    def num_bn(model):
        return sum(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                   for m in model.modules())

    assert num_bn(plain.teacher) > 0 and num_bn(folded.teacher) == 0
    inputs = folded.data_preprocessor(_batch(), False)['inputs']
    expected = plain.teacher_logits(inputs)
    assert torch.allclose(folded.teacher_logits(inputs), expected,
                          atol=1e-5)
    assert expected.abs().max() > 1e-3  # a real comparison, not zeros


def test_online_teacher_runs_channels_last(teacher_ckpt):
    nhwc = MODELS.build(joint_student_cfg(teacher_ckpt))
    nchw = MODELS.build(
        joint_student_cfg(teacher_ckpt, teacher_channels_last=False))
    convs = [m.weight for m in nhwc.teacher.modules()
             if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(
        w.is_contiguous(memory_format=torch.channels_last)
        and not w.is_contiguous() for w in convs)
    seen = []
    nhwc.teacher.backbone.register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    inputs = nhwc.data_preprocessor(_batch(), False)['inputs']
    assert inputs.is_contiguous()  # the student's layout is its own
    expected = nchw.teacher_logits(inputs)
    assert torch.allclose(nhwc.teacher_logits(inputs), expected, atol=1e-5)
    assert seen[0].is_contiguous(memory_format=torch.channels_last)
    assert expected.abs().max() > 1e-3


def test_online_teacher_labels_the_mixed_batch(teacher_ckpt, tmp_path):
    """Mixup in the student's preprocessor: the teacher sees the mixed
    images (function matching); a cache, made for unmixed views, is
    refused."""
    mixup = dict(augments=[dict(type='Mixup', alpha=1.0)])
    model = MODELS.build(joint_student_cfg(
        teacher_ckpt,
        data_preprocessor=dict(STUDENT_PRE, batch_augments=mixup)))
    model.eval()  # deterministic dropout and BN for the comparison
    torch.manual_seed(0)
    np.random.seed(0)
    batch = _batch()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    plain = model.data_preprocessor(copy.deepcopy(batch), False)['inputs']
    assert not torch.allclose(data['inputs'], plain)
    scores = torch.stack([s.gt_score for s in data['data_samples']])
    assert torch.allclose(scores.sum(1), torch.ones(6))
    assert (scores.max(1).values < 1).any()  # mixed labels
    seen = []
    model.teacher.register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.allclose(seen[0], model.teacher_inputs(data['inputs']))
    logits = model(data['inputs'])
    t_logits = model.teacher(model.teacher_inputs(data['inputs']))
    kl = F.kl_div(F.log_softmax(logits / 2, 1), F.softmax(t_logits / 2, 1),
                  reduction='batchmean')
    assert losses['loss_soft'].item() == pytest.approx(
        0.5 * 4 * kl.item(), rel=1e-4)
    # The hard term follows the mixed labels.
    ce = -(scores * F.log_softmax(logits, 1)).sum(1).mean()
    assert losses['loss_cls'].item() == pytest.approx(0.5 * ce.item(),
                                                      rel=1e-4)
    cache = _cache(tmp_path / 'c.npz', teacher_ckpt)
    with pytest.raises(ValueError, match=r'c\.npz" with the data '
                       "preprocessor's batch_augments"):
        MODELS.build(joint_student_cfg(
            teacher_ckpt, teacher_cache=cache,
            data_preprocessor=dict(PAD_CROP_PRE, batch_augments=mixup)))
