# scratch_sgd_20e.py over 60 epochs, validating every 5.
_base_ = ['./scratch_sgd_20e.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=60,
         eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=60, val_interval=5)
