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
# Evaluate at batch 64 too: at 256 the 96 px activations churn the allocator
# (tools/cache_teacher.py ran the same forward at 362 vs 578 img/s).
val_dataloader = dict(batch_size=64)
test_dataloader = dict(batch_size=64)
