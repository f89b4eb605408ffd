# Baseline: the CifarVGG student of joint_fast_cifar10.py trained alone on
# the labels, same data and schedule (inherited from it); also the config
# for loading its joint-learning checkpoints.
#   python tools/train.py configs/compact_fast_cifar10.py --amp
_base_ = ['./joint_fast_cifar10.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    head={{_base_.model.head}},
)
