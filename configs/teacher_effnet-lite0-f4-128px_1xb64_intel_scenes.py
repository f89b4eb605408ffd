# Stage 1 for scenes: fine-tune the ImageNet EfficientNet-Lite0 at 128 px
# (frozen stem and first three stages, label smoothing 0.1).
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py --amp
# Any class folders <root>/{train,test}/<class>/*:
#   DATA_ROOT=<root> NUM_CLASSES=<n> python tools/train.py <this config> --amp
_base_ = [
    './_base_/models/efficientnet_lite0_frozen4.py',
    './_base_/datasets/intel_scenes_bs64.py',
    './_base_/schedules/finetune_sgd_6e.py',
    './_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=_base_.teacher_preprocessor,
    head=dict(num_classes={{_base_.num_classes}}))
