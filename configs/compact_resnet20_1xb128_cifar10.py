# The compact CIFAR ResNet-20 trained alone on the labels: the baseline of
# joint_effnet-lite0_resnet20_1xb128_cifar10.py (which inherits this data
# and schedule), and the config that loads its checkpoints, e.g.
#   mmpretrain.apis.init_model(THIS_CONFIG, 'epoch_20.pth')
#   python tools/train.py configs/compact_resnet20_1xb128_cifar10.py --amp
_base_ = [
    './_base_/recipes/compact_resnet20.py',
    './_base_/datasets/cifar10_bs128.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
train_dataloader = _base_.batch_view_loader
