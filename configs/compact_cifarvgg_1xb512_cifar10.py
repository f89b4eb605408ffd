# The airbench-style CifarVGG student (fast recipe) trained alone: batch 512
# (~100 steps per epoch) and 15 epochs. The baseline of
# joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py.
#   python tools/train.py configs/compact_cifarvgg_1xb512_cifar10.py --amp
_base_ = [
    './_base_/recipes/compact_cifarvgg.py',
    './_base_/datasets/cifar10_bs128.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
train_dataloader = dict(_base_.batch_view_loader, batch_size=512)
