"""``mim train/test mmcompact`` find the tools of an installed mmcompact.

mim runs ``<installed path>/.mim/tools/{train,test}.py``, the installed path
being ``get_installed_path('mmcompact')``: the distribution's location
joined with its top-level module. A wheel carries ``configs/`` and every
``tools/`` script in ``mmcompact/.mim`` (setup.py's
``add_mim_extension`` and ``package_data``). The wheel is built from a
copy of the checkout, because building replaces the checkout's
``mmcompact/.mim`` links with copies.
"""
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from ..conftest import REPO_ROOT

COPIED = ('setup.py', 'README.md', 'requirements', 'mmcompact', 'configs',
          'tools')
EXPECTED = ('tools/train.py', 'tools/test.py', 'tools/compact.py',
            'tools/cache_teacher.py', 'tools/analysis_tools/model_cost.py',
            'configs/_base_/default_runtime.py',
            'configs/_base_/datasets/splits/intel_scenes_train_10pct.txt',
            'configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits'
            '_cached.py')


def _run(*cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          **kwargs)
    assert proc.returncode == 0, f'{cmd}\n{proc.stdout}\n{proc.stderr}'
    return proc.stdout


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """mmcompact installed from a wheel of the checkout into a folder."""
    pytest.importorskip('mim')
    tmp = tmp_path_factory.mktemp('mim')
    src = tmp / 'src'
    src.mkdir()
    ignore = shutil.ignore_patterns('__pycache__', '.mim', '*.egg-info')
    for name in COPIED:
        path = osp.join(REPO_ROOT, name)
        if osp.isdir(path):
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy(path, src / name)
    _run(sys.executable, '-m', 'pip', 'wheel', str(src), '--no-deps',
         '--no-build-isolation', '--wheel-dir', str(tmp / 'dist'))
    wheel = next((tmp / 'dist').glob('mmcompact-*.whl'))
    _run(sys.executable, '-m', 'pip', 'install', '--no-deps', '--target',
         str(tmp / 'site'), str(wheel))
    return str(tmp / 'site')


def test_mim_resolves_the_installed_tools(installed):
    # mim's own resolution, in a process that finds this installation
    # first (pkg_resources takes the first distribution on sys.path; the
    # working directory, first for ``python -c``, is the installation).
    code = ('from mim.utils import get_installed_path; '
            "print(get_installed_path('mmcompact'))")
    out = _run(sys.executable, '-c', code, cwd=installed,
               env={'PYTHONPATH': installed, 'PATH': osp.dirname(
                   sys.executable)})
    path = out.strip().splitlines()[-1]
    assert path == osp.join(installed, 'mmcompact')
    for name in EXPECTED:
        assert osp.isfile(osp.join(path, '.mim', name)), name
