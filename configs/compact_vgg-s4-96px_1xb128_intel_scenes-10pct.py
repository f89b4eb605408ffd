# The scene student trained alone on the fixed 10 % subset (see
# teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py), 300 epochs
# (~2,100 steps).
#   python tools/train.py configs/compact_vgg-s4-96px_1xb128_intel_scenes-10pct.py --amp
_base_ = ['./compact_vgg-s4-96px_1xb128_intel_scenes.py']

train_dataloader = dict(
    dataset=dict(
        ann_file='{{fileDirname}}/_base_/datasets/splits/'
        'intel_scenes_train_10pct.txt',
        metainfo=dict(classes=('buildings', 'forest', 'glacier', 'mountain',
                               'sea', 'street'))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=4,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=4, end=300,
         eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=300, val_interval=25)
# A checkpoint every 25 epochs, not every one of the 300 short epochs.
default_hooks = dict(checkpoint=dict(interval=25))
