# Small-data case: the scene teacher fine-tuned on a fixed 10 % of the Intel
# scenes training images per class (874 images, ~146 per class; the list in
# _base_/datasets/splits/); the dataset base's epoch length sizes the run.
#   python tools/train.py configs/teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py --amp
_base_ = ['./teacher_effnet-lite0-f4-128px_1xb64_intel_scenes.py']

train_dataloader = dict(dataset=_base_.train_10pct)
