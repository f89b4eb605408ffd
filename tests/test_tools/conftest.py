"""Tiny classifiers for the deployment and report tools.

A 10-class student (CifarVGG, 24 px input resized from the 32 px test
images) and teacher (CIFAR ResNet-8 at 40 px) with random weights, their
configs pointing at the session's tiny CIFAR-10 folders, and the tools
loaded as modules so that tests call their ``main`` in-process.
"""
import copy
import os.path as osp

import pytest
import torch
from mmpretrain.registry import MODELS
from torch import nn

from mmcompact.utils import import_script

from ..conftest import REPO_ROOT, resnet8_classifier, write_config

_DATA = """
dataset = dict(type='CIFAR10Folder', data_root={root!r},
               pipeline=[dict(type='PackInputs')])
train_dataloader = dict(
    batch_size=8, num_workers=0, dataset=dict(dataset, split='train'),
    sampler=dict(type='DefaultSampler', shuffle=True))
test_dataloader = dict(
    batch_size=8, num_workers=0,
    dataset=dict(dataset, split='test', test_mode=True),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='Accuracy', topk=(1, ))
"""

TINY_STUDENT = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='RandomViewClsDataPreprocessor', size=24, num_classes=10,
        mean=[125.3, 123.0, 113.9], std=[51.6, 50.8, 51.3]),
    backbone=dict(type='CifarVGG', widths=(16, 32, 64), stem_channels=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64,
              loss=dict(type='CrossEntropyLoss'), topk=(1, )))

TINY_TEACHER = resnet8_classifier(
    10, dict(type='LinearClsHead', loss=dict(type='CrossEntropyLoss'),
             topk=(1, )))


def load_script(relpath):
    """A repo script (``tools/...``, ``demo/...``) as a module."""
    path = osp.join(REPO_ROOT, relpath)
    name = osp.splitext(osp.basename(path))[0]
    return import_script(path, f'script_{name}')


def save_lively_checkpoint(model_cfg, path, seed=0):
    """Random weights whose logits vary with the image.

    Freshly initialised, these nets shrink the signal layer by layer (their
    BatchNorms are the identity in eval mode) into logits of ~1e-5, where
    every image gets the same class and any two runtimes agree. Their
    BatchNorm statistics are therefore set from a few random batches and
    the head's weights scaled up.
    """
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.momentum = None  # a cumulative average over the batches
    model.train()
    with torch.no_grad():
        for _ in range(4):
            x = torch.rand(8, 3, 32, 32) * 255
            model.extract_feat(model.data_preprocessor({'inputs': x})[
                'inputs'])
        model.head.fc.weight.normal_(0, 1)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


@pytest.fixture(scope='session')
def tiny_models(tmp_path_factory, tiny_cifar):
    """Configs and random-weight checkpoints of the tiny student (two
    seeds: joint and alone) and teacher."""
    folder = tmp_path_factory.mktemp('tiny_models')
    data = _DATA.format(root=tiny_cifar)
    out = dict(data_root=tiny_cifar)
    for name, model in (('student', TINY_STUDENT), ('teacher', TINY_TEACHER)):
        out[f'{name}_config'] = write_config(
            folder / f'{name}.py', f'model = {model!r}\n{data}')
    out['student_ckpt'] = save_lively_checkpoint(TINY_STUDENT,
                                                 folder / 'student.pth')
    out['baseline_ckpt'] = save_lively_checkpoint(
        TINY_STUDENT, folder / 'baseline.pth', seed=1)
    out['teacher_ckpt'] = save_lively_checkpoint(TINY_TEACHER,
                                                 folder / 'teacher.pth')
    return out


@pytest.fixture(scope='session')
def export_onnx():
    return load_script('tools/deployment/export_onnx.py')


@pytest.fixture(scope='session')
def exported(tiny_models, export_onnx, tmp_path_factory):
    """The tiny student exported to fp32 and int8 ONNX files."""
    out = str(tmp_path_factory.mktemp('onnx') / 'student.onnx')
    code = export_onnx.main([
        tiny_models['student_config'], tiny_models['student_ckpt'], '--out',
        out, '--int8', '--calib', '8'
    ])
    assert code == 0
    return dict(onnx=out, int8=export_onnx.int8_path(out))
