# Stage-1 recipe for photos (see teacher_effnet-lite0-96px.py for its use):
# EfficientNet-Lite0 with its stem and first three MBConv stages frozen and
# label smoothing 0.1, fine-tuned for 6 epochs at 128 px, the size the
# scene dataset bases store their images at.
_base_ = [
    '../models/efficientnet_lite0_frozen4.py',
    '../schedules/finetune_sgd_6e.py',
    '../default_runtime.py',
]
model = dict(data_preprocessor=dict(size=128))
