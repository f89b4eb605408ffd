# The compact CIFAR ResNet-20 trained alone on the labels: the baseline of
# joint_effnet-lite0_resnet20_1xb128_cifar10.py (which inherits this data
# and schedule), and the config that loads its checkpoints, e.g.
#   mmpretrain.apis.init_model(THIS_CONFIG, 'epoch_20.pth')
#   python tools/train.py configs/compact_resnet20_1xb128_cifar10.py --amp
_base_ = [
    './_base_/models/cifar_resnet20.py',
    './_base_/datasets/cifar10_bs128.py',
    './_base_/schedules/scratch_sgd_20e.py',
    './_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
data_preprocessor = _base_.batch_view_preprocessor
train_dataloader = _base_.batch_view_loader
