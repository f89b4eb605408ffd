# Small-data case, stage 2: the student of
# compact_vgg-s4-96px_1xb128_intel_scenes-10pct.py (data and
# schedule inherited) with the 10 % teacher's cached predictions:
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py --amp
#   python tools/cache_teacher.py configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes-10pct_cached.py --views 32 --amp
#   python tools/train.py configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes-10pct_cached.py --amp
_base_ = ['./compact_vgg-s4-96px_1xb128_intel_scenes-10pct.py']

model = dict(
    type='JointLearningClassifier',
    teacher=dict(
        cfg_path='{{fileDirname}}/'
        'teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py'),
    # Mostly soft targets: on scenes 0.1/0.9 beat 0.5/0.5 (docs/scenes.md).
    hard_loss_weight=0.1,
    distill_loss=dict(type='SoftTargetLoss', temperature=4.0,
                      loss_weight=0.9),
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes'
    '-10pct/teacher_cache_32v.npz')
