import os

import pytest
from mmengine.config import Config

import mmcompact  # noqa: F401
from mmcompact.apis import config_diff, student_config, write_budget_configs

from ..conftest import REPO_ROOT

JOINT = (f'{REPO_ROOT}/configs/'
         'joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py')
COMPACT = f'{REPO_ROOT}/configs/compact_vgg-s4-96px_1xb128_intel_scenes.py'
OVERRIDE = dict(
    model=dict(backbone=dict(widths=(32, 96, 192), stem_channels=32),
               head=dict(in_channels=192)),
    data_preprocessor=dict(size=128))


def test_config_diff():
    old = dict(a=1, b=dict(c=2, d=[1, 2]), e='x')
    new = dict(a=1, b=dict(c=3, d=[1, 2], f=4), e='x', g=[5])
    assert config_diff(new, old) == dict(b=dict(c=3, f=4), g=[5])
    # Lists are replaced whole by a merge, so taken whole.
    assert config_diff(dict(d=[1, 3]), dict(d=[1, 2])) == dict(d=[1, 3])
    with pytest.raises(ValueError, match=r"b\. lacks \['d'\]"):
        config_diff(dict(b=dict(c=2)), dict(b=dict(c=2, d=1)))


def test_written_pair_is_the_member_plus_the_joint_settings(tmp_path):
    budget = dict(budget='MACs <= 30 M', member='w1.5-128px')
    compact, joint = write_budget_configs(JOINT, 'w1.5-128px', OVERRIDE,
                                          budget, str(tmp_path))
    assert os.path.basename(compact) == \
        'compact_vgg-s4-96px_1xb128_intel_scenes_w1.5-128px.py'
    assert os.path.basename(joint) == \
        'joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached_w1.5-128px.py'
    # The pair keeps the convention tools/compact.py relies on.
    assert student_config(joint) == compact

    expected = Config.fromfile(COMPACT)
    expected.merge_from_dict(dict(OVERRIDE, student_budget=budget))
    assert Config.fromfile(compact).to_dict() == expected.to_dict()

    original = Config.fromfile(JOINT)
    written = Config.fromfile(joint)
    assert written.model.type == 'JointLearningClassifier'
    assert written.model.backbone.widths == (32, 96, 192)
    assert written.data_preprocessor.size == 128
    assert os.path.normpath(written.model.teacher.cfg_path) == \
        original.model.teacher.cfg_path
    for key in ('teacher_cache', 'hard_loss_weight', 'distill_loss'):
        assert written.model[key] == original.model[key], key
    assert written.train_dataloader == original.train_dataloader
    assert written.student_budget == budget
    # The teacher config is referred to relative to the written file.
    assert '{{fileDirname}}/' in open(joint).read()

    with pytest.raises(FileExistsError, match='exists'):
        write_budget_configs(JOINT, 'w1.5-128px', OVERRIDE, budget,
                             str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(
        [os.path.basename(compact), os.path.basename(joint)])
