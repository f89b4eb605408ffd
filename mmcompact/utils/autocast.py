import torch


def autocast(device_type: str, enabled: bool = True) -> torch.autocast:
    """Mixed precision as ``--amp`` means it: bf16 on a CPU, fp16 elsewhere.

    CPU autocast has no fp16 path; ``AutoAmpOptimWrapper`` trains in bf16
    there, and the tools that only run a network forward use this context.

    Args:
        device_type (str): ``'cpu'``, ``'cuda'``, ...
        enabled (bool): False gives a context that changes nothing.

    Returns:
        torch.autocast: The context manager.
    """
    dtype = torch.bfloat16 if device_type == 'cpu' else torch.float16
    return torch.autocast(device_type, dtype=dtype, enabled=enabled)
