# Small-data case: the scene teacher fine-tuned on a fixed 10 % of the Intel
# scenes training images per class (874 images, ~146 per class; the list in
# _base_/datasets/splits/), 20 epochs so that it takes ~270 steps.
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py --amp
_base_ = ['./teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py']

train_dataloader = dict(
    dataset=dict(
        ann_file='{{fileDirname}}/_base_/datasets/splits/'
        'intel_scenes_train_10pct.txt',
        metainfo=dict(classes=('buildings', 'forest', 'glacier', 'mountain',
                               'sea', 'street'))))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=30),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=20,
         eta_min=0.0, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=20, val_interval=5)
