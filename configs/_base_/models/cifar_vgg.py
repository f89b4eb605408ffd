# airbench-style CifarVGG (0.50 M parameters, 33 M MACs at 32 px), with
# smoothed hard labels as in airbench's recipe (0.2).
_base_ = ['./linear_classifier.py']

model = dict(
    backbone=dict(type='CifarVGG', widths=(32, 128, 128)),
    head=dict(
        in_channels=128,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.2)))
