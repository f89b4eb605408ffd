from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from .staged_backbone import StagedBackbone


class ConvGroup(BaseModule):
    """conv3x3 -> max-pool 2 -> norm -> act -> conv3x3 -> norm -> act.

    Pooling right after the first convolution, before its norm, as in
    airbench: the second convolution and both norms run on the pooled map.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels of both convolutions.
        norm_cfg (dict): Normalisation config.
        act_cfg (dict): Activation config.
    """

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict,
                 act_cfg: dict):
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = build_norm_layer(norm_cfg, out_channels)[1]
        self.act1 = build_activation_layer(act_cfg)
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, padding=1, bias=False)
        self.norm2 = build_norm_layer(norm_cfg, out_channels)[1]
        self.act2 = build_activation_layer(act_cfg)

    def forward(self, x):
        x = self.act1(self.norm1(self.pool(self.conv1(x))))
        return self.act2(self.norm2(self.conv2(x)))


@MODELS.register_module()
class CifarVGG(StagedBackbone):
    """Shallow, wide VGG-style CNN for 32x32 inputs (airbench's network).

    The network of K. Jordan's airbench ("94% on CIFAR-10 in 3.29 seconds
    on a single GPU", 2024): a 2x2 stem convolution without padding (32 ->
    31 px), then three :class:`ConvGroup` s, each halving the map (31 -> 15
    -> 7 -> 3). Seven convolutions in all, no residuals. On a CPU its dense
    3x3 convolutions over many channels at small maps keep oneDNN's kernels
    busy where ResNet-20's 16-64-channel layers do not, so at the default
    widths (33 vs 41 M MACs) it trains faster than ResNet-20; the measured
    throughputs are in docs/cifar10.md.

    Output index ``i`` is the output of group ``i`` (``widths[i]`` channels;
    15, 7 and 3 px for a 32x32 input).

    Args:
        widths (Sequence[int]): Channels of the three groups. Defaults to
            ``(32, 128, 128)``, half of airbench94's ``(64, 256, 256)``.
        stem_channels (int): Channels of the stem. Defaults to 24.
        stem_kernel_size (int): Kernel of the stem convolution (no
            padding). Defaults to 2.
        stem_stride (int): Stride of the stem convolution. Defaults to 1;
            for larger inputs, e.g. ``stem_kernel_size=4, stem_stride=4``
            turns a 96 px photo into a 24 px map of non-overlapping 4x4
            patches, so the three groups run at CIFAR-like map sizes.
        out_indices (Sequence[int]): Groups whose outputs are returned.
            Defaults to ``(2, )``.
        channels_last (bool): Keep weights and activations in channels-last
            layout, the one oneDNN's CPU convolutions run natively (the
            default NCHW layout is reordered around every convolution).
            Defaults to True.
        norm_cfg (dict): Normalisation config. Defaults to BN.
        act_cfg (dict): Activation config. Defaults to GELU.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None (PyTorch's default initialisation, as airbench).
    """

    def __init__(self,
                 widths: Sequence[int] = (32, 128, 128),
                 stem_channels: int = 24,
                 stem_kernel_size: int = 2,
                 stem_stride: int = 1,
                 out_indices: Sequence[int] = (2, ),
                 channels_last: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='GELU'),
                 init_cfg=None):
        super().__init__(init_cfg)
        if len(widths) != 3:
            raise ValueError(f'CifarVGG: widths must give 3 group widths, '
                             f'got {tuple(widths)}')
        for index in out_indices:
            if index not in range(3):
                raise ValueError(f'CifarVGG: out_indices must be in '
                                 f'range(0, 3), got {index}')
        self.out_indices = tuple(out_indices)
        self.channels_last = channels_last
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_channels, stem_kernel_size, stride=stem_stride,
                      padding=0, bias=True),
            build_activation_layer(act_cfg))
        in_channels = stem_channels
        self.layers = nn.ModuleList()
        for width in widths:
            self.layers.append(
                ConvGroup(in_channels, width, norm_cfg, act_cfg))
            in_channels = width
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.stem(x)

    def stages(self) -> nn.ModuleList:
        return self.layers
