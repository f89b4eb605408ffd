"""Refuse ``--cfg-options`` keys that mmengine would merge to no effect.

mmengine merges any dotted key into the config. A mistyped or misplaced key
then either does nothing at all (a top-level key the runner never reads, a
config variable already substituted when the file was read) or reaches a
component that swallows it in ``**kwargs`` and fails later, or never.
:func:`check_cfg_options` says so before the runner is built.
"""
import copy
import difflib
import inspect
from typing import Any, Iterator, List, Optional, Set, Tuple

from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain import registry

#: Top-level keys read besides the arguments of ``Runner.__init__``: by the
#: runner itself, mmpretrain's train/test tools, ``tools/train.py``
#: (``runner_type``) and mmcompact's tools (``custom_imports``).
EXTRA_TOP_LEVEL_KEYS = ('runner_type', 'model_wrapper_cfg', 'sync_bn',
                        'find_unused_parameters', 'activation_checkpointing',
                        'efficient_conv_bn_eval', 'compile', 'tta_model',
                        'tta_pipeline', 'custom_imports')

#: Where the ``type`` of a config dict is looked up, in this order.
REGISTRIES = (registry.MODELS, registry.DATASETS, registry.TRANSFORMS,
              registry.DATA_SAMPLERS, registry.HOOKS, registry.OPTIM_WRAPPERS,
              registry.OPTIMIZERS, registry.PARAM_SCHEDULERS,
              registry.METRICS, registry.EVALUATORS, registry.VISUALIZERS,
              registry.VISBACKENDS, registry.LOG_PROCESSORS, registry.LOOPS)


def top_level_keys() -> Set[str]:
    """The top-level config keys that the tools read."""
    params = inspect.signature(Runner.__init__).parameters
    return (set(params) - {'self', 'cfg'}) | set(EXTRA_TOP_LEVEL_KEYS)


def check_cfg_options(cfg: Config, options: Optional[dict]) -> None:
    """Refuse ``--cfg-options`` keys that would change nothing, or fail late.

    Caught, before ``cfg`` is changed:

    - a top-level key that no tool reads: a typo (``train_cgf``) or a
      variable of the config file (``data_root``, ``num_classes``), which
      mmengine substituted when it read the file;
    - ``model.data_preprocessor.*`` in a config that sets its
      ``data_preprocessor`` at the top level (it would replace it);
    - a key that the config does not have, under a dict with a ``type``
      whose class (or function) does not name it as an argument, e.g.
      ``model.backbone.widthz`` or ``default_hooks.checkpoint.intervall``
      (``CheckpointHook`` keeps unknown keys until its first save).

    Args:
        cfg (Config): The config as read from its file.
        options (dict, optional): The parsed ``--cfg-options``.

    Raises:
        ValueError: naming the first such key, why it has no effect and
            what to set instead.
    """
    if not options:
        return
    merged = copy.deepcopy(cfg)
    merged.merge_from_dict(options)
    known = top_level_keys()
    for key in options:
        parts = key.split('.')
        why = (_top_level(cfg, parts[0], known)
               or _misplaced_preprocessor(cfg, parts)
               or _not_an_argument(cfg, merged, parts))
        if why:
            raise ValueError(f'--cfg-options {key}: {why}')


def has_key(cfg: Config, key: str) -> bool:
    """Whether the dotted ``key`` (list indices as numbers) is in ``cfg``.

    Args:
        cfg (Config): A loaded config.
        key (str): e.g. ``'train_dataloader.dataset.data_root'``.

    Returns:
        bool: True when every part of ``key`` leads somewhere.
    """
    parts = key.split('.')
    return _walk(cfg._cfg_dict, parts)[0] == len(parts)


def load_checked_config(path: str, options: Optional[dict]) -> Config:
    """Read a config file and merge ``--cfg-options`` that take effect.

    Args:
        path (str): The config file.
        options (dict, optional): The parsed ``--cfg-options``.

    Returns:
        Config: The config with ``options`` merged in.

    Raises:
        ValueError: from :func:`check_cfg_options`, before any merge.
    """
    return merge_checked_options(Config.fromfile(path), options)


