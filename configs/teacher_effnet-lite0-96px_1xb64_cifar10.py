# Stage 1: fine-tune the ImageNet EfficientNet-Lite0 on CIFAR-10 (teacher).
#   python tools/train.py configs/teacher_effnet-lite0-96px_1xb64_cifar10.py --amp
# CIFAR batches arrive at 32x32 and are upsampled to 96 px by the model's
# data_preprocessor, on the batch; stage 2 feeds the teacher the student's
# view through the same resize.
_base_ = [
    './_base_/recipes/teacher_effnet-lite0-96px.py',
    './_base_/datasets/cifar10_bs128.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
# Batch 64: the batch the fine-tuning schedule's lr is set for
# (auto_scale_lr base 64); throughput is recorded in docs/cifar10.md.
train_dataloader = dict(batch_size=64)
# Evaluate at batch 64 too: at 256 the 96 px activations churn the memory
# allocator and the forward gets slower (tools/cache_teacher.py's default
# batch is 64 for the same reason).
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
