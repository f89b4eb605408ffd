# Stage 1 with mmpretrain's model-zoo ImageNet ResNet-50 at 224 px. Needs
# internet for the checkpoint URL, and a GPU to finish in reasonable time.
_base_ = [
    './_base_/models/resnet50_cifar10.py',
    './_base_/datasets/cifar10_bs128.py',
    './_base_/schedules/cifar10_finetune_3e.py',
    './_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=64)
