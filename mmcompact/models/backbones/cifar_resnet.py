from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmpretrain.models.backbones.resnet import BasicBlock
from mmpretrain.registry import MODELS

from .staged_backbone import StagedBackbone


class _PadShortcut(nn.Module):
    """Parameter-free "option A" shortcut of He et al. (2016), Sec. 4.2.

    Subsamples the identity by ``stride`` and appends zero channels, so the
    shortcut adds no parameters. This is what the paper used on CIFAR, and
    what its parameter counts (0.27 M for ResNet-20, ...) refer to.

    Args:
        in_channels (int): Channels of the block input.
        out_channels (int): Channels of the block output.
        stride (int): Spatial stride of the block.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        # F.pad pads the last dims first: (W, W, H, H, C_front, C_back).
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


@MODELS.register_module()
class CifarResNet(StagedBackbone):
    """ResNet for 32x32 inputs (He et al., 2016, Sec. 4.2).

    A 3x3 stem with 16 channels and stride 1, then three stages of ``n``
    :class:`BasicBlock` each with 16/32/64 channels and strides 1/2/2, so
    ``depth = 6n + 2`` (ResNet-20/32/44/56/110 for n = 3/5/7/9/18). There is
    no max-pool: on 32x32 images it would throw away too much resolution.

    Stage indices: 0, 1, 2 are the three stages (32x32, 16x16 and 8x8 maps
    for a 32x32 input); the stem is frozen together with stage 0.

    Args:
        depth (int): Network depth, must be ``6n + 2`` with ``n >= 1``.
        out_indices (Sequence[int]): Stages whose outputs are returned;
            negative indices count from the last stage. Defaults to ``(2, )``.
        frozen_stages (int): Stages to freeze (parameters fixed, norm layers
            in eval mode). ``-1`` freezes nothing, ``0`` only the stem, ``k``
            the stem and stages ``0 .. k-1``. Defaults to -1.
        shortcut (str): ``'A'`` subsamples and zero-pads the identity when
            the shape changes (no parameters, as in He et al.'s CIFAR
            experiments: 0.27/0.46/0.85 M params for ResNet-20/32/56);
            ``'B'`` projects it with a 1x1 conv + norm. Defaults to ``'A'``.
        conv_cfg (dict, optional): Convolution config. Defaults to None.
        norm_cfg (dict): Normalisation config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ReLU.
        norm_eval (bool): Keep all norm layers in eval mode while training,
            i.e. freeze their running statistics. Defaults to False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Kaiming for convolutions and 1 for norm weights.
    """

    stage_channels = (16, 32, 64)
    stage_strides = (1, 2, 2)
    stem_channels = 16

    def __init__(self,
                 depth: int,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 shortcut: str = 'A',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU', inplace=True),
                 norm_eval: bool = False,
                 init_cfg=[
                     dict(type='Kaiming', layer=['Conv2d']),
                     dict(
                         type='Constant',
                         val=1,
                         layer=['_BatchNorm', 'GroupNorm'])
                 ]):
        super().__init__(init_cfg)
        if (not isinstance(depth, int) or depth < 8 or (depth - 2) % 6):
            raise ValueError(
                f'CifarResNet depth must be 6n+2 with n >= 1 (20, 32, 44, '
                f'56, 110, ...), but got depth={depth}')
        if shortcut not in ('A', 'B'):
            raise ValueError(
                f"shortcut must be 'A' or 'B', but got {shortcut!r}")
        num_stages = len(self.stage_channels)
        out_indices = tuple(out_indices)
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(f'out_indices must be in [-{num_stages}, '
                                 f'{num_stages}), but got {index}')
        if frozen_stages not in range(-1, num_stages + 1):
            raise ValueError(f'frozen_stages must be in [-1, {num_stages}], '
                             f'but got {frozen_stages}')

        self.depth = depth
        self.num_blocks = (depth - 2) // 6
        self.out_indices = tuple(i % num_stages for i in out_indices)
        self.frozen_stages = frozen_stages
        self.shortcut = shortcut
        self.conv_cfg = conv_cfg
        self.norm_cfg = norm_cfg
        self.norm_eval = norm_eval

        self.conv1 = build_conv_layer(
            conv_cfg,
            3,
            self.stem_channels,
            kernel_size=3,
            stride=1,
            padding=1,
            bias=False)
        self.norm1_name, norm1 = build_norm_layer(
            norm_cfg, self.stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = build_activation_layer(act_cfg)

        self.res_layers = []
        in_channels = self.stem_channels
        for i, (channels, stride) in enumerate(
                zip(self.stage_channels, self.stage_strides)):
            layer = self._make_stage(in_channels, channels, stride, act_cfg)
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, layer)
            self.res_layers.append(layer_name)
            in_channels = channels
        self.feat_dim = in_channels

        self._freeze_stages()

    @property
    def norm1(self) -> nn.Module:
        """nn.Module: The normalisation layer of the stem."""
        return getattr(self, self.norm1_name)

    def _make_stage(self, in_channels: int, out_channels: int, stride: int,
                    act_cfg: dict) -> nn.Sequential:
        """Build one stage of ``self.num_blocks`` basic blocks.

        Only the first block changes the shape, so only it gets a shortcut
        module; the others use the plain identity.
        """
        downsample = None
        if stride != 1 or in_channels != out_channels:
            if self.shortcut == 'A':
                downsample = _PadShortcut(in_channels, out_channels, stride)
            else:
                downsample = nn.Sequential(
                    build_conv_layer(
                        self.conv_cfg,
                        in_channels,
                        out_channels,
                        kernel_size=1,
                        stride=stride,
                        bias=False),
                    build_norm_layer(self.norm_cfg, out_channels)[1])
        blocks = []
        for i in range(self.num_blocks):
            blocks.append(
                BasicBlock(
                    in_channels if i == 0 else out_channels,
                    out_channels,
                    expansion=1,
                    stride=stride if i == 0 else 1,
                    downsample=downsample if i == 0 else None,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=self.norm_cfg,
                    act_cfg=act_cfg))
        return nn.Sequential(*blocks)

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.norm1(self.conv1(x)))

    def stages(self) -> List[nn.Module]:
        return [getattr(self, name) for name in self.res_layers]

    def frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        return [self.conv1, self.norm1] + self.stages()[:self.frozen_stages]
