# Demo: the compact student -- the CIFAR-10 CifarVGG recipe at half the
# width (16/64/64 channels) and 16 px input (2.1 M MACs, 0.13 M parameters;
# the 48 px teacher has 22.8 M and 3.38 M) -- trained alone on the shipped
# handwritten digits: the baseline of joint learning, and the config that
# loads the joint student's checkpoints.
#   python tools/train.py configs/compact_cifarvgg-16px_1xb64_uci_digits.py
_base_ = [
    './_base_/recipes/compact_cifarvgg.py',
    './_base_/datasets/uci_digits_bs64.py',
]
model = dict(
    backbone=dict(widths=(16, 64, 64)),
    head=dict(num_classes=_base_.num_classes, in_channels=64))
# The pipeline only packs the in-memory images: views are drawn on the
# stacked batch by the data_preprocessor.
train_dataloader = _base_.batch_view_loader
# The recipe's lr is for batch 512: scaled linearly to 64.
optim_wrapper = dict(optimizer=dict(lr=0.05))
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(logger=dict(interval=10))
