# finetune_sgd_3e.py for 6 epochs, with a 100-step warm-up (scene sets have
# ~140 steps per epoch at batch 64).
_base_ = ['./finetune_sgd_3e.py']

param_scheduler = [
    dict(_base_.param_scheduler[0], end=100),
    dict(_base_.param_scheduler[1], end=6),
]
train_cfg = dict(max_epochs=6)
