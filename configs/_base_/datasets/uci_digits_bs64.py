# The demo set shipped in the repository: UCI handwritten digits, 8x8 grey
# images of 10 classes in class folders demo/uci_digits/{train,test}/<digit>
# (1,201 / 596 images; source and licence in demo/uci_digits/README.md),
# read like the scene sets but stored at 48 px, the demo teacher's input.
_base_ = ['./intel_scenes_bs64.py']

data_root = 'demo/uci_digits'
num_classes = 10
image_size = 48

# No flips (a mirrored digit is another symbol, or none) and larger crops
# than for scenes: a digit fills its image. The source images are 8x8:
# the student's 16 px keeps all they hold.
data_preprocessor = dict(
    size=16, view=dict(type='ResizedCrop', scale=(0.5, 1.0)), flip_prob=0.0)
dataset = dict(
    data_root=data_root, num_classes=num_classes, image_size=image_size)
# One pass per epoch (the scene bases draw at least 4,096 images): the
# demo shows the whole pipeline in about a minute, its leaves set the
# epochs.
train_dataloader = dict(
    sampler=dict(min_length=0),
    dataset=dict(
        dataset,
        pipeline=[
            dict(type='RandomResizedCrop', scale=image_size,
                 crop_ratio_range=(0.5, 1.0)),
            dict(type='PackInputs'),
        ]))
val_dataloader = dict(batch_size=128, dataset=dataset)
test_dataloader = val_dataloader
