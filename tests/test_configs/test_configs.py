"""Every config parses, and the configs agree with each other.

Joint configs train the student of their compact config (the student-alone
baseline, which also loads their checkpoints); teachers resize the
student's view to their own input size; the scene student is compact.
"""
import ast
import copy
import functools
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401
from mmcompact.models import RandomViewClsDataPreprocessor
from mmcompact.teacher import resolve_teacher

from ..conftest import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs')
CONFIGS = sorted(osp.basename(p)
                 for p in glob.glob(osp.join(CONFIG_DIR, '*.py')))
JOINT = [n for n in CONFIGS if n.startswith('joint_')]
TEACHERS = [n for n in CONFIGS if n.startswith('teacher_')]
SCENE_JOINT = [n for n in JOINT if 'scenes' in n or 'mit67' in n]
# The student fields of a joint config are those of its compact config.
STUDENT_MODEL_KEYS = ('backbone', 'neck', 'head')
STUDENT_KEYS = ('optim_wrapper', 'param_scheduler', 'train_cfg')


@functools.lru_cache()
def _load(path):
    """A parsed config, read once (the tests do not change it)."""
    return Config.fromfile(path)


def _cfg(name):
    return _load(osp.join(CONFIG_DIR, name))


def _bases(path):
    """The files ``path`` inherits from, nearest first, recursively."""
    with open(path) as f:
        tree = ast.parse(f.read())
    bases = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            value = ast.literal_eval(node.value)
            bases += [value] if isinstance(value, str) else list(value)
    out = []
    for base in bases:
        if '::' in base:  # another package's config, e.g. mmpretrain::
            continue
        base = osp.normpath(osp.join(osp.dirname(path), base))
        out += [base] + _bases(base)
    return out


def _compact_of(name):
    """The compact (student-alone) config a joint config inherits."""
    compact = [b for b in _bases(osp.join(CONFIG_DIR, name))
               if osp.basename(b).startswith('compact_')]
    assert compact, f'{name} inherits no configs/compact_*.py'
    return osp.basename(compact[0])


def _teacher_cfg(joint):
    path = osp.normpath(joint.model.teacher.cfg_path)
    assert osp.dirname(path) == CONFIG_DIR
    return _load(path)


