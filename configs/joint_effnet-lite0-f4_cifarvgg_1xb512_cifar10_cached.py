# joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py with cached teacher
# predictions (see joint_effnet-lite0_resnet20_1xb128_cifar10_cached.py):
#   python tools/cache_teacher.py configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10_cached.py --views 8 --amp
#   python tools/train.py configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10_cached.py --amp
_base_ = ['./joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py']

model = dict(
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-128px_1xb64_cifar10/'
    'teacher_cache_8v.npz')
