# MIT Indoor-67 (Quattoni & Torralba, CVPR 2009) in its official layout:
# <data_root>/Images/<class>/<file>.jpg with TrainImages.txt and
# TestImages.txt (5,360 / 1,340 images, 67 classes).
_base_ = ['./scenes_bs64.py']

data_root = 'data/mit67'
num_classes = 67

train_dataloader = dict(
    dataset=dict(
        type='MITIndoor67',
        data_root=data_root,
        split='train',
        num_classes=num_classes))
val_dataloader = dict(
    dataset=dict(
        type='MITIndoor67',
        data_root=data_root,
        split='test',
        num_classes=num_classes))
test_dataloader = val_dataloader
