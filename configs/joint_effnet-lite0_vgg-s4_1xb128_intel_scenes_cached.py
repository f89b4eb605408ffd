# Stage 2 with cached teacher predictions: each sample replays one of its
# stored views (box + flip) with the teacher's logits for that view; the
# teacher is not run during training. Build the cache first:
#   python tools/cache_teacher.py configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes.py --views 16 --amp
#   python tools/train.py configs/joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py --amp
_base_ = ['./joint_effnet-lite0_vgg-s4_1xb128_intel_scenes.py']

model = dict(
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes/'
    'teacher_cache_16v.npz')
