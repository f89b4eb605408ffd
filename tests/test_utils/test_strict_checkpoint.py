import copy

import pytest
import torch
from mmpretrain.registry import MODELS

import mmcompact  # noqa: F401
from mmcompact.utils import load_checkpoint_strictly

from ..conftest import TOY_TEACHER, save_checkpoint


def _model(**head):
    cfg = copy.deepcopy(TOY_TEACHER)
    cfg['head'].update(head)
    return MODELS.build(cfg)


def test_a_fitting_checkpoint_loads_every_weight(teacher_ckpt):
    model = _model()
    checkpoint = load_checkpoint_strictly(model, teacher_ckpt)
    saved = torch.load(teacher_ckpt, weights_only=True)['state_dict']
    assert checkpoint['state_dict'].keys() == saved.keys()
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_another_network_or_class_count_is_refused(teacher_ckpt, tmp_path):
    with pytest.raises(ValueError, match=r'^Checkpoint ".*epoch_1\.pth" does '
                       r'not fit the model \(the checkpoint predicts 4 '
                       r'classes, the model config 6: it was trained on '
                       r'another class count\): 0 missing keys \[\], 0 '
                       r'unexpected keys \[\], 2 shape mismatches \[head\.'
                       r'layers\.1\.fc\.bias: checkpoint \(4,\) vs model '
                       r'\(6,\).*\]\. Train it first\.$'):
        load_checkpoint_strictly(_model(num_classes=6), teacher_ckpt,
                                 hint='Train it first.')
    vgg = dict(TOY_TEACHER,
               backbone=dict(type='CifarVGG', widths=(8, 16, 64)))
    other = save_checkpoint(vgg, tmp_path / 'vgg.pth')
    with pytest.raises(ValueError, match=r'^Teacher checkpoint ".*vgg\.pth" '
                       r'does not fit the teacher model: \d+ missing keys '
                       r'\[backbone\..*\], \d+ unexpected keys \[backbone\.'):
        load_checkpoint_strictly(_model(), other, 'teacher')


def test_an_unreadable_file_is_refused(tmp_path):
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint')
    # (?s): torch's message spans lines.
    with pytest.raises(ValueError, match=r'(?s)Cannot read checkpoint ".*notes'
                       r'\.pth" \(.*\)\. It is cut short, not a PyTorch '
                       'checkpoint'):
        load_checkpoint_strictly(_model(), str(text))
