# Stage 2, fast recipe: the CifarVGG student of
# compact_cifarvgg_1xb512_cifar10.py (data, schedule, inherited) with the
# fast teacher of teacher_effnet-lite0-f4-128px_1xb64_cifar10.py. This config
# runs the teacher online; the *_cached.py one replays stored predictions:
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_cifar10.py --amp
#   python tools/cache_teacher.py configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10_cached.py --views 8 --amp
#   python tools/train.py configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10_cached.py --amp
_base_ = [
    './compact_cifarvgg_1xb512_cifar10.py',
    './_base_/models/joint_learning_cifar10.py',
]

model = dict(_base_.joint_learning_cifar10)
