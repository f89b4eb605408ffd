# Stage-1 recipe, for any data set: fine-tune the ImageNet EfficientNet-Lite0
# (all stages) for 3 epochs on batches resized to 96 px. A leaf config
# adds a dataset base and takes its class count:
#   _base_ = ['./_base_/recipes/teacher_effnet-lite0-96px.py',
#             './_base_/datasets/<data>.py']
#   model = dict(head=dict(num_classes=_base_.num_classes))
_base_ = [
    '../models/efficientnet_lite0.py',
    '../schedules/finetune_sgd_3e.py',
    '../default_runtime.py',
]
model = dict(data_preprocessor=dict(size=96))
