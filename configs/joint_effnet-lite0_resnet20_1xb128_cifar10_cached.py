# Stage 2 with cached teacher predictions: each sample replays one of its
# stored crop/flip views with the teacher's logits for that view, cut out of
# the batch by the data_preprocessor; the teacher is not run. The CifarVGG
# cached config replays the same views of the same teacher: one cache
# serves both. First:
#   python tools/cache_teacher.py configs/joint_effnet-lite0_resnet20_1xb128_cifar10_cached.py --views 8 --amp
#   python tools/train.py configs/joint_effnet-lite0_resnet20_1xb128_cifar10_cached.py --amp
_base_ = ['./joint_effnet-lite0_resnet20_1xb128_cifar10.py']

model = dict(
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-128px_1xb64_cifar10/'
    'teacher_cache_8v.npz')
