# Demo: the compact student -- the airbench-style CifarVGG at 16/64/64
# channels and 16 px input (2.1 M MACs, 0.13 M parameters; the 48 px
# teacher has 22.8 M and 3.38 M) -- trained alone on the shipped handwritten
# digits: the baseline of joint learning, and the config that loads the
# joint student's checkpoints.
#   python tools/train.py configs/compact_cifarvgg-16px_1xb64_uci_digits.py
_base_ = [
    './_base_/models/cifar_vgg.py',
    './_base_/datasets/uci_digits_bs64.py',
    './_base_/schedules/scratch_sgd_20e.py',
    './_base_/default_runtime.py',
]
model = dict(
    backbone=dict(widths=(16, 64, 64)),
    head=dict(num_classes={{_base_.num_classes}}, in_channels=64))
# The source images are 8x8: 16 px keeps all they hold.
data_preprocessor = dict(size=16)
# The pipeline only packs the in-memory images: views are drawn on the
# stacked batch by the data_preprocessor.
train_dataloader = _base_.batch_view_loader
# The base's lr 0.1 is for batch 128.
optim_wrapper = dict(optimizer=dict(lr=0.05))
auto_scale_lr = dict(base_batch_size=64)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=15),
]
train_cfg = dict(max_epochs=15)
default_hooks = dict(logger=dict(interval=10))
