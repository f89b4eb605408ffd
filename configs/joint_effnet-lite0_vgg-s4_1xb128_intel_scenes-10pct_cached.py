# Small-data case, stage 2: the student of
# compact_vgg-s4-96px_1xb128_intel_scenes-10pct.py (data and
# schedule inherited) with the 10 % teacher's cached predictions:
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py --amp
#   python tools/cache_teacher.py configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes-10pct_cached.py --views 32 --amp
#   python tools/train.py configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes-10pct_cached.py --amp
_base_ = [
    './compact_vgg-s4-96px_1xb128_intel_scenes-10pct.py',
    './_base_/models/joint_learning.py',
]

model = dict(
    _base_.joint_learning_soft,
    teacher=dict(
        cfg_path='{{fileDirname}}/'
        'teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py'),
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes'
    '-10pct/teacher_cache_32v.npz')
# Plus <data_root>/unlabeled/ when it exists (soft targets only).
train_dataloader = _base_.transfer_set
