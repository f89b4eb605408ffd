# Demo, stage 1: fine-tune the ImageNet EfficientNet-Lite0 (stem and first
# three MBConv stages frozen) on the shipped handwritten digits: the scene
# teacher's recipe at the digits' stored size, 48 px, for 3 epochs.
# All stages and the summary in one command (see the joint config):
#   python tools/compact.py configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py
# this stage alone:
#   python tools/train.py configs/teacher_effnet-lite0-f4-48px_1xb64_uci_digits.py
_base_ = [
    './_base_/recipes/teacher_effnet-lite0-f4-128px.py',
    './_base_/datasets/uci_digits_bs64.py',
]
# The 8x8 grey digits are far from ImageNet: kept BatchNorm statistics or
# the probe's head stopped stage 1 from learning them in an epoch before
# the photo recipe clipped its gradients (docs/small_data.md), so this
# teacher trains as recorded in docs/demo.md, as before LP-FT and without
# clipping; the probe stays as its reference.
model = dict(
    data_preprocessor=dict(size=_base_.image_size),
    backbone=dict(norm_eval=False),
    head=dict(num_classes=_base_.num_classes))
custom_hooks = [
    _base_.custom_hooks[0],
    dict(type='LinearProbeHook', init_head=False),
]
# 19 steps an epoch: a 10-step warm-up instead of the recipe's 100.
param_scheduler = [
    dict(_base_.param_scheduler[0], end=10),
    dict(_base_.param_scheduler[1], end=3),
]
train_cfg = dict(max_epochs=3)
optim_wrapper = dict(clip_grad=None)
default_hooks = dict(logger=dict(interval=10))
