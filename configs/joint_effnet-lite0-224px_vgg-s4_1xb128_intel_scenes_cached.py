# Stage 2 from the 224 px teacher, with its cached predictions:
#   python tools/train.py configs/teacher_effnet-lite0-f4-224px_1xb64_intel_scenes.py --amp
#   python tools/cache_teacher.py configs/joint_effnet-lite0-224px_vgg-s4_1xb128_intel_scenes_cached.py --views 16 --amp
#   python tools/train.py configs/joint_effnet-lite0-224px_vgg-s4_1xb128_intel_scenes_cached.py --amp
# or all of it: python tools/compact.py <this config> --amp
_base_ = ['./joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py']

model = dict(
    teacher=dict(
        cfg_path='{{fileDirname}}/'
        'teacher_effnet-lite0-f4-224px_1xb64_intel_scenes.py'),
    teacher_cache='work_dirs/teacher_effnet-lite0-f4-224px_1xb64_intel_scenes/'
    'teacher_cache_16v.npz')
