# Stage 1 with mmpretrain's model-zoo ImageNet ResNet-50 at 224 px. Needs
# internet for the checkpoint URL, and a GPU to finish in reasonable time.
_base_ = [
    './_base_/recipes/teacher_resnet50-224px.py',
    './_base_/datasets/cifar10_bs128.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
train_dataloader = dict(batch_size=64)
