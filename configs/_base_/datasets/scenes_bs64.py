# Scene photos (class folders, MIT Indoor-67, Intel scenes): each image is
# decoded once, resized (shorter side) and centre-cropped to a 128 px square
# kept in memory -- the teacher's input size -- so that any photo size
# stacks into one batch. Dataset bases (intel_scenes_bs64.py, mit67_bs64.py)
# add the dataset itself, its root and its class count.
_base_ = ['./cpu_dataloaders.py']

image_size = 128

# Students: random-resized crops + flips drawn on the batch (the views a
# teacher cache stores) at 96 px, the scene student's input; ImageNet
# statistics. Teachers carry their own data_preprocessor in their model,
# which resizes a student's view back to the stored size in stage 2, as
# the cache tool does.
data_preprocessor = dict(
    type='RandomViewClsDataPreprocessor',
    size=96,
    view=dict(type='ResizedCrop', scale=(0.25, 1.0)),
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False)

# The teacher's stage-1 augmentation, per sample (the same crop scale).
train_pipeline = [
    dict(type='RandomResizedCrop', scale=image_size, crop_ratio_range=(
        0.25, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

# Small sets: an epoch draws at least 4,096 images (a smaller set several
# times, in one shuffle), so that the recipes' epochs are a number of
# optimiser steps on any set size; sets of 4,096 images or more train one
# pass per epoch.
train_dataloader = dict(
    batch_size=64,
    sampler=dict(type='MinLengthSampler', min_length=4096),
    dataset=dict(image_size=image_size, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    dataset=dict(image_size=image_size, test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
