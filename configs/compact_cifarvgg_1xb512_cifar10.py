# The airbench-style CifarVGG student (fast recipe) trained alone: batch 512
# (~100 steps per epoch: wider batches keep a CPU's cores busier, lr scaled
# linearly from 0.1 at batch 128) and 15 epochs. The baseline of
# joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py.
#   python tools/train.py configs/compact_cifarvgg_1xb512_cifar10.py --amp
_base_ = [
    './_base_/models/cifar_vgg.py',
    './_base_/datasets/cifar10_bs128.py',
    './_base_/schedules/scratch_sgd_20e.py',
    './_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
data_preprocessor = _base_.batch_view_preprocessor
train_dataloader = dict(_base_.batch_view_loader, batch_size=512)
optim_wrapper = dict(optimizer=dict(lr=0.4))
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=15),
]
train_cfg = dict(max_epochs=15)
auto_scale_lr = dict(base_batch_size=512)
