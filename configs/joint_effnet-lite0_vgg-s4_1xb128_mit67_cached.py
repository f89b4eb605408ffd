# Stage 2 on MIT Indoor-67 with cached teacher predictions (see
# joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py):
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_mit67.py --amp
#   python tools/cache_teacher.py configs/joint_effnet-lite0_vgg-s4_1xb128_mit67_cached.py --views 16 --amp
#   python tools/train.py configs/joint_effnet-lite0_vgg-s4_1xb128_mit67_cached.py --amp
_base_ = [
    './compact_vgg-s4-96px_1xb128_mit67.py',
    './_base_/models/joint_learning.py',
]

model = dict(
    _base_.joint_learning_soft,
    teacher=dict(
        cfg_path='{{fileDirname}}/'
        'teacher_effnet-lite0-f4-128px_1xb64_mit67.py'),
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-128px_1xb64_mit67/'
    'teacher_cache_16v.npz')
