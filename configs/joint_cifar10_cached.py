# Stage 2 with cached teacher predictions: the teacher is not run during
# training; each sample replays one of its stored crop/flip views with the
# teacher's logits for that view. Build the cache first:
#   python tools/cache_teacher.py configs/joint_cifar10.py --views 8 --amp
#   python tools/train.py configs/joint_cifar10_cached.py --amp
_base_ = ['./joint_cifar10.py']

teacher_cache = 'work_dirs/teacher_cifar10/teacher_cache_8v.npz'
model = dict(teacher_cache=teacher_cache)
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='ReplayTeacherView', cache_file=teacher_cache),
        dict(type='PackInputs', algorithm_keys=['teacher_logits']),
    ]))
