# Demo, stage 1: fine-tune the ImageNet EfficientNet-Lite0 (stem and first
# three MBConv stages frozen) on the shipped handwritten digits at 48 px.
# All stages and the summary in one command (see the joint config):
#   python tools/compact.py configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py
# this stage alone:
#   python tools/train.py configs/teacher_effnet-lite0-f4-48px_1xb64_uci_digits.py
_base_ = [
    './_base_/models/efficientnet_lite0_frozen4.py',
    './_base_/datasets/uci_digits_bs64.py',
    './_base_/schedules/finetune_sgd_3e.py',
    './_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=_base_.teacher_preprocessor,
    head=dict(num_classes={{_base_.num_classes}}))
# 19 steps an epoch: a 10-step warm-up instead of the base's 200.
param_scheduler = [
    dict(_base_.param_scheduler[0], end=10),
    _base_.param_scheduler[1],
]
default_hooks = dict(logger=dict(interval=10))