def _num_classes(cfg):
    """Every ``num_classes`` value anywhere in a config."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'num_classes':
                    found.append(value)
                walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk(cfg.to_dict())
    return found


@pytest.mark.parametrize('name', CONFIGS)
def test_every_config_parses(name):
    cfg = _cfg(name)
    assert cfg.model.type in ('ImageClassifier', 'JointLearningClassifier')
    assert cfg.train_dataloader.dataset.type and cfg.train_cfg.max_epochs


def test_configs_are_found():
    assert 'compact_resnet20_1xb128_cifar10.py' in CONFIGS
    assert 'joint_effnet-lite0_resnet20_1xb128_cifar10_cached.py' in JOINT
    assert 'teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py' in TEACHERS
    assert len(SCENE_JOINT) >= 2


def test_short_joint_name_is_the_resnet20_config():
    assert _cfg('joint_cifar10.py').to_dict() == _cfg(
        'joint_effnet-lite0_resnet20_1xb128_cifar10.py').to_dict()


def test_resnet20_student_runs_nhwc_and_compiled():
    """Where it was measured to pay (docs/benchmarks.md), and inherited by
    the joint configs of that student."""
    names = [n for n in CONFIGS if 'resnet20' in n]
    assert len(names) == 3
    for name in names:
        assert [h['type'] for h in _cfg(name).custom_hooks] == [
            'ChannelsLastHook', 'CompileHook'], name


@pytest.mark.parametrize('name', JOINT)
def test_joint_student_is_its_compact_config(name):
    joint, compact = _cfg(name), _cfg(_compact_of(name))
    assert joint.model.type == 'JointLearningClassifier'
    assert compact.model.type == 'ImageClassifier'
    for key in STUDENT_MODEL_KEYS:
        assert joint.model[key] == compact.model[key], key
    for key in STUDENT_KEYS:
        assert joint[key] == compact[key], key
    # The student's data_preprocessor is top-level (the runner passes it
    # to the model), as in the compact config.
    assert 'data_preprocessor' not in joint.model
    assert joint.data_preprocessor == compact.data_preprocessor
    # The same data, plus the unlabelled transfer set where the data set
    # has one (joint students only).
    joint_data = copy.deepcopy(joint.train_dataloader)
    if joint_data.dataset.pop('unlabeled_prefix', None) is not None:
        assert joint_data.dataset.type == 'InMemoryCustomDataset', name
        # drawn at the transfer set's ratio, in epochs of the same length
        sampler = joint_data.sampler
        assert sampler.type == 'TransferSetSampler', name
        sampler.pop('unlabeled_ratio')
        sampler.type = compact.train_dataloader.sampler.type
    assert joint_data == compact.train_dataloader
    assert 'unlabeled_prefix' not in compact.train_dataloader.dataset
    if joint.model.get('teacher_cache'):
        # A cache replays views by sample index: the images are packed
        # whole and the views cut out of the batch by the preprocessor.
        assert joint.train_dataloader.dataset.pipeline == [dict(
            type='PackInputs')]
        assert joint.train_dataloader.collate_fn.type == 'default_collate'
        pre = joint.data_preprocessor
        assert pre.type == 'RandomViewClsDataPreprocessor' and pre.view


@pytest.mark.parametrize('name', JOINT)
def test_joint_teacher_is_a_stage1_config(name):
    joint = _cfg(name)
    assert set(joint.model.teacher) == {'cfg_path'}
    assert 'teacher_ckpt' not in joint.model
    teacher_name = osp.basename(joint.model.teacher.cfg_path)
    assert teacher_name in TEACHERS
    teacher = _teacher_cfg(joint)
    model, ckpt, path = resolve_teacher(joint.model.teacher)
    # Normalised, also where a base config names it relative to itself.
    assert path == osp.join(CONFIG_DIR, teacher_name)
    assert model == teacher.model
    assert ckpt == osp.join('work_dirs', teacher_name[:-3])
    assert teacher.model.head.num_classes == joint.model.head.num_classes
    cache = joint.model.get('teacher_cache')
    if cache:
        # Where tools/cache_teacher.py writes it by default: the teacher's
        # work dir, teacher_cache_<views>v.npz.
        assert osp.dirname(cache) == ckpt
        views = re.fullmatch(r'teacher_cache_(\d+)v\.npz',
                             osp.basename(cache))
        assert views, cache
        with open(osp.join(CONFIG_DIR, name)) as f:
            commands = re.findall(r'cache_teacher\.py .* --views (\d+)',
                                  f.read())
        assert set(commands) <= {views.group(1)}


@pytest.mark.parametrize('name', TEACHERS)
def test_teacher_resizes_to_its_input_size(name):
    """Stage 2 brings the student's view to the teacher's input size."""
    cfg = _cfg(name)
    init_default_scope('mmpretrain')
    pre = MODELS.build(dict(dict(type='ClsDataPreprocessor'),
                            **cfg.model.data_preprocessor))
    assert isinstance(pre, RandomViewClsDataPreprocessor)
    # The teacher's own augmentation is in its pipeline, not here.
    assert pre.view is None
    if cfg.get('image_size'):
        # Photos are stored at the teacher's input size.
        assert pre.size == (cfg.image_size, cfg.image_size)
        crop = cfg.train_dataloader.dataset.pipeline[0]
        assert crop.type == 'RandomResizedCrop'
        assert crop.scale == cfg.image_size
    else:
        assert pre.size in ((96, 96), (128, 128), (224, 224))


@functools.lru_cache()
def _complexity(config, student):
    """``(MACs, params)`` of a config's (student) model at its input size."""
    cfg = Config.fromfile(config)
    model_cfg = cfg.model.to_dict()
    if student:
        model_cfg = dict(type='ImageClassifier',
                         **{k: model_cfg[k] for k in STUDENT_MODEL_KEYS})
        size = cfg.data_preprocessor.size
    else:
        size = model_cfg['data_preprocessor']['size']
        model_cfg.pop('data_preprocessor')
    init_default_scope('mmpretrain')
    model = MODELS.build(model_cfg).eval()
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=torch.randn(1, 3, size, size), show_table=False,
            show_arch=False)
    return size, info['flops'], info['params']


@pytest.mark.parametrize('name', SCENE_JOINT)
def test_scene_student_is_compact(name):
    joint = _cfg(name)
    s_size, s_macs, s_params = _complexity(
        osp.join(CONFIG_DIR, name), student=True)
    t_size, t_macs, t_params = _complexity(
        joint.model.teacher.cfg_path, student=False)
    assert s_size == 96 and t_size in (128, 224)
    assert s_macs <= t_macs / 10
    assert s_params <= 1.5e6 < t_params
    # The student's views are the teacher's stage-1 crops.
    teacher = _teacher_cfg(joint)
    crop = teacher.train_dataloader.dataset.pipeline[0]
    assert joint.data_preprocessor.view.scale == crop.crop_ratio_range


