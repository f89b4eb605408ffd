# scratch_sgd_20e.py over 60 epochs, validating every 5.
_base_ = ['./scratch_sgd_20e.py']

param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=60),
]
train_cfg = dict(max_epochs=60, val_interval=5)
