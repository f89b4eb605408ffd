# Stage 2: the model settings a joint leaf composes with its student, e.g.
#   _base_ = ['./compact_<student>_<data>.py',
#             './_base_/models/joint_learning.py']
#   model = dict(_base_.joint_learning,
#                teacher=dict(cfg_path='{{fileDirname}}/teacher_<...>.py'))
# The student learns the labels and the teacher's soft targets at
# temperature 4; SoftTargetLoss carries the T^2 factor, so both losses stay
# on one gradient scale.
#
# Hard x0.5 + soft x0.5 rather than the common 0.1/0.9: on CIFAR-10, whose
# (smoothed) labels carry more than a ~90 % teacher adds, it was the better
# of the two (docs/cifar10.md).
joint_learning = dict(
    type='JointLearningClassifier',
    hard_loss_weight=0.5,
    distill_loss=dict(type='SoftTargetLoss', temperature=4.0,
                      loss_weight=0.5))
# Mostly soft targets: on scenes 0.1/0.9 beat 0.5/0.5 (docs/scenes.md).
joint_learning_soft = dict(
    joint_learning,
    hard_loss_weight=0.1,
    distill_loss=dict(joint_learning['distill_loss'], loss_weight=0.9))
