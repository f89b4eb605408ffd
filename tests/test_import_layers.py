"""Layering of the package: models and datasets do not import each other.

Both may import ``mmcompact.utils``, which imports neither, so a model-side
change never drags dataset code in (and the other way round). ``teacher``
(the stage-2 teacher and its cache) sits on ``utils`` alone: models, tools
and hooks build on it. ``apis`` (what tools and hooks call on a built
model) sits above models, datasets, teacher and utils, none of which
imports it.
"""
import ast
import glob
import os.path as osp

import pytest

from .conftest import REPO_ROOT

PACKAGE = osp.join(REPO_ROOT, 'mmcompact')
FORBIDDEN = {
    'models': ('mmcompact.datasets', 'mmcompact.engine', 'mmcompact.apis'),
    'datasets': ('mmcompact.models', 'mmcompact.engine', 'mmcompact.apis',
                 'mmcompact.teacher'),
    'teacher': ('mmcompact.models', 'mmcompact.datasets', 'mmcompact.engine',
                'mmcompact.apis'),
    'utils': ('mmcompact.models', 'mmcompact.datasets', 'mmcompact.engine',
              'mmcompact.apis', 'mmcompact.teacher'),
    'apis': ('mmcompact.engine', ),
}


def imported_modules(path, root=REPO_ROOT):
    """Absolute names of what ``path`` imports (relative ones resolved).

    ``from a import b`` gives both ``a`` and ``a.b`` (``b`` may be a module).
    """
    rel = osp.relpath(path, root)[:-len('.py')].split(osp.sep)
    package = rel[:-1]  # the module's package, also for __init__.py
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] \
                if node.level else []
            module = '.'.join(base + ([node.module] if node.module else []))
            names += [module] + [f'{module}.{a.name}' for a in node.names]
    return names


def test_resolves_relative_imports(tmp_path):
    pkg = tmp_path / 'mmcompact' / 'models' / 'classifiers'
    pkg.mkdir(parents=True)
    module = pkg / 'm.py'
    module.write_text('from ..utils import a\nfrom ...datasets import b\n'
                      'import mmcompact.engine\nfrom . import c\n')
    assert imported_modules(str(module), str(tmp_path)) == [
        'mmcompact.models.utils', 'mmcompact.models.utils.a',
        'mmcompact.datasets', 'mmcompact.datasets.b', 'mmcompact.engine',
        'mmcompact.models.classifiers', 'mmcompact.models.classifiers.c']


@pytest.mark.parametrize('layer', sorted(FORBIDDEN))
def test_layer_does_not_import_forbidden_packages(layer):
    files = glob.glob(osp.join(PACKAGE, layer, '**', '*.py'), recursive=True)
    assert files
    bad = [
        f'{osp.relpath(path, REPO_ROOT)} imports {name}'
        for path in sorted(files) for name in imported_modules(path)
        if name.startswith(FORBIDDEN[layer])
    ]
    assert not bad, '\n'.join(bad)
