# Stage 1: fine-tune the ImageNet EfficientNet-Lite0 on CIFAR-10 (teacher).
#   python tools/train.py configs/teacher_cifar10.py --amp
_base_ = [
    './_base_/models/efficientnet_lite0_cifar10.py',
    './_base_/datasets/cifar10_bs128.py',
    './_base_/schedules/cifar10_finetune_3e.py',
    './_base_/default_runtime.py',
]
# 96 px EfficientNet-Lite0 trains at ~80 img/s on 2 CPU cores (bf16).
train_dataloader = dict(batch_size=64)
