# The design card's stage-2 command, `python tools/train.py
# configs/joint_cifar10.py`: the ResNet-20 joint-learning config under its
# short name.
_base_ = ['./joint_effnet-lite0_resnet20_1xb128_cifar10.py']
