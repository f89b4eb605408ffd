# Stage-1 recipe (see teacher_effnet-lite0-96px.py for its use): fine-tune
# mmpretrain's model-zoo ImageNet ResNet-50 at 224 px for 3 epochs.
_base_ = [
    '../models/resnet50.py',
    '../schedules/finetune_sgd_3e.py',
    '../default_runtime.py',
]
