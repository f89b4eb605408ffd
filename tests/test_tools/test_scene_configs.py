"""The scene configs end to end through the tools, on tiny generated data.

Your own class folders (``DATA_ROOT``/``NUM_CLASSES``): stage 1, the cache
and the cached stage 2, with the 128 px and the 224 px teacher; MIT
Indoor-67 in its official layout: stage 1 and the student alone.
"""
import os
import os.path as osp
import subprocess

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS
from PIL import Image

from ..conftest import run_tool, smooth_image

TEACHER = 'configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py'
JOINT = 'configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes.py'
CACHED = 'configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py'
TEACHER_224 = 'configs/teacher_effnet-lite0-f4-224px_1xb64_intel_scenes.py'
CACHED_224 = ('configs/'
              'joint_effnet-lite0-224px_vgg-s4_1xb128_intel_scenes_cached.py')
CLASSES = ('beach', 'kitchen', 'street')


def _photo(path, height, width, rng, mode='RGB'):
    img = Image.fromarray(smooth_image(height, width, rng))
    img.convert(mode).save(path)


def _short(*options, batch=4):
    """One short epoch (one pass) at a small batch for every loader."""
    opts = ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
            'train_dataloader.sampler.min_length=0']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.append(f'{loader}.batch_size={batch}')
    return [*opts, *options]


@pytest.fixture(scope='module')
def own_folders(tmp_path_factory):
    """``train``/``test`` class folders of photos of mixed sizes and modes."""
    root = tmp_path_factory.mktemp('my_scenes')
    rng = np.random.default_rng(0)
    sizes = [(90, 120), (150, 100), (64, 64)]
    for split, count in (('train', 3), ('test', 2)):
        for name in CLASSES:
            os.makedirs(root / split / name)
            for i in range(count):
                ext, mode = [('jpg', 'RGB'), ('png', 'L'),
                             ('png', 'RGBA')][i % 3]
                _photo(root / split / name / f'{i}.{ext}',
                       *sizes[i % 3], rng, mode)
    return str(root)


@pytest.mark.parametrize('teacher_config,cache_config,cached_config', [
    (TEACHER, JOINT, CACHED),
    # The 224 px teacher: its joint config caches the student's 128 px
    # views for it (resized to 224 by the teacher's preprocessor).
    (TEACHER_224, CACHED_224, CACHED_224),
])
def test_own_folders_both_stages(own_folders, python, repo_root, tmp_path,
                                 monkeypatch, teacher_config, cache_config,
                                 cached_config):
    monkeypatch.setenv('DATA_ROOT', own_folders)
    monkeypatch.setenv('NUM_CLASSES', str(len(CLASSES)))
    teacher, cache = tmp_path / 'teacher', tmp_path / 'cache_2v.npz'
    out = run_tool(python, repo_root, 'train.py', teacher_config,
                   '--work-dir', str(teacher), cfg_options=_short())
    assert 'Epoch(val) [1]' in out
    run_tool(python, repo_root, 'cache_teacher.py', cache_config, '--views',
             '2', '--out', str(cache),
             cfg_options=[f'model.teacher_ckpt={teacher}'])
    with np.load(cache) as data:
        assert data['views'].shape == (len(CLASSES) * 3, 2, 5)
        assert data['logits'].shape == (len(CLASSES) * 3, 2, len(CLASSES))
    joint = tmp_path / 'joint'
    out = run_tool(
        python, repo_root, 'train.py', cached_config, '--work-dir',
        str(joint), cfg_options=_short(
            f'model.teacher_ckpt={teacher}', f'model.teacher_cache={cache}'))
    assert 'loss_soft' in out
    with open(joint / 'last_checkpoint') as f:
        state = torch.load(f.read().strip(), map_location='cpu',
                           weights_only=False)['state_dict']
    # A student-only checkpoint with the user's class count.
    assert not any(k.startswith('teacher') for k in state)
    assert state['head.fc.weight'].shape[0] == len(CLASSES)


def test_teacher_224px_stores_photos_at_224px(own_folders, monkeypatch,
                                              repo_root):
    monkeypatch.setenv('DATA_ROOT', own_folders)
    monkeypatch.setenv('NUM_CLASSES', str(len(CLASSES)))
    init_default_scope('mmpretrain')
    for config, size in ((TEACHER, 128), (TEACHER_224, 224)):
        cfg = Config.fromfile(osp.join(repo_root, config))
        for loader in ('train_dataloader', 'val_dataloader'):
            # The stored image itself: no crop after it.
            dataset = DATASETS.build(dict(cfg[loader].dataset,
                                          pipeline=[dict(type='PackInputs')]))
            assert dataset[0]['inputs'].shape == (3, size, size), config


def test_class_count_mismatch_stops_before_training(own_folders, python,
                                                    repo_root, tmp_path):
    env = dict(os.environ, DATA_ROOT=own_folders, NUM_CLASSES='4',
               PYTHONPATH=repo_root)
    proc = subprocess.run(
        [python, 'tools/train.py', TEACHER, '--work-dir', str(tmp_path)],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert 'has 3 classes' in proc.stderr and 'num_classes=4' in proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
    assert not [f for f in os.listdir(tmp_path) if f.endswith('.pth')]


def test_mit67_configs_train_on_the_official_layout(python, repo_root,
                                                    tmp_path):
    rng = np.random.default_rng(1)
    lists = {'TrainImages.txt': [], 'TestImages.txt': []}
    for name in CLASSES:
        os.makedirs(tmp_path / 'Images' / name)
        for i in range(5):
            _photo(tmp_path / 'Images' / name / f'{i}.jpg', 80, 110, rng)
            split = 'TrainImages.txt' if i < 3 else 'TestImages.txt'
            lists[split].append(f'{name}/{i}.jpg')
    for split, lines in lists.items():
        (tmp_path / split).write_text('\n'.join(lines) + '\n')
    opts = [f'model.head.num_classes={len(CLASSES)}']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={tmp_path}',
                 f'{loader}.dataset.num_classes={len(CLASSES)}']
    for config in ('teacher_effnet-lite0-f4-128px_1xb64_mit67.py',
                   'compact_vgg-s4-96px_1xb128_mit67.py'):
        out = run_tool(python, repo_root, 'train.py',
                       osp.join('configs', config), '--work-dir',
                       str(tmp_path / config), cfg_options=_short(*opts))
        assert 'Epoch(val) [1]' in out
