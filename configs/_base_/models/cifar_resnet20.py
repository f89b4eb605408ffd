# CIFAR ResNet-20 (He et al., 2016): 0.27 M parameters, 41 M MACs at 32 px.
_base_ = ['./linear_classifier.py']

model = dict(
    backbone=dict(type='CifarResNet', depth=20),
    head=dict(in_channels=64))
# NHWC, and compiled for training: on an x86 CPU both speed up this
# network's training step, and a run repays the compilation (tens of
# seconds, once per input shape) many times over (docs/benchmarks.md).
# Switch both off with --cfg-options custom_hooks=[].
custom_hooks = [dict(type='ChannelsLastHook'), dict(type='CompileHook')]
