"""TensorBoard logging switched on by MMCOMPACT_TENSORBOARD=1."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.visualization import Visualizer

import mmcompact  # noqa: F401

from ..conftest import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs',
                  'compact_cifarvgg-16px_1xb64_uci_digits.py')


def _backends(monkeypatch, value):
    if value is None:
        monkeypatch.delenv('MMCOMPACT_TENSORBOARD', raising=False)
    else:
        monkeypatch.setenv('MMCOMPACT_TENSORBOARD', value)
    return Config.fromfile(CONFIG).visualizer.vis_backends


def test_local_scalars_by_default(monkeypatch):
    assert _backends(monkeypatch, None) == [dict(type='LocalVisBackend')]
    assert _backends(monkeypatch, '0') == [dict(type='LocalVisBackend')]


def test_tensorboard_switched_on(monkeypatch):
    assert _backends(monkeypatch, '1') == [
        dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
    with pytest.raises(ValueError, match='MMCOMPACT_TENSORBOARD must be 0 '
                       'or 1, got "yes"'):
        _backends(monkeypatch, 'yes')


def test_tensorboard_writes_scalars(monkeypatch, tmp_path):
    pytest.importorskip('tensorboard')
    backends = _backends(monkeypatch, '1')
    init_default_scope('mmpretrain')
    visualizer = Visualizer(
        name='test_tensorboard_writes_scalars', save_dir=str(tmp_path),
        vis_backends=backends)
    visualizer.add_scalars({'loss_cls': 1.0, 'loss_soft': 0.5}, step=1)
    visualizer.close()
    assert glob.glob(str(tmp_path / 'vis_data' / 'events.out.tfevents.*'))
    assert osp.isfile(tmp_path / 'vis_data' / 'scalars.json')
