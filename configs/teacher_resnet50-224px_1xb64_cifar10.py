# Stage 1 with mmpretrain's model-zoo ImageNet ResNet-50 at 224 px. Needs
# internet for the checkpoint URL, and a GPU to finish in reasonable time.
_base_ = [
    './_base_/models/resnet50.py',
    './_base_/datasets/cifar10_bs128.py',
    './_base_/schedules/finetune_sgd_3e.py',
    './_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=dict(type='RandomViewClsDataPreprocessor', size=224),
    head=dict(num_classes={{_base_.num_classes}}))
train_dataloader = dict(batch_size=64)
