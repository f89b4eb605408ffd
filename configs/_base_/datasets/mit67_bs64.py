# MIT Indoor-67 (Quattoni & Torralba, CVPR 2009) in its official layout:
# <data_root>/Images/<class>/<file>.jpg with TrainImages.txt and
# TestImages.txt (5,360 / 1,340 images, 67 classes).
_base_ = ['./scenes_bs64.py']

data_root = 'data/mit67'
num_classes = 67

# The keys both splits share; each split adds its name.
dataset = dict(
    type='MITIndoor67', data_root=data_root, num_classes=num_classes)
train_dataloader = dict(dataset=dict(dataset, split='train'))
val_dataloader = dict(dataset=dict(dataset, split='test'))
test_dataloader = val_dataloader
