# Baseline: the compact student of joint_cifar10.py trained alone on the
# labels, with exactly the same data and schedule (inherited from it).
# Also the student config for loading joint-learning checkpoints, e.g.
#   mmpretrain.apis.init_model('configs/compact_cifar10.py', 'epoch_20.pth')
#   python tools/train.py configs/compact_cifar10.py --amp
_base_ = ['./joint_cifar10.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    head={{_base_.model.head}},
)
