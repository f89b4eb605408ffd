import copy
import os
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import settings
from mmpretrain.registry import MODELS
from PIL import Image

import mmcompact  # noqa: F401

# Property tests: the same examples on every run (CI must not flake), no
# per-example deadline (a busy 2-core machine is slow); more with
# pytest --hypothesis-profile=thorough.
settings.register_profile('ci', max_examples=40, deadline=None,
                          derandomize=True)
settings.register_profile('thorough', max_examples=1000, deadline=None)
settings.load_profile('ci')

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_CIFAR10 = osp.join(osp.dirname(REPO_ROOT), 'shared', 'data',
                          'cifar10')
CIFAR10_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog',
                   'frog', 'horse', 'ship', 'truck')

# Small and fast teachers for the tool tests: 48 px instead of 96 px input.
TEACHER_SIZE = 48

# A tiny stage-1 teacher (4 classes, 40 px input) and the student-side
# normalisation the model tests share.
STUDENT_PRE = dict(
    num_classes=4, mean=[120.0, 110.0, 100.0], std=[50.0, 55.0, 60.0])


def resnet8_classifier(num_classes, head):
    """A CIFAR ResNet-8 ``ImageClassifier`` config on 40 px input.

    Args:
        num_classes (int): Classes of the head and the preprocessor.
        head (dict): The head config, without ``num_classes`` and
            ``in_channels``.
    """
    return dict(
        type='ImageClassifier',
        data_preprocessor=dict(
            type='RandomViewClsDataPreprocessor', size=40,
            num_classes=num_classes, mean=[127.0] * 3, std=[128.0] * 3),
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(head, num_classes=num_classes, in_channels=64))


# Has Dropout, which must stay in eval mode.
TOY_TEACHER = resnet8_classifier(
    4, dict(type='StackedLinearClsHead', mid_channels=[32],
            dropout_rate=0.5))


def joint_student_cfg(teacher_ckpt, **kwargs):
    """A JointLearningClassifier config: ResNet-8 student of the toy teacher.

    Args:
        teacher_ckpt (str): The toy teacher's checkpoint.
        **kwargs: Keys that replace the defaults.

    Returns:
        dict: The model config.
    """
    cfg = dict(
        type='JointLearningClassifier',
        teacher=copy.deepcopy(TOY_TEACHER),
        teacher_ckpt=teacher_ckpt,
        data_preprocessor=STUDENT_PRE,
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
        hard_loss_weight=0.5,
        distill_loss=dict(type='SoftTargetLoss', temperature=2.0,
                          loss_weight=0.5))
    cfg.update(kwargs)
    return cfg


def make_cifar_folder(root, per_class=(3, 2), size=32, seed=0):
    """Write a tiny CIFAR10Folder tree: ``root/{train,test}/<class>/*.jpg``.

    Each class has its own mean colour, so a network can learn something.
    """
    rng = np.random.default_rng(seed)
    for split, count in zip(('train', 'test'), per_class):
        for idx, name in enumerate(CIFAR10_CLASSES):
            folder = osp.join(root, split, name)
            os.makedirs(folder, exist_ok=True)
            base = np.array([25 * idx, 255 - 25 * idx, 128], np.float32)
            for i in range(count):
                noise = rng.normal(0, 30, (size, size, 3))
                img = np.clip(base + noise, 0, 255).astype(np.uint8)
                Image.fromarray(img).save(osp.join(folder, f'{i:04d}.jpg'))
    return str(root)


def smooth_image(height, width, rng):
    """A ``(H, W, 3)`` uint8 image of a few low-frequency waves.

    Resampling such an image at two resolutions gives nearly the same
    pixels, so tests can compare views cut at different sizes.
    """
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, 3), np.float32)
    for c in range(3):
        fy, fx = rng.uniform(0.5, 2.0, 2) * 2 * np.pi / 40
        phase = rng.uniform(0, 2 * np.pi)
        img[..., c] = 128 + 100 * np.sin(fy * y + fx * x + phase)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_class_folders(root, classes=('a', 'b', 'c', 'd'), per_class=3,
                       size=(40, 40), ext='png', seed=0):
    """Write smooth images to ``root/<class>/<i>.<ext>``; returns ``root``."""
    rng = np.random.default_rng(seed)
    for name in classes:
        os.makedirs(osp.join(root, name), exist_ok=True)
        for i in range(per_class):
            Image.fromarray(smooth_image(*size, rng)).save(
                osp.join(root, name, f'{i}.{ext}'))
    return str(root)


