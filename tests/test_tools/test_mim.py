"""``mim train/test/search mmcompact`` find an installed mmcompact's files.

mim runs ``<installed path>/.mim/tools/{train,test}.py`` and ``mim search``
reads ``<installed path>/.mim/model-index.yml``, the installed path being
``get_installed_path('mmcompact')``: the distribution's location joined
with its top-level module. A wheel carries ``configs/`` (with the
metafiles in ``configs/metafiles``), every ``tools/`` script and
``model-index.yml`` in ``mmcompact/.mim`` (setup.py's
``add_mim_extension`` and ``package_data``). The wheel is built from a
copy of the checkout, because building replaces the checkout's
``mmcompact/.mim`` links with copies.
"""
import glob
import json
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from ..conftest import REPO_ROOT

COPIED = ('setup.py', 'README.md', 'requirements', 'mmcompact', 'configs',
          'tools', 'model-index.yml')
EXPECTED = ('tools/train.py', 'tools/test.py', 'tools/compact.py',
            'tools/cache_teacher.py', 'tools/analysis_tools/model_cost.py',
            'configs/_base_/default_runtime.py',
            'configs/_base_/datasets/splits/intel_scenes_train_10pct.txt',
            'configs/joint_effnet-lite0-f4_cifarvgg_1xb64_uci_digits'
            '_cached.py', 'model-index.yml', 'configs/metafiles/joint.yml')
# Top-1 recorded in docs/ for a few configs, as the metafiles give them.


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


def test_mim_search_lists_the_installed_models(installed):
    # ``mim search mmcompact`` is get_model_info('mmcompact') printed.
    code = ('import json; from mim.commands.search import get_model_info; '
            "print(json.dumps(get_model_info('mmcompact', to_dict=True)))")
    out = _run(sys.executable, '-W', 'ignore', '-c', code, cwd=installed,
               env={'PYTHONPATH': installed, 'PATH': osp.dirname(
                   sys.executable)})
    models = json.loads(out.strip().splitlines()[-1])
    assert len(models) == len(_config_names())
    recorded = _recorded()
    assert len(recorded) >= 10
    for name, (key, top1) in recorded.items():
        assert models[name][key] == top1, name


def _config_names():
    return sorted(
        osp.splitext(osp.basename(path))[0]
        for path in glob.glob(osp.join(REPO_ROOT, 'configs', '*.py')))


def _metafile_models():
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    models = []
    for path in imports:
        with open(osp.join(REPO_ROOT, path)) as f:
            models += yaml.safe_load(f)['Models']
    return models


def _recorded():
    """``{config: (mim's column, top-1)}`` of the metafiles' results."""
    return {
        model['Name']: (f'{result["Dataset"].lower()}/top_1_accuracy',
                        result['Metrics']['Top 1 Accuracy'])
        for model in _metafile_models()
        for result in model.get('Results', [])
    }


def _anchors(md_path):
    """GitHub's anchors of the headings of a markdown page."""
    anchors, in_code = set(), False
    with open(md_path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('```'):
                in_code = not in_code
            elif not in_code and line.startswith('#'):
                title = line.lstrip('#').strip().lower()
                anchors.add(re.sub(r'[^\w\- ]', '', title).replace(' ', '-'))
    return anchors


def test_mim_search_reads_the_model_index():
    # What ``mim search`` does with the installed model-index.yml, on the
    # checkout's: modelindex loads it, mim tabulates it.
    pytest.importorskip('mim')
    from mim.commands.search import convert2df
    from modelindex.load_model_index import load
    table = convert2df(load(osp.join(REPO_ROOT, 'model-index.yml')))
    assert sorted(table.index) == _config_names()
    for name, (key, top1) in _recorded().items():
        assert table.loc[name, key] == top1, name


def test_metafiles_match_configs_and_docs():
    models = _metafile_models()
    names = [model['Name'] for model in models]
    assert sorted(names) == _config_names()
    for model in models:
        name = model['Name']
        assert model['Config'] == f'configs/{name}.py', name
        assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), name
        results = model.get('Results')
        if results is None:
            continue
        # A result names the docs record that holds its command, and
        # that page gives the number as the metafile does.
        page, _, anchor = model['README'].partition('#')
        assert page.startswith('docs/'), name
        assert anchor in _anchors(osp.join(REPO_ROOT, page)), name
        with open(osp.join(REPO_ROOT, page), encoding='utf-8') as f:
            text = f.read()
        for result in results:
            assert result['Task'] == 'Image Classification', name
            top1 = result['Metrics']['Top 1 Accuracy']
            assert f'{top1:.2f}' in text, (name, top1)
