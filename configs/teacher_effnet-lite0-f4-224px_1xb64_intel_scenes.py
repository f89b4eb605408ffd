# Stage 1 for scenes at 224 px: the 128 px teacher's recipe at ImageNet's
# input size, a better teacher for about 2.6 times the stage-1 time.
#   python tools/train.py configs/teacher_effnet-lite0-f4-224px_1xb64_intel_scenes.py --amp
_base_ = [
    './_base_/recipes/teacher_effnet-lite0-f4-224px.py',
    './_base_/datasets/intel_scenes_bs64.py',
]
model = dict(head=dict(num_classes=_base_.num_classes))

# Photos are stored at the teacher's input size (the base stores 128 px).
image_size = 224
train_pipeline = [
    dict(_base_.train_pipeline[0], scale=image_size),
    *_base_.train_pipeline[1:],
]
train_dataloader = dict(
    dataset=dict(image_size=image_size, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(image_size=image_size))
test_dataloader = val_dataloader
