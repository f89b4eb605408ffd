import hashlib

import torch


def teacher_fingerprint(teacher: torch.nn.Module) -> str:
    """SHA-256 of the teacher's weights and input normalisation/size."""
    digest = hashlib.sha256()
    for key, value in sorted(teacher.state_dict().items()):
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    pre = teacher.data_preprocessor
    for name in ('mean', 'std', 'size'):
        value = getattr(pre, name, None)
        if isinstance(value, torch.Tensor):
            value = value.flatten().tolist()
        digest.update(repr(value).encode())
    return digest.hexdigest()
