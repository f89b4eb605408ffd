# mmpretrain's ResNet-50 with its model-zoo ImageNet weights, at their
# 224 px input, for users with internet access (the checkpoint is fetched
# by URL).
_base_ = ['mmpretrain::_base_/models/resnet50.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone.')),
    head=dict(topk=(1, )),
    # The normalisation the weights were trained with.
    data_preprocessor=dict(
        type='RandomViewClsDataPreprocessor',
        size=224,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]))
