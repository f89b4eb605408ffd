import json
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook

from mmcompact.apis import linear_probe
from mmcompact.engine import LinearProbeHook

from ..conftest import tiny_runner

LINEAR_HEAD = dict(type='LinearClsHead')


class RecordHead(Hook):
    """Keeps ``head.fc`` before and after the probe hook, and the probe."""

    def __init__(self, priority):
        self.priority = priority
        self.weights = None

    def before_train(self, runner):
        model = runner.model
        self.weights = model.head.fc.weight.detach().clone()
        if self.priority == 'LOW':  # after the probe hook: fit it again
            self.probe = linear_probe(model, runner.train_dataloader.dataset,
                                      runner.val_dataloader.dataset)


@pytest.mark.parametrize('init_head', [True, False])
def test_head_starts_from_the_probe(tmp_path, tiny_data, init_head):
    before, after = RecordHead('VERY_HIGH'), RecordHead('LOW')
    runner = tiny_runner(
        tmp_path, tiny_data, max_epochs=1, head=LINEAR_HEAD,
        custom_hooks=[dict(type='LinearProbeHook', init_head=init_head),
                      before, after])
    runner.train()
    probe = after.probe['probe']
    if init_head:
        torch.testing.assert_close(after.weights, probe.weight)
        assert not torch.allclose(before.weights, after.weights)
    else:
        torch.testing.assert_close(after.weights, before.weights)
    record = json.loads((tmp_path / 'linear_probe.json').read_text())
    assert record['accuracy'] == pytest.approx(after.probe['accuracy'])
    assert record['num_train'] == 12 and record['init_head'] is init_head
    assert runner.message_hub.get_info('linear_probe/accuracy/top1') == \
        pytest.approx(record['accuracy'])


def test_a_head_without_fc_is_refused(tmp_path, tiny_data):
    runner = tiny_runner(tmp_path, tiny_data, max_epochs=1,
                         custom_hooks=[dict(type='LinearProbeHook')])
    with pytest.raises(TypeError, match=r'has no linear head.fc \(its head: '
                       r'StackedLinearClsHead\); set init_head=False'):
        runner.train()


def test_a_resumed_run_keeps_its_head():
    # Touches nothing but runner.iter: a model access would fail here.
    LinearProbeHook().before_train(SimpleNamespace(iter=3))
