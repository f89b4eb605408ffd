# finetune_sgd_3e.py for 6 epochs, with a 100-step warm-up (scene sets have
# ~140 steps per epoch at batch 64).
_base_ = ['./finetune_sgd_3e.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=6,
         eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=6)
