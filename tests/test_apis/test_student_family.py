import pytest
from mmengine.config import Config

import mmcompact  # noqa: F401
from mmcompact.apis import (base_input_size, load_classifier, load_config,
                            model_complexity, scaled_student, student_family)

from ..conftest import REPO_ROOT

SCENES = f'{REPO_ROOT}/configs/compact_vgg-s4-96px_1xb128_intel_scenes.py'
RESNET20 = f'{REPO_ROOT}/configs/compact_resnet20_1xb128_cifar10.py'


def _member_model(override):
    cfg = load_config(SCENES)
    cfg.merge_from_dict(override)
    return cfg, load_classifier(cfg, None)


def test_width_one_is_the_config_student():
    cfg = Config.fromfile(SCENES).to_dict()
    override = scaled_student(cfg, 1.0)
    assert override == dict(model=dict(
        backbone=dict(widths=(24, 64, 128), stem_channels=24),
        head=dict(in_channels=128)))
    assert base_input_size(cfg) == 96


def test_family_widths_sizes_and_macs():
    cfg = Config.fromfile(SCENES).to_dict()
    family = student_family(cfg, widths=(0.5, 1.0, 2.0), input_sizes=(96,
                                                                       128))
    assert [m.name for m in family] == [
        'w0.5', 'w1', 'w2', 'w0.5-128px', 'w1-128px', 'w2-128px']
    macs = {}
    for member in family:
        widths = member.override['model']['backbone']['widths']
        assert all(w % 8 == 0 for w in widths)
        member_cfg, model = _member_model(member.override)
        assert member_cfg.data_preprocessor.size == member.input_size
        assert model.backbone.layers[-1].conv2.out_channels == widths[-1]
        assert model.head.fc.in_features == widths[-1]
        macs[member.name] = model_complexity(
            model, (member.input_size, member.input_size))[1]
    assert macs['w0.5'] < macs['w1'] < macs['w2']
    # MACs grow about as width**2 and size**2.
    assert 3 < macs['w2'] / macs['w1'] < 5
    assert 1.6 < macs['w1-128px'] / macs['w1'] < 1.9
    # Only another size changes the preprocessor, at the top level where
    # the config keeps it.
    assert 'data_preprocessor' not in family[1].override
    assert family[4].override['data_preprocessor'] == dict(size=128)


def test_other_students_and_widths_refused():
    with pytest.raises(ValueError, match="CifarVGG.*'CifarResNet'"):
        scaled_student(Config.fromfile(RESNET20).to_dict(), 1.0)
    with pytest.raises(ValueError, match='width must be > 0'):
        scaled_student(Config.fromfile(SCENES).to_dict(), 0)
