# Stage 1 on MIT Indoor-67: the scene teacher recipe of
# teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py on another data set.
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_mit67.py --amp
_base_ = [
    './_base_/models/efficientnet_lite0_frozen4.py',
    './_base_/datasets/mit67_bs64.py',
    './_base_/schedules/finetune_sgd_6e.py',
    './_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=_base_.teacher_preprocessor,
    head=dict(num_classes={{_base_.num_classes}}))
