# Compact-student recipe (see compact_resnet20.py for its use): the
# airbench-style CifarVGG for 15 epochs at batch 512 -- wide batches keep a
# CPU's cores busier; the lr is scaled linearly from 0.1 at batch 128.
# Leaves set the batch: train_dataloader = dict(..., batch_size=512).
_base_ = [
    '../models/cifar_vgg.py',
    '../schedules/scratch_sgd_20e.py',
    '../default_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.4))
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=15),
]
train_cfg = dict(max_epochs=15)
auto_scale_lr = dict(base_batch_size=512)
