"""The compact student family: one width number scales a config's student.

A member is the config's own ``CifarVGG`` student with every width (stem
and the three groups) multiplied by ``width`` and rounded to a multiple of
8 (oneDNN's vector width for bf16/int8 channels), optionally at another
input size of its ``RandomViewClsDataPreprocessor``. MACs grow about as
``width**2 * size**2``: at the scene student's 96 px, widths 0.5 to 3 span
about 3 to 110 M MACs, and 128 px multiplies that by 1.8.

Depthwise designs are not in the family: on these CPUs they train about
ten times slower per MAC (docs/scenes.md).
"""
import inspect
from dataclasses import dataclass
from typing import List, Optional, Sequence

from mmengine.config import ConfigDict

from mmcompact.models import CifarVGG
from mmcompact.utils import model_config

#: Width multipliers :func:`student_family` offers by default.
WIDTHS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)


@dataclass
class StudentCandidate:
    """One member of the family.

    Attributes:
        name (str): ``w<width>``, plus ``-<size>px`` at another input size.
        width (float): The width multiplier.
        input_size (int): Input side of the member.
        override (dict): What the member changes in the config (its
            ``model`` and, at another input size, ``data_preprocessor``).
    """
    name: str
    width: float
    input_size: int
    override: dict


def _channels(value: float) -> int:
    return max(8, int(round(value / 8)) * 8)


def _default(name: str):
    return inspect.signature(CifarVGG.__init__).parameters[name].default


def base_input_size(cfg: dict) -> int:
    """Input side of a config's student (its preprocessor's square
    ``size``).

    Args:
        cfg (dict): The student's config.

    Raises:
        ValueError: if the preprocessor does not resize to a square size
            (the family then cannot change the input size).
    """
    size = (model_config(ConfigDict(cfg)).get('data_preprocessor')
            or {}).get('size')
    if isinstance(size, (list, tuple)) and len(size) == 2 and \
            size[0] == size[1]:
        size = size[0]
    if not isinstance(size, int):
        raise ValueError(
            'The student family needs a data_preprocessor with a square '
            f'"size" (RandomViewClsDataPreprocessor), got size={size!r}')
    return size


def scaled_student(cfg: dict, width: float,
                   input_size: Optional[int] = None) -> dict:
    """The config override that makes a config's student a member.

    Args:
        cfg (dict): The student's config (a ``CifarVGG`` backbone and a
            head with ``in_channels``).
        width (float): Width multiplier (> 0).
        input_size (int, optional): Input side; None keeps the config's.

    Returns:
        dict: ``model`` (``backbone``, ``head``) and, at another input size,
        ``data_preprocessor`` settings to merge into the config.

    Raises:
        ValueError: for another backbone type or a width <= 0.
    """
    backbone = cfg['model'].get('backbone', {})
    if backbone.get('type') != 'CifarVGG':
        raise ValueError(
            'The student family scales CifarVGG students; this config\'s '
            f'backbone is {backbone.get("type")!r}')
    if not width > 0:
        raise ValueError(f'width must be > 0, got {width}')
    widths = tuple(
        _channels(width * c)
        for c in backbone.get('widths', _default('widths')))
    stem = _channels(width *
                     backbone.get('stem_channels', _default('stem_channels')))
    override = dict(model=dict(
        backbone=dict(widths=widths, stem_channels=stem),
        head=dict(in_channels=widths[-1])))
    if input_size is not None and input_size != base_input_size(cfg):
        # Where the config keeps its preprocessor: in the model or at the
        # top level.
        size = dict(data_preprocessor=dict(size=input_size))
        if cfg['model'].get('data_preprocessor'):
            override['model'].update(size)
        else:
            override.update(size)
    return override


def student_family(cfg: dict,
                   widths: Sequence[float] = WIDTHS,
                   input_sizes: Optional[Sequence[int]] = None
                   ) -> List[StudentCandidate]:
    """Members of a config's student family, by input size then width.

    Args:
        cfg (dict): The student's config.
        widths (Sequence[float]): Width multipliers. Defaults to
            :data:`WIDTHS`.
        input_sizes (Sequence[int], optional): Input sides. Defaults to the
            config's.

    Returns:
        list[StudentCandidate]: One per (input size, width).
    """
    base = base_input_size(cfg)
    candidates = []
    for size in input_sizes or [base]:
        for width in widths:
            name = f'w{width:g}' + ('' if size == base else f'-{size}px')
            candidates.append(
                StudentCandidate(name, width, size,
                                 scaled_student(cfg, width, size)))
    return candidates
