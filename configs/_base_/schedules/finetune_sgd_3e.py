# Fine-tuning an ImageNet network for 3 epochs: the SGD of
# scratch_sgd_20e.py at a lower lr and weight decay, a short warm-up by
# iteration (the new head starts random), then cosine decay to 0.
_base_ = ['./scratch_sgd_20e.py']

optim_wrapper = dict(optimizer=dict(lr=0.02, weight_decay=5e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=200),
    dict(_base_.param_scheduler[1], begin=0, end=3),
]
train_cfg = dict(max_epochs=3)
auto_scale_lr = dict(base_batch_size=64)
