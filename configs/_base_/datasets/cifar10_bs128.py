# CIFAR-10 at 32x32, shared by the teacher (which upsamples the batch in
# its data_preprocessor) and the compact student.
#
# Switching the data source is ONE line (`dataset_type` below):
#   'CIFAR10Folder': class folders <data_root>/{train,test}/<class>/*.jpg,
#                    decoded once and held in memory (e.g. the JPEG copy:
#                    `ln -s /path/to/shared/data/cifar10 data/cifar10`);
#   'CIFAR10':       mmpretrain's dataset, downloads the official batches
#                    into data_root (needs internet).
_base_ = ['./cpu_dataloaders.py']

dataset_type = 'CIFAR10Folder'
data_root = 'data/cifar10'
num_classes = 10

# Students: RGB mean/std of the CIFAR-10 training set (both datasets yield
# RGB) and the pad-and-crop and flip, drawn on the stacked batch (one
# batched op instead of a crop per sample; the views a teacher cache
# stores). Teachers carry their own data_preprocessor in their model.
# Student leaves pack whole images with
#   train_dataloader = dict(_base_.batch_view_loader, batch_size=...)
data_preprocessor = dict(
    type='RandomViewClsDataPreprocessor',
    size=32,
    view=dict(type='PadCrop', crop_size=32, padding=4),
    num_classes=num_classes,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)

# The teachers' augmentation: per sample, before their data preprocessor
# resizes the batch to their input size.
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

# The keys both splits share; each split adds its name and pipeline.
dataset = dict(type=dataset_type, data_root=data_root)
train_dataloader = dict(
    batch_size=128,
    dataset=dict(dataset, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    dataset=dict(dataset, split='test', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
