# Intel Image Classification scenes (6 classes, 100x100 copy), or any
# class-folder data set <data_root>/{train,test}/<class>/<image>:
#   DATA_ROOT=/path/to/folders NUM_CLASSES=8 python tools/train.py CONFIG
# (mmengine substitutes the environment variables when it reads the config).
_base_ = ['./scenes_bs64.py']

data_root = '{{$DATA_ROOT:data/intel_scenes}}'
num_classes = {{'$NUM_CLASSES:6'}}

# The keys both splits share; each split adds its folder.
dataset = dict(
    type='InMemoryCustomDataset', data_root=data_root,
    num_classes=num_classes)
train_dataloader = dict(dataset=dict(dataset, data_prefix='train'))
# Labels are folder indices: test/ needs train/'s class folders.
val_dataloader = dict(
    dataset=dict(dataset, data_prefix='test', classes_from='train'))
test_dataloader = val_dataloader

# Stage 2 also distils on unlabelled images, when <data_root>/unlabeled/
# exists (any image files, any depth; their folder names are not read):
# the joint leaves train on `train_dataloader = _base_.transfer_set`. The
# teacher and the student alone train on the labelled images only. An
# epoch keeps its length; unlabeled_ratio sets how many unlabelled images
# it draws per labelled one (None: the folders' ratio).
transfer_set = dict(
    dataset=dict(unlabeled_prefix='unlabeled'),
    sampler=dict(type='TransferSetSampler', unlabeled_ratio=None))

# A fixed 10 % of the training images per class (874 images, ~146 per
# class), the small-data case; leaves train on it with
# `train_dataloader = dict(dataset=_base_.train_10pct)`.
train_10pct = dict(
    ann_file='{{fileDirname}}/splits/intel_scenes_train_10pct.txt',
    metainfo=dict(classes=('buildings', 'forest', 'glacier', 'mountain',
                           'sea', 'street')))
