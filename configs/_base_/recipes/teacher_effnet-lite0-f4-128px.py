# Stage-1 recipe for photos (see teacher_effnet-lite0-96px.py for its use):
# EfficientNet-Lite0 with its stem and first three MBConv stages frozen and
# label smoothing 0.1, fine-tuned for 6 epochs at 128 px, the size the
# scene dataset bases store their images at. For small sets
# (docs/small_data.md): the head starts from a linear probe of the frozen
# ImageNet features (LP-FT), whose top-1 the log and
# <work_dir>/linear_probe.json report as the run's reference, and the
# BatchNorm layers keep the pretrained statistics (norm_eval), so that the
# features the probe was fitted on do not drift with a few hundred images.
_base_ = [
    '../models/efficientnet_lite0_frozen4.py',
    '../schedules/finetune_sgd_6e.py',
    '../default_runtime.py',
]
model = dict(data_preprocessor=dict(size=128), backbone=dict(norm_eval=True))
custom_hooks = [_base_.custom_hooks[0], dict(type='LinearProbeHook')]
# Gradients clipped to a global norm of 1 (as ViT fine-tuning does): with
# the statistics kept, nothing else bounds a step, and the probe's head
# diverged at 64 and 96 px inputs without it (docs/small_data.md).
optim_wrapper = dict(clip_grad=dict(max_norm=1.0))
