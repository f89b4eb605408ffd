# Stage 2 on CIFAR-10, for any student: joint_learning.py's losses with
# the fast 128 px EfficientNet-Lite0 teacher. Joint leaves:
#   _base_ = ['./compact_<student>_cifar10.py',
#             './_base_/models/joint_learning_cifar10.py']
#   model = dict(_base_.joint_learning_cifar10)
_base_ = ['./joint_learning.py']

joint_learning_cifar10 = dict(
    _base_.joint_learning,
    teacher=dict(
        cfg_path='{{fileDirname}}/../../'
        'teacher_effnet-lite0-f4-128px_1xb64_cifar10.py'))
