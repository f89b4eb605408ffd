# Intel Image Classification scenes (6 classes, 100x100 copy), or any
# class-folder data set <data_root>/{train,test}/<class>/<image>:
#   DATA_ROOT=/path/to/folders NUM_CLASSES=8 python tools/train.py CONFIG
# (mmengine substitutes the environment variables when it reads the config).
_base_ = ['./scenes_bs64.py']

data_root = '{{$DATA_ROOT:data/intel_scenes}}'
num_classes = {{'$NUM_CLASSES:6'}}

train_dataloader = dict(
    dataset=dict(
        type='InMemoryCustomDataset',
        data_root=data_root,
        data_prefix='train',
        num_classes=num_classes))
val_dataloader = dict(
    dataset=dict(
        type='InMemoryCustomDataset',
        data_root=data_root,
        data_prefix='test',
        # Labels are folder indices: test/ needs train/'s class folders.
        classes_from='train',
        num_classes=num_classes))
test_dataloader = val_dataloader
