# Compact-student recipe, for any data set: CIFAR ResNet-20 trained from
# scratch for 20 epochs. The student alone takes a dataset base and its
# class count; stage 2 composes the result with a teacher (see the joint
# configs):
#   _base_ = ['./_base_/recipes/compact_resnet20.py',
#             './_base_/datasets/<data>.py']
#   model = dict(head=dict(num_classes=_base_.num_classes))
_base_ = [
    '../models/cifar_resnet20.py',
    '../schedules/scratch_sgd_20e.py',
    '../default_runtime.py',
]