def build_toy_teacher(seed=0, **pre):
    """:data:`TOY_TEACHER` built with seeded weights.

    Args:
        seed (int): Seed of the random weights.
        **pre: Settings that replace those of its data preprocessor.
    """
    cfg = copy.deepcopy(TOY_TEACHER)
    cfg['data_preprocessor'].update(pre)
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def save_checkpoint(model_cfg, path, seed=0):
    """Build ``model_cfg`` with random weights and save its state dict."""
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def write_config(path, text):
    """Write a config file (``text``) and return its path as a string."""
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


def write_small_teacher_config(folder, base_name, size=TEACHER_SIZE):
    """A stage-1 config that is ``configs/<base_name>`` at ``size`` px.

    Joint configs take their teacher from a stage-1 config
    (``model.teacher.cfg_path``), so tests point them at this one.
    """
    base = osp.join(REPO_ROOT, 'configs', base_name)
    return write_config(
        osp.join(folder, f'small_{base_name}'),
        f'_base_ = [{base!r}]\n'
        f'model = dict(data_preprocessor=dict(size={size}))\n')


def data_options(root, batch_size=8):
    """``--cfg-options`` that point every dataloader at ``root``."""
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}',
                 f'{loader}.batch_size={batch_size}']
    return opts


def run_command(cmd, repo_root, env=None, returncode=0):
    """Run ``cmd`` in the repo with the repo first on ``PYTHONPATH``.

    Args:
        cmd (list[str]): The command.
        repo_root (str): Its working directory.
        env (dict, optional): Variables added to this process's.
        returncode (int): The exit status expected; ``-N`` for a process
            killed by signal N. Defaults to 0.

    Returns:
        str: Its stdout and stderr; an assertion error names the failure.
    """
    # Keep the caller's PYTHONPATH (packages installed there).
    env = dict(os.environ, **(env or {}))
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (repo_root, os.environ.get('PYTHONPATH')) if p)
    proc = subprocess.run(cmd, cwd=repo_root, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == returncode, (
        f'{" ".join(cmd)}\nexit status {proc.returncode}, expected '
        f'{returncode}\n--- stdout ---\n{proc.stdout[-3000:]}\n'
        f'--- stderr ---\n{proc.stderr[-3000:]}')
    return proc.stdout + proc.stderr


def run_tool(python, repo_root, tool, *args, cfg_options=(),
             folder='tools', returncode=0):
    """Run ``<folder>/<tool>`` in the repo; its output, or an assertion
    (``returncode``: see :func:`run_command`)."""
    cmd = [python, osp.join(folder, tool), *args]
    if cfg_options:
        cmd += ['--cfg-options', *cfg_options]
    return run_command(cmd, repo_root, returncode=returncode)


# The environment of the CPU processes that the scale-out tests compare:
# one thread each, as torchrun sets it, and no GPU, also on a CUDA machine.
CPU_PROCESS_ENV = dict(OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='-1')


def run_dist_script(python, repo_root, script, *args):
    """``bash tools/<script> *args`` (torchrun), in CPU processes
    (:data:`CPU_PROCESS_ENV`)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    return run_command(['bash', osp.join('tools', script), *args],
                       repo_root, dict(CPU_PROCESS_ENV, PYTHON=python,
                                       PORT=str(port)))


@pytest.fixture(scope='session')
def tiny_cifar(tmp_path_factory):
    """A tiny CIFAR-10-style folder dataset (10 classes, 3+2 images each)."""
    return make_cifar_folder(tmp_path_factory.mktemp('tiny_cifar10'))


@pytest.fixture(scope='session')
def teacher_ckpt(tmp_path_factory):
    """A checkpoint of :data:`TOY_TEACHER` with random weights."""
    return save_checkpoint(
        TOY_TEACHER, tmp_path_factory.mktemp('teacher') / 'epoch_1.pth')


@pytest.fixture(scope='session')
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope='session')
def python():
    return sys.executable
