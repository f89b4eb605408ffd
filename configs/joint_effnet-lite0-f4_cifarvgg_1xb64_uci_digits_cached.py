# Demo, stage 2: the student of compact_cifarvgg-16px_1xb64_uci_digits.py
# (its data, schedule and runtime, inherited) trained jointly on the labels
# and the cached soft targets of the stage-1 teacher, on the handwritten
# digits shipped in demo/uci_digits. Everything -- stage 1, the cache,
# stage 2 and a summary -- in one command:
#   python tools/compact.py configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py
# or step by step:
#   python tools/train.py configs/teacher_effnet-lite0-f4-48px_1xb64_uci_digits.py
#   python tools/cache_teacher.py configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py --views 4
#   python tools/train.py configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits_cached.py
_base_ = [
    './compact_cifarvgg-16px_1xb64_uci_digits.py',
    './_base_/models/joint_learning.py',
]

model = dict(
    _base_.joint_learning,
    teacher=dict(
        cfg_path='{{fileDirname}}/'
        'teacher_effnet-lite0-f4-48px_1xb64_uci_digits.py'),
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-48px_1xb64_uci_digits/'
    'teacher_cache_4v.npz')
# The teacher's accuracy on the validation set as stage 2 shows it the
# images (logged once, as teacher/accuracy/top1).
custom_hooks = [dict(type='TeacherEvalHook')]
