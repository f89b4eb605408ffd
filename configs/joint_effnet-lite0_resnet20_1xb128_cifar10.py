# Stage 2: the compact ResNet-20 of compact_resnet20_1xb128_cifar10.py (its
# data, schedule and runtime, inherited) trained jointly on the labels and
# the fine-tuned teacher's soft targets (Li et al., ICASSP 2016). The
# teacher is the model of its stage-1 config (mmrazor's `cfg_path`), with
# the weights from that config's work dir.
#   python tools/train.py configs/teacher_effnet-lite0-96px_1xb64_cifar10.py --amp
#   python tools/train.py configs/joint_effnet-lite0_resnet20_1xb128_cifar10.py --amp
_base_ = ['./compact_resnet20_1xb128_cifar10.py']

model = dict(
    type='JointLearningClassifier',
    teacher=dict(
        cfg_path='{{fileDirname}}/teacher_effnet-lite0-96px_1xb64_cifar10.py'),
    # Hard-label loss x0.5 + soft-target loss x0.5 (T=4; T^2 keeps both on
    # one gradient scale) rather than the common 0.1/0.9: with this
    # teacher it was the better of the two (docs/cifar10.md).
    hard_loss_weight=0.5,
    distill_loss=dict(type='SoftTargetLoss', temperature=4.0,
                      loss_weight=0.5),
)
