"""TeacherEvalHook: the teacher's one-off validation, logged as scalars."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401
from mmcompact.engine import TeacherEvalHook

from ...conftest import joint_student_cfg, make_class_folders

CLASSES = ('a', 'b', 'c', 'd')


def _loader(root, split):
    return dict(
        batch_size=3,
        num_workers=0,
        dataset=dict(type='InMemoryCustomDataset', data_root=root,
                     data_prefix=split, num_classes=len(CLASSES),
                     pipeline=[dict(type='PackInputs')]),
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'))


def _runner(tmp_path, model, **kwargs):
    root = str(tmp_path / 'data')
    make_class_folders(osp.join(root, 'train'), CLASSES, per_class=2)
    make_class_folders(osp.join(root, 'test'), CLASSES, per_class=2, seed=1)
    return Runner(
        model=model,
        work_dir=str(tmp_path / 'work'),
        train_dataloader=_loader(root, 'train'),
        val_dataloader=_loader(root, 'test'),
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_scope='mmpretrain',
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        # Runners named alike (same second) share one MessageHub, whose
        # teacher metrics would leak from test to test.
        experiment_name=f'teacher_eval_{tmp_path.name}',
        **kwargs)


def test_teacher_accuracy_is_logged_once_before_training(tmp_path,
                                                         teacher_ckpt):
    runner = _runner(tmp_path, joint_student_cfg(teacher_ckpt),
                     custom_hooks=[dict(type='TeacherEvalHook')])
    runner.train()

    # The same teacher and views, evaluated here by hand.
    model = MODELS.build(joint_student_cfg(teacher_ckpt)).eval()
    correct = total = 0
    with torch.no_grad():
        for data in runner.val_dataloader:
            data = model.data_preprocessor(data, False)
            logits = model.teacher_logits(data['inputs'])
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            correct += int((logits.argmax(1) == labels).sum())
            total += len(labels)
    assert total == 2 * len(CLASSES)
    expected = 100 * correct / total

    records = []
    for path in glob.glob(osp.join(str(tmp_path / 'work'), '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            records += [json.loads(line) for line in f]
    teacher = [r for r in records if 'teacher/accuracy/top1' in r]
    assert len(teacher) == 1 and teacher[0]['step'] == 0
    assert teacher[0]['teacher/accuracy/top1'] == pytest.approx(expected)
    # Kept as runtime info, which checkpoints save for a resumed run.
    assert runner.message_hub.get_info('teacher_metrics') == {
        'teacher/accuracy/top1': pytest.approx(expected)}
    # Both joint losses are separate scalars next to it.
    train = [r for r in records if 'loss' in r]
    assert train and all({'loss_cls', 'loss_soft'} <= set(r) for r in train)


def test_refuses_a_model_without_teacher(tmp_path):
    runner = _runner(tmp_path, dict(
        type='ImageClassifier', backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64)))
    hook = TeacherEvalHook()
    with pytest.raises(TypeError, match='JointLearningClassifier'):
        hook.before_train(runner)
    # A resumed run (metrics restored from its checkpoint) is not
    # evaluated again.
    runner.message_hub.update_info('teacher_metrics',
                                   {'teacher/accuracy/top1': 50.0})
    hook.before_train(runner)


def test_prefix_must_not_be_empty():
    with pytest.raises(ValueError, match='prefix'):
        TeacherEvalHook(prefix='')
