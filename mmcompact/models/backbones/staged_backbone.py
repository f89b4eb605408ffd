from typing import List, Sequence

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from torch.nn.modules.batchnorm import _BatchNorm


class StagedBackbone(BaseBackbone):
    """A stem followed by a sequence of stages, as mmpretrain's backbones.

    The part mmcompact's backbones share: the forward pass returns the
    outputs of the stages in ``self.out_indices``, and ``train()`` keeps
    frozen modules and, with ``self.norm_eval``, every BatchNorm in eval
    mode (``nn.Module.train()`` would switch them back to training). A
    subclass builds its layers and says which modules make its stem, its
    stages and its frozen part; it owns no parameters of its own, so state
    dict keys are those of the subclass's modules.
    """

    # No norm layer is held in eval mode unless a subclass sets this.
    norm_eval = False

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The layers before the first stage; none by default.

        Args:
            x (Tensor): The input batch.

        Returns:
            Tensor: The input of the first stage.
        """
        return x

    def stages(self) -> Sequence[nn.Module]:
        """The stages, in order; output index ``i`` is stage ``i``.

        Returns:
            Sequence[nn.Module]: The stage modules.
        """
        raise NotImplementedError(
            f'{type(self).__name__} must define stages()')

    def frozen_modules(self) -> List[nn.Module]:
        """Modules whose parameters are fixed and kept in eval mode.

        Returns:
            list[nn.Module]: Nothing by default.
        """
        return []

    def forward(self, x: torch.Tensor) -> tuple:
        """Return the outputs of the stages in ``out_indices``.

        Args:
            x (Tensor): The input batch.

        Returns:
            tuple[Tensor]: One output per index of ``out_indices``.
        """
        x = self.forward_stem(x)
        outs = []
        for i, stage in enumerate(self.stages()):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self):
        for module in self.frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        """Set train/eval mode, keeping frozen modules and, with
        ``norm_eval``, all BatchNorm layers in eval mode."""
        super().train(mode)
        # nn.Module.train() re-enables every submodule, so re-freeze.
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
