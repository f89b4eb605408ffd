# Stage 1 on MIT Indoor-67: the scene teacher recipe of
# teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py on another data set.
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_mit67.py --amp
_base_ = [
    './_base_/recipes/teacher_effnet-lite0-f4-128px.py',
    './_base_/datasets/mit67_bs64.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
