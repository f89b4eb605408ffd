# airbench-style CifarVGG (0.50 M parameters, 33 M MACs at 32 px), with
# smoothed hard labels as in airbench's recipe (0.2).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CifarVGG', widths=(32, 128, 128)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.2, loss_weight=1.0),
        topk=(1, )),
)
