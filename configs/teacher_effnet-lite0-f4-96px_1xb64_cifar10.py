# Stage 1, fast variant: the teacher of teacher_effnet-lite0-96px_1xb64_cifar10.py
# with its stem and first three MBConv stages frozen (ImageNet weights kept,
# BN in eval mode). They hold 1.6 % of the parameters but run at the highest
# resolutions, where their backward pass costs most of a CPU training step
# (step times in docs/cifar10.md).
#   python tools/train.py configs/teacher_effnet-lite0-f4-96px_1xb64_cifar10.py --amp
_base_ = ['./teacher_effnet-lite0-96px_1xb64_cifar10.py']

model = dict(backbone=dict(frozen_stages=4))
