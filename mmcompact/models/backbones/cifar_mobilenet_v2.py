from mmcv.cnn import ConvModule
from mmpretrain.models.backbones.mobilenet_v2 import MobileNetV2
from mmpretrain.models.utils import make_divisible
from mmpretrain.registry import MODELS


@MODELS.register_module()
class CifarMobileNetV2(MobileNetV2):
    """MobileNetV2 for 32x32 inputs.

    mmpretrain's :class:`MobileNetV2` with the two earliest downsamplings
    removed, as is common for CIFAR: the stem convolution and the first
    stride-2 stage (``layer2``) use stride 1. The total stride drops from 32
    to 8, so a 32x32 image ends on a 4x4 map instead of 1x1. Blocks, widths
    and therefore parameter counts are those of mmpretrain's MobileNetV2
    (``mmpretrain.models.utils.InvertedResidual`` blocks, ReLU6).

    Output indices follow mmpretrain's MobileNetV2: 0-6 are ``layer1`` to
    ``layer7`` (16, 24, 32, 64, 96, 160, 320 channels times
    ``widen_factor``; 32, 32, 16, 8, 8, 4, 4 pixels for a 32x32 input) and 7
    is the final 1x1 convolution ``conv2`` (``out_channels`` channels, 4x4).

    Args:
        widen_factor (float): Width multiplier of every layer. Defaults to
            1.0.
        out_indices (Sequence[int]): Layers whose outputs are returned, in
            ``range(0, 8)``. Defaults to ``(7, )``.
        frozen_stages (int): ``-1`` freezes nothing, ``0`` only the stem,
            ``k`` the stem and ``layer1`` to ``layerk`` (parameters fixed,
            norm layers in eval mode). Defaults to -1.
        conv_cfg (dict, optional): Convolution config. Defaults to None.
        norm_cfg (dict): Normalisation config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ReLU6.
        norm_eval (bool): Keep all norm layers in eval mode while training.
            Defaults to False.
        with_cp (bool): Use gradient checkpointing in the blocks. Defaults to
            False.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to mmpretrain MobileNetV2's (Kaiming convs, norm
            weights 1).

    Note:
        The channels of ``conv2`` (``self.out_channel``) are 1280, or
        ``int(1280 * widen_factor)`` when ``widen_factor > 1``, exactly as in
        mmpretrain; use that as the head's ``in_channels``.
    """

    # expand_ratio, channels, num_blocks, stride. Same as MobileNetV2 except
    # layer2's stride 2 -> 1, to keep resolution on 32x32 inputs.
    arch_settings = [[1, 16, 1, 1], [6, 24, 2, 1], [6, 32, 3, 2],
                     [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                     [6, 320, 1, 1]]

    def __init__(self, widen_factor: float = 1., **kwargs):
        super().__init__(widen_factor=widen_factor, **kwargs)
        # The parent hard-codes a stride-2 stem; rebuild it with stride 1
        # (same shapes and parameters, so nothing else changes).
        self.conv1 = ConvModule(
            in_channels=3,
            out_channels=make_divisible(32 * widen_factor, 8),
            kernel_size=3,
            stride=1,
            padding=1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)

    def _freeze_stages(self):
        super()._freeze_stages()
        # The parent fixes the stem's parameters but leaves its norm layer
        # in train mode, so its running stats would still drift.
        if self.frozen_stages >= 0:
            self.conv1.eval()
