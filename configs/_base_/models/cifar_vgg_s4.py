# Compact student for photos at 96 px: the CifarVGG network (airbench's
# shallow, wide VGG) behind a 4x4 stride-4 "patchify" stem, so that its
# three groups run on 24/12/6 px maps. 11.77 M MACs and 0.285 M parameters
# at 96 px with a 6-class head, under 1/10 of the 128 px EfficientNet-Lite0
# teacher's 129.8 M MACs. Dense convolutions rather than a MobileNetV2
# x0.35 of about the same MACs: depthwise convolutions use a CPU poorly, so
# the MobileNet trains much slower (measured in docs/scenes.md).
_base_ = ['./linear_classifier.py']

model = dict(
    backbone=dict(
        type='CifarVGG',
        widths=(24, 64, 128),
        stem_kernel_size=4,
        stem_stride=4),
    head=dict(in_channels=128))
