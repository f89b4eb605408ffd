# Stage 1: fine-tune the ImageNet EfficientNet-Lite0 on CIFAR-10 (teacher).
#   python tools/train.py configs/teacher_effnet-lite0-96px_1xb64_cifar10.py --amp
_base_ = [
    './_base_/models/efficientnet_lite0.py',
    './_base_/datasets/cifar10_bs128.py',
    './_base_/schedules/finetune_sgd_3e.py',
    './_base_/default_runtime.py',
]
model = dict(
    # CIFAR batches arrive at 32x32 and are upsampled here, on the batch;
    # stage 2 feeds the teacher the student's view through the same resize.
    data_preprocessor=dict(type='RandomViewClsDataPreprocessor', size=96),
    head=dict(num_classes={{_base_.num_classes}}))
# 96 px EfficientNet-Lite0 trains at ~80 img/s on 2 CPU cores (bf16).
train_dataloader = dict(batch_size=64)
# Evaluate at batch 64 too: at 256 the 96 px activations churn the allocator
# (tools/cache_teacher.py ran the same forward at 362 vs 578 img/s).
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
