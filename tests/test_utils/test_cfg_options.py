import pytest
from mmengine.config import Config

import mmcompact  # noqa: F401
from mmcompact.utils import check_cfg_options, has_key
from mmcompact.utils.cfg_options import top_level_keys

from ..conftest import write_config

CONFIG = """
data_root = 'data/photos'
num_classes = 3
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarResNet', depth=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=64))
data_preprocessor = dict(type='RandomViewClsDataPreprocessor', size=32)
train_dataloader = dict(
    batch_size=8,
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='InMemoryCustomDataset', data_root=data_root,
                 data_prefix='train', num_classes=num_classes,
                 pipeline=[dict(type='PackInputs')]))
train_cfg = dict(by_epoch=True, max_epochs=2)
param_scheduler = [dict(type='LinearLR', start_factor=0.1, end=1),
                   dict(type='CosineAnnealingLR', begin=1, eta_min=0.0)]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
"""


@pytest.fixture(scope='module')
def cfg(tmp_path_factory):
    return Config.fromfile(write_config(
        tmp_path_factory.mktemp('cfg') / 'config.py', CONFIG))


def _refused(cfg, option, match):
    key, value = option.split('=')
    with pytest.raises(ValueError, match=match):
        check_cfg_options(cfg, {key: value})


@pytest.mark.parametrize('option', [
    'train_cfg.max_epochs=5',  # an existing key
    'work_dir=out', 'load_from=x.pth', 'randomness.seed=1',  # runner keys
    'model.backbone.norm_eval=True',  # a named argument
    'model.head.init_cfg.std=0.1',  # a new dict under a named argument
    'train_dataloader.dataset.indices=4',  # an argument of a base class
    'train_dataloader.dataset.pipeline.0.meta_keys=[]',  # in a list
    'param_scheduler.1.T_max=3',  # the class's own argument
    'train_dataloader.num_workers=2',  # no type: left to the builder
    'model.backbone.type=CifarVGG',  # a type change (an existing key)
])
def test_effective_options_pass(cfg, option):
    key, value = option.split('=')
    check_cfg_options(cfg, {key: value})
    check_cfg_options(cfg, None)


def test_arguments_of_a_changed_type_are_those_of_the_new_type(cfg):
    check_cfg_options(cfg, {'model.backbone.type': 'CifarVGG',
                            'model.backbone.widths': [8, 16, 32]})
    with pytest.raises(ValueError, match='CifarResNet'):
        check_cfg_options(cfg, {'model.backbone.widths': [8, 16, 32]})


@pytest.mark.parametrize('option,match', [
    ('data_root=elsewhere', r'"data_root" is a variable of the config file.*'
     r'set the fields that use it instead: '
     r'train_dataloader\.dataset\.data_root\.$'),
    ('num_classes=5', r'"num_classes" is a variable .* instead: '
     r'model\.head\.num_classes, '
     r'train_dataloader\.dataset\.num_classes\.$'),
    ('train_cgf.max_epochs=1', r'no tool reads a top-level "train_cgf" '
     r'\(did you mean train_cfg\?\)'),
    ('max_epochs=1', r'no tool reads a top-level "max_epochs"'),
    ('model.data_preprocessor.size=64', r'this config sets its '
     r'data_preprocessor at the top level.*set '
     r'data_preprocessor\.size instead'),
    ('model.backbone.dept=20', r'CifarResNet \(model\.backbone\) takes no '
     r'argument "dept" \(did you mean depth\?\); its arguments: .*depth'),
    ('train_dataloader.dataset.image_sise=32', r'InMemoryCustomDataset '
     r'\(train_dataloader\.dataset\) .* "image_sise" \(did you mean '
     r'image_size\?\)'),
    ('param_scheduler.0.eta_min=0', r'LinearLR \(param_scheduler\.0\) takes '
     'no argument "eta_min"'),
    ('default_hooks.checkpoint.intervall=2', r'CheckpointHook '
     r'\(default_hooks\.checkpoint\) .* "intervall" \(did you mean '
     r'interval\?\)'),
])
def test_options_without_effect_are_refused(cfg, option, match):
    _refused(cfg, option, rf'--cfg-options {option.split("=")[0]}: {match}')


def test_runner_keys_are_known():
    known = top_level_keys()
    assert {'model', 'train_dataloader', 'default_hooks', 'work_dir',
            'randomness', 'experiment_name', 'runner_type'} <= known
    assert 'cfg' not in known and 'self' not in known


def test_has_key():
    cfg = Config(dict(a=dict(b=[dict(c=1)]), d=None))
    assert has_key(cfg, 'a.b.0.c') and has_key(cfg, 'd')
    assert not has_key(cfg, 'a.b.1.c')
    assert not has_key(cfg, 'a.x')
    assert not has_key(cfg, 'a.b.0.c.e')
