# The scene student trained alone on the fixed 10 % subset (see
# teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py), 300 epochs
# (~2,100 steps).
#   python tools/train.py configs/compact_vgg-s4-96px_1xb128_intel_scenes-10pct.py --amp
_base_ = ['./compact_vgg-s4-96px_1xb128_intel_scenes.py']

train_dataloader = dict(dataset=_base_.train_10pct)
# Warm-up over 4 epochs, then the base's cosine to epoch 300.
param_scheduler = [
    dict(_base_.param_scheduler[0], end=4),
    dict(_base_.param_scheduler[1], begin=4, end=300),
]
train_cfg = dict(max_epochs=300, val_interval=25)
# A checkpoint every 25 epochs, not every one of the 300 short epochs.
default_hooks = dict(checkpoint=dict(interval=25))