def merge_checked_options(cfg: Config, options: Optional[dict]) -> Config:
    """Merge ``--cfg-options`` into ``cfg`` once all of them take effect.

    Args:
        cfg (Config): A loaded config, changed in place.
        options (dict, optional): The parsed ``--cfg-options``.

    Returns:
        Config: ``cfg``.

    Raises:
        ValueError: from :func:`check_cfg_options`, before any merge.
    """
    check_cfg_options(cfg, options)
    if options:
        cfg.merge_from_dict(options)
    return cfg


def _top_level(cfg: Config, top: str, known: Set[str]) -> Optional[str]:
    if top in known:
        return None
    if top in cfg:
        uses = [path for path, name, value in _leaves(cfg._cfg_dict)
                if path != top and (name == top or (
                    isinstance(value, str) and value and value == cfg[top]))]
        instead = ('set the fields that use it instead: ' + ', '.join(uses)
                   if uses else 'set the field that should change instead')
        return (f'"{top}" is a variable of the config file, substituted '
                'where the file uses it when the file was read, so setting '
                f'it now changes nothing; {instead}.')
    # Only keys a tool reads: suggesting a config variable would suggest a
    # change that changes nothing.
    return (f'no tool reads a top-level "{top}"'
            + _did_you_mean(top, known) + '.')


def _misplaced_preprocessor(cfg: Config, parts: List[str]) -> Optional[str]:
    if parts[:2] != ['model', 'data_preprocessor'] or len(parts) < 3 or \
            'data_preprocessor' in cfg.get('model', {}) or \
            cfg.get('data_preprocessor') is None:
        return None
    rest = '.'.join(parts[2:])
    return ('this config sets its data_preprocessor at the top level (the '
            'runner gives it to the model when model.data_preprocessor is '
            'unset), so this would replace it with a default one; set '
            f'data_preprocessor.{rest} instead.')


def _not_an_argument(cfg: Config, merged: Config,
                     parts: List[str]) -> Optional[str]:
    found, node = _walk(cfg._cfg_dict, parts)
    if found == len(parts):  # the config has the key: a change, no typo
        return None
    owner = _walk(merged._cfg_dict, parts[:found])[1]
    if not isinstance(owner, dict) or 'type' not in owner:
        return None
    target = _resolve(owner['type'])
    accepted = None if target is None else _arguments(target)
    name = parts[found]
    if accepted is None or name in accepted:
        return None
    where = '.'.join(parts[:found])
    return (f'{getattr(target, "__name__", target)} ({where}) takes no '
            f'argument "{name}"' + _did_you_mean(name, accepted)
            + f'; its arguments: {", ".join(sorted(accepted))}.')


def _did_you_mean(name: str, choices: Set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(choices), n=3)
    return f' (did you mean {" or ".join(close)}?)' if close else ''


def _walk(node: Any, parts: List[str]) -> Tuple[int, Any]:
    """How many of ``parts`` lead through ``node``, and where they end."""
    for i, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            node = node[int(part)]
        else:
            return i, node
    return len(parts), node


def _leaves(node: Any, prefix: str = '') -> Iterator[Tuple[str, str, Any]]:
    """``(dotted path, last key, value)`` of every value under ``node``."""
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, (list, tuple)) else ()
    for name, value in items:
        path = f'{prefix}{name}'
        yield path, str(name), value
        yield from _leaves(value, path + '.')


def _resolve(kind: Any) -> Optional[Any]:
    """The class or function a config ``type`` names, if registered."""
    if not isinstance(kind, str):
        return kind if callable(kind) else None
    for reg in REGISTRIES:
        found = reg.get(kind)
        if found is not None:
            return found
    return None


def _arguments(target: Any) -> Optional[Set[str]]:
    """Keyword arguments ``target`` names; None when it takes any.

    A class's ``__init__`` that takes ``**kwargs`` passes them on to the
    next ``__init__`` in its MRO, so the names of the whole chain count;
    a chain that ends in ``**kwargs`` kept for later (``CheckpointHook``)
    takes only the names.
    """
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
               inspect.Parameter.KEYWORD_ONLY)
    if not inspect.isclass(target):
        params = inspect.signature(target).parameters.values()
        if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params if p.kind in keyword}
    names = set()
    for klass in target.__mro__[:-1]:  # not object
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind in keyword} - {'self'}
        if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
            break
    return names
