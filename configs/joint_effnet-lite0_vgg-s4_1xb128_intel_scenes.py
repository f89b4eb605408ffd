# Stage 2 for scenes: the compact student of
# compact_vgg-s4-96px_1xb128_intel_scenes.py (its data, schedule
# and runtime, inherited), trained jointly on the labels and the soft
# targets of the stage-1 teacher, taken from its config (mmrazor's
# `cfg_path`; checkpoint from that config's work dir).
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py --amp
#   python tools/train.py configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes.py --amp
# This config runs the teacher online on every batch; the *_cached.py config
# replays stored predictions instead.
_base_ = [
    './compact_vgg-s4-96px_1xb128_intel_scenes.py',
    './_base_/models/joint_learning.py',
]

# With <data_root>/unlabeled/, its images join the training set with soft
# targets only (InMemoryCustomDataset's unlabeled_prefix).
train_dataloader = _base_.transfer_set

model = dict(
    _base_.joint_learning_soft,
    teacher=dict(
        cfg_path='{{fileDirname}}/'
        'teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py'))
