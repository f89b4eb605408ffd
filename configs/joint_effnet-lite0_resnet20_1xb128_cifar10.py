# Stage 2: the compact ResNet-20 of compact_resnet20_1xb128_cifar10.py (its
# data, schedule and runtime, inherited) trained jointly on the labels and
# the fine-tuned teacher's soft targets (Li et al., ICASSP 2016). The
# teacher is the model of its stage-1 config (mmrazor's `cfg_path`, named
# in _base_/models/joint_learning_cifar10.py), with the weights from that
# config's work dir.
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_cifar10.py --amp
#   python tools/train.py configs/joint_effnet-lite0_resnet20_1xb128_cifar10.py --amp
_base_ = [
    './compact_resnet20_1xb128_cifar10.py',
    './_base_/models/joint_learning_cifar10.py',
]

model = dict(_base_.joint_learning_cifar10)
