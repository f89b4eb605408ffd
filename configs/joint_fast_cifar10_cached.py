# joint_fast_cifar10.py with cached teacher predictions (see
# joint_cifar10_cached.py). Build the cache first:
#   python tools/cache_teacher.py configs/joint_fast_cifar10.py --views 4 --amp
#   python tools/train.py configs/joint_fast_cifar10_cached.py --amp
_base_ = ['./joint_fast_cifar10.py']

teacher_cache = 'work_dirs/teacher_fast_cifar10/teacher_cache_4v.npz'
model = dict(teacher_cache=teacher_cache)
train_dataloader = dict(
    dataset=dict(pipeline=[
        # The view is applied by the batch crop of the data_preprocessor.
        dict(type='ReplayTeacherView', cache_file=teacher_cache,
             apply_view=False),
        dict(type='PackInputs',
             algorithm_keys=['teacher_logits', 'teacher_view']),
    ]))
