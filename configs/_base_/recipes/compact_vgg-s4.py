# Compact-student recipe for photos (see compact_resnet20.py for its use):
# CifarVGG behind a stride-4 stem, trained from scratch for 60 epochs on
# the views the scene dataset bases draw (96 px).
_base_ = [
    '../models/cifar_vgg_s4.py',
    '../schedules/scratch_sgd_60e.py',
    '../default_runtime.py',
]
