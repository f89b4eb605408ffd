# The compact scene student alone on MIT Indoor-67 (see
# compact_vgg-s4-96px_1xb128_intel_scenes.py).
#   python tools/train.py configs/compact_vgg-s4-96px_1xb128_mit67.py --amp
_base_ = [
    './_base_/recipes/compact_vgg-s4.py',
    './_base_/datasets/mit67_bs64.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))
train_dataloader = dict(_base_.batch_view_loader, batch_size=128)
