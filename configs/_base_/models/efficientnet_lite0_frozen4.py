# EfficientNet-Lite0 teacher for fine-tuning on a CPU: stem and first three
# MBConv stages frozen (frozen_stages=4: the high-resolution layers, 1.6 %
# of the parameters, whose backward pass costs most of a CPU step), label
# smoothing 0.1 on the new head.
_base_ = ['./efficientnet_lite0.py']

model = dict(
    backbone=dict(frozen_stages=4),
    head=dict(
        loss=dict(
            _delete_=True,
            type='LabelSmoothLoss',
            label_smooth_val=0.1,
            loss_weight=1.0)))
