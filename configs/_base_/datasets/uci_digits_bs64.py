# The demo set shipped in the repository: UCI handwritten digits, 8x8 grey
# images of 10 classes in class folders demo/uci_digits/{train,test}/<digit>
# (1,201 / 596 images; source and licence in demo/uci_digits/README.md).
# Read like the scene sets: each image is decoded once and stored in
# memory as an `image_size` square -- the teacher's input size -- so that
# views are boxes of one image size (RandomViewClsDataPreprocessor).
data_root = 'demo/uci_digits'
num_classes = 10
image_size = 48

# Students: random-resized crops drawn on the batch (the views a teacher
# cache stores), resized to the student's input size (leaf configs set
# `size`). No flips: a mirrored digit is another symbol, or none.
data_preprocessor = dict(
    type='RandomViewClsDataPreprocessor',
    size=image_size,
    view=dict(type='ResizedCrop', scale=(0.5, 1.0)),
    flip_prob=0.0,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False)

# The teacher's stage-1 augmentation, per sample (the same crop scale).
train_pipeline = [
    dict(type='RandomResizedCrop', scale=image_size,
         crop_ratio_range=(0.5, 1.0)),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    # No worker process: the images are in memory and the model uses the
    # cores.
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        type='InMemoryCustomDataset',
        data_root=data_root,
        data_prefix='train',
        num_classes=num_classes,
        image_size=image_size,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(
        type='InMemoryCustomDataset',
        data_root=data_root,
        data_prefix='test',
        num_classes=num_classes,
        image_size=image_size,
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