INTEL = [n for n in CONFIGS if n.endswith('_intel_scenes.py')
         or n.endswith('_intel_scenes_cached.py')]


@pytest.mark.parametrize('name', INTEL)
def test_data_root_and_num_classes_from_the_environment(name, monkeypatch):
    path = osp.join(CONFIG_DIR, name)
    monkeypatch.delenv('DATA_ROOT', raising=False)
    monkeypatch.delenv('NUM_CLASSES', raising=False)
    default = Config.fromfile(path)
    monkeypatch.setenv('DATA_ROOT', '/data/my_scenes')
    monkeypatch.setenv('NUM_CLASSES', '8')
    cfg = Config.fromfile(path)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert default[loader].dataset.data_root == 'data/intel_scenes'
        assert cfg[loader].dataset.data_root == '/data/my_scenes'
        assert cfg[loader].dataset.num_classes == 8
    assert set(_num_classes(default)) == {6}
    found = _num_classes(cfg)
    assert set(found) == {8} and len(found) >= 4
    assert cfg.model.head.num_classes == 8
    if cfg.model.type == 'JointLearningClassifier':
        # The teacher's config reads the same variables.
        teacher = Config.fromfile(cfg.model.teacher.cfg_path)
        assert set(_num_classes(teacher)) == {8}
        assert teacher.train_dataloader.dataset.data_root == \
            '/data/my_scenes'


SCENE_CONFIGS = [n for n in CONFIGS if 'scenes' in n or 'mit67' in n]


@pytest.mark.parametrize('name', SCENE_CONFIGS)
def test_scene_epochs_draw_at_least_4096_images(name):
    """The size rule (README): small sets are drawn several times an epoch,
    so their schedules are those of the full-size configs."""
    sampler = _cfg(name).train_dataloader.sampler
    # TransferSetSampler: MinLengthSampler's epochs, at a set ratio.
    assert sampler.type in ('MinLengthSampler', 'TransferSetSampler')
    assert sampler.min_length == 4096
    if '10pct' in name:
        full = _cfg(name.replace('_intel_scenes-10pct', '_intel_scenes'))
        for key in ('param_scheduler', 'train_cfg', 'default_hooks'):
            assert _cfg(name)[key] == full[key], key


def test_the_demo_draws_one_pass_per_epoch():
    for name in CONFIGS:
        if 'uci_digits' in name:
            assert _cfg(name).train_dataloader.sampler.min_length == 0, name


@pytest.mark.parametrize('name', TEACHERS)
def test_photo_teachers_start_from_a_linear_probe(name):
    """LP-FT with the pretrained BatchNorm statistics where it was measured
    to pay (docs/small_data.md): the photo recipe; the CIFAR-10 teachers
    keep their recorded recipes, the demo's digits the old one."""
    cfg = _cfg(name)
    hooks = [h for h in cfg.get('custom_hooks', [])
             if h['type'] == 'LinearProbeHook']
    if 'cifar10' in name:
        assert not hooks
    elif 'uci_digits' in name:  # measured not to learn the digits with it
        assert hooks == [dict(type='LinearProbeHook', init_head=False)]
        assert cfg.model.backbone.norm_eval is False
    else:
        assert hooks == [dict(type='LinearProbeHook')]
        assert cfg.model.backbone.norm_eval is True
    # Kept statistics bound no step: the photo recipe clips gradients.
    if 'cifar10' in name:
        assert 'clip_grad' not in cfg.optim_wrapper
    elif 'uci_digits' in name:
        assert cfg.optim_wrapper.clip_grad is None
    else:
        assert cfg.optim_wrapper.clip_grad == dict(max_norm=1.0)


def test_only_joint_students_see_the_unlabelled_images():
    """Stage 1 and the student alone train on labels only; the scene
    joint students distil on <data_root>/unlabeled/ as well."""
    for name in CONFIGS:
        dataset = _cfg(name).train_dataloader.dataset
        if name.startswith('joint_') and 'intel_scenes' in name:
            assert dataset.unlabeled_prefix == 'unlabeled', name
        elif not name.startswith('joint_'):
            assert 'unlabeled_prefix' not in dataset, name
