import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


@MODELS.register_module()
class SoftTargetLoss(nn.Module):
    """Soft-target loss of joint learning / knowledge distillation.

    ``loss_weight * T^2 * mean_i KL(softmax(t_i / T) || softmax(s_i / T))``
    where ``s`` are the student's and ``t`` the teacher's logits (Hinton et
    al., 2015; Li et al., ICASSP 2016). The ``T^2`` factor keeps the soft
    gradients on the scale of the hard-label ones when ``T`` changes. KL
    and soft cross-entropy have the same gradient; KL is 0 when the student
    matches the teacher, which makes the logged value readable.

    Args:
        temperature (float): Softmax temperature ``T`` (> 0). Defaults to 4.
        loss_weight (float): Weight of this loss. Defaults to 1.0.
    """

    def __init__(self, temperature: float = 4.0, loss_weight: float = 1.0):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f'SoftTargetLoss: temperature must be > 0, got '
                             f'{temperature}')
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)

    def forward(self, student_logits: torch.Tensor,
                teacher_logits: torch.Tensor) -> torch.Tensor:
        """Compute the loss.

        Args:
            student_logits (Tensor): ``(N, C)`` student logits.
            teacher_logits (Tensor): ``(N, C)`` teacher logits. They are
                targets: detached here, so no gradient reaches the teacher
                even when its logits were computed with autograd on.

        Returns:
            Tensor: The scalar loss.
        """
        if student_logits.shape != teacher_logits.shape:
            raise ValueError(
                'SoftTargetLoss: student logits '
                f'{tuple(student_logits.shape)} and teacher logits '
                f'{tuple(teacher_logits.shape)} differ in shape')
        t = self.temperature
        # fp32: bf16 autocast would make the small KL terms very coarse.
        log_p_student = F.log_softmax(student_logits.float() / t, dim=-1)
        p_teacher = F.softmax(teacher_logits.detach().float() / t, dim=-1)
        kl = F.kl_div(log_p_student, p_teacher, reduction='none').sum(-1)
        return self.loss_weight * t * t * kl.mean()
