"""A tiny real mmengine ``Runner`` with the repo's default runtime.

Training draws random numbers as the repo's runs do: from numpy's global
generator (the pipeline's ``RandomFlip``), from torch's (the data
preprocessor's random crops, the head's dropout) and from the sampler's own
(shuffling, seeded with ``seed + epoch``).
"""
import copy
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner
from mmpretrain.registry import METRICS

import mmcompact  # noqa: F401

from ..conftest import REPO_ROOT, make_class_folders

CLASSES = ('a', 'b', 'c', 'd')
DEFAULT_RUNTIME = Config.fromfile(
    osp.join(REPO_ROOT, 'configs', '_base_', 'default_runtime.py'))


@METRICS.register_module(force=True)
class RisingScore(BaseMetric):
    """``score``: how many validations this metric has run (1, 2, ...).

    Every validation beats the previous one, so ``save_best='score'``
    replaces the best checkpoint each epoch.
    """

    def process(self, data_batch, data_samples) -> None:
        self.results.append(len(data_samples))

    def compute_metrics(self, results) -> dict:
        self.validations = getattr(self, 'validations', 0) + 1
        return dict(score=self.validations)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """Class folders of 4 classes x 3 smooth 40 px images."""
    return make_class_folders(tmp_path_factory.mktemp('engine_data'),
                              CLASSES, per_class=3)


def tiny_runner(work_dir, data_root, max_epochs=2, val_interval=1,
                hooks=None, head=None, runner_cls=Runner, **kwargs):
    """A ``Runner`` training a CIFAR ResNet-8 on ``data_root``.

    Args:
        work_dir (str): The runner's work dir.
        data_root (str): Class folders (:func:`tiny_data`).
        max_epochs (int): Epochs to train. Defaults to 2.
        val_interval (int, optional): Validate (accuracy and
            :class:`RisingScore`) every ``val_interval`` epochs and after
            the last; None: no validation. Defaults to 1.
        hooks (dict, optional): Merged into the default runtime's
            ``default_hooks``, hook by hook; None removes a hook.
        head (dict, optional): The head (``num_classes`` and
            ``in_channels`` set here). Defaults to a stacked head with
            dropout.
        runner_cls (type): ``Runner`` or a subclass. Defaults to Runner.
        **kwargs: More ``Runner`` arguments (``load_from``, ``resume``).

    Returns:
        Runner: The runner, not yet trained.
    """
    dataset = dict(type='InMemoryCustomDataset', data_root=data_root,
                   num_classes=len(CLASSES),
                   pipeline=[dict(type='RandomFlip', prob=0.5),
                             dict(type='PackInputs')])
    loader = dict(batch_size=4, num_workers=0,
                  collate_fn=dict(type='default_collate'))
    default_hooks = copy.deepcopy(DEFAULT_RUNTIME.default_hooks)
    for key, hook in (hooks or {}).items():
        if hook is None:
            default_hooks.pop(key)
        else:
            default_hooks[key] = dict(default_hooks.get(key, {}), **hook)
    train_cfg = dict(by_epoch=True, max_epochs=max_epochs)
    if val_interval is not None:
        train_cfg['val_interval'] = val_interval
        kwargs.update(
            val_dataloader=dict(
                loader, dataset=dict(dataset, pipeline=[
                    dict(type='PackInputs')]),
                sampler=dict(type='DefaultSampler', shuffle=False)),
            val_evaluator=[dict(type='Accuracy', topk=(1, )),
                           dict(type='RisingScore')],
            val_cfg=dict())
    return runner_cls(
        model=dict(
            type='ImageClassifier',
            data_preprocessor=dict(
                type='RandomViewClsDataPreprocessor', size=32,
                num_classes=len(CLASSES), mean=[127.0] * 3,
                std=[128.0] * 3,
                view=dict(type='PadCrop', crop_size=32, padding=4)),
            backbone=dict(type='CifarResNet', depth=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                head or dict(type='StackedLinearClsHead', mid_channels=[32],
                             dropout_rate=0.5),
                num_classes=len(CLASSES), in_channels=64)),
        work_dir=str(work_dir),
        # Unique per runner: runners of one name share a message hub and a
        # logger (mmengine's default name is the start time, in seconds).
        experiment_name=str(work_dir),
        train_dataloader=dict(
            loader, dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05,
                                          momentum=0.9)),
        default_scope='mmpretrain',
        default_hooks=default_hooks,
        randomness=DEFAULT_RUNTIME.randomness,
        **kwargs)
