# Stage 1 for scenes: fine-tune the ImageNet EfficientNet-Lite0 at 128 px
# (frozen stem and first three stages, label smoothing 0.1).
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py --amp
# Any class folders <root>/{train,test}/<class>/*:
#   DATA_ROOT=<root> NUM_CLASSES=<n> python tools/train.py <this config> --amp
_base_ = [
    './_base_/recipes/teacher_effnet-lite0-f4-128px.py',
    './_base_/datasets/intel_scenes_bs64.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
