# Stage 1, fast variant at 128 px: the frozen-stage teacher of
# teacher_effnet-lite0-f4-96px_1xb64_cifar10.py fine-tuned on 128 px
# upsamplings. It costs more per step than 96 px but its soft targets are
# worth more to the student (accuracies and times in docs/cifar10.md); it
# is the teacher of the fast joint recipe.
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_cifar10.py --amp
_base_ = ['./teacher_effnet-lite0-f4-96px_1xb64_cifar10.py']

model = dict(data_preprocessor=dict(size=128))
