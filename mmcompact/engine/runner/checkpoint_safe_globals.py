"""Let ``weights_only=True`` checkpoint loading read mmengine checkpoints.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``. mmengine's
resume checkpoints also hold the message hub (``HistoryBuffer`` objects that
wrap numpy arrays), which that safe unpickler refuses, so ``--resume`` fails.
Instead of switching the safety off, the few classes that such checkpoints
contain are added to torch's allow-list.

``HistoryBuffer`` pickles its statistics methods as
``getattr(HistoryBuffer, 'mean')``. Allow-listing the builtin ``getattr``
would let a checkpoint reach any attribute of any allowed object, so a
``getattr`` that only resolves those methods takes its place.
"""
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods."""
    # The defaults are registered only when a first buffer is created.
    allowed = {'min', 'max', 'current', 'mean',
               *HistoryBuffer._statistics_methods}
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Checkpoint asks for getattr({obj!r}, {name!r}); only '
        f'HistoryBuffer statistics methods {sorted(allowed)} are allowed.')


def _numpy_globals() -> list:
    """Numpy callables/classes that pickled arrays and scalars refer to."""
    multiarray = getattr(np, '_core', None) or np.core
    names = [multiarray.multiarray._reconstruct, multiarray.multiarray.scalar,
             np.ndarray, np.dtype]
    # Pickled dtypes name their concrete class (numpy >= 1.25).
    names += [type(np.dtype(t)) for t in
              (np.float64, np.float32, np.int64, np.int32, np.bool_)]
    return names


CHECKPOINT_SAFE_GLOBALS = [
    HistoryBuffer, (history_buffer_getattr, 'builtins.getattr')
] + _numpy_globals()


def register_checkpoint_safe_globals() -> None:
    """Allow-list the globals of mmengine checkpoints for safe loading."""
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)
