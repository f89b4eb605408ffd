# The scene student trained alone on the fixed 10 % subset (see
# teacher_effnet-lite0-f4-128px_1xb64_intel_scenes-10pct.py); the dataset
# base's epoch length sizes the run.
#   python tools/train.py configs/compact_vgg-s4-96px_1xb128_intel_scenes-10pct.py --amp
_base_ = ['./compact_vgg-s4-96px_1xb128_intel_scenes.py']

train_dataloader = dict(dataset=_base_.train_10pct)
