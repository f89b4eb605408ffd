# The compact scene student (CifarVGG with a stride-4 stem, 96 px) trained alone on
# the labels: the baseline of joint learning, and the config that loads any
# of its checkpoints (joint-learning checkpoints hold the student only).
#   python tools/train.py configs/compact_vgg-s4-96px_1xb128_intel_scenes.py --amp
_base_ = [
    './_base_/recipes/compact_vgg-s4.py',
    './_base_/datasets/intel_scenes_bs64.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
train_dataloader = dict(_base_.batch_view_loader, batch_size=128)
