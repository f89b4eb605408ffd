"""Set-up script of mmcompact (mim-style: configs and tools ship in
``mmcompact/.mim`` so that ``mim train mmcompact ...`` finds them)."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup


def readme():
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version():
    version_file = osp.join('mmcompact', 'version.py')
    scope = {}
    with open(version_file, encoding='utf-8') as f:
        exec(compile(f.read(), version_file, 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname):
    """Read one requirements file, skipping comments and blank lines."""
    with open(fname, encoding='utf-8') as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


def add_mim_extension():
    """Expose ``configs``, ``tools`` and the model index for ``mim``.

    Wheels and sdists get copies in ``mmcompact/.mim``, so a regular
    install (``pip install .``, ``mim install .``) has
    ``<site-packages>/mmcompact/.mim/tools/train.py``, the script that
    ``mim train mmcompact`` runs, and ``.mim/model-index.yml`` (importing
    ``configs/metafiles/*.yml``), which ``mim search mmcompact`` reads
    (``tests/test_tools/test_mim.py``).
    Editable installs (``develop``/``editable_wheel``) get symlinks in the
    checkout's ``mmcompact/.mim``, so edits are seen at once; mim does not
    look there: it takes ``<location of the distribution>/mmcompact``,
    which for a PEP 660 editable install (setuptools >= 64) is
    ``site-packages/mmcompact``, a folder such an install does not create
    (the package stays in the checkout, found through an import hook).
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv
             for cmd in ('sdist', 'bdist_wheel', 'install', 'build')):
        mode = 'copy'
    else:
        return

    repo_path = osp.dirname(osp.abspath(__file__))
    mim_path = osp.join(repo_path, 'mmcompact', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for filename in ('configs', 'tools', 'model-index.yml'):
        src_path = osp.join(repo_path, filename)
        tar_path = osp.join(mim_path, filename)
        if osp.islink(tar_path) or osp.isfile(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            os.symlink(osp.relpath(src_path, mim_path), tar_path)
        elif osp.isfile(src_path):
            shutil.copyfile(src_path, tar_path)
        else:
            shutil.copytree(src_path, tar_path)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmcompact',
        version=get_version(),
        description='Compact CNN transfer learning (fine-tuned teacher + '
        'joint learning with soft targets) as an OpenMMLab plugin',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='computer vision, image classification, knowledge '
        'distillation, compact CNN, transfer learning',
        packages=find_packages(exclude=('configs', 'tools', 'tests',
                                        'tests.*', 'benchmarks', 'docs',
                                        'demo')),
        include_package_data=True,
        package_data={'mmcompact': ['.mim/model-index.yml',
                                    '.mim/configs/**/*.py',
                                    '.mim/configs/**/*.txt',
                                    '.mim/configs/**/*.yml',
                                    '.mim/tools/**/*.py',
                                    '.mim/tools/**/*.sh']},
        python_requires='>=3.9',
        license='Apache License 2.0',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'deploy': parse_requirements('requirements/deploy.txt'),
            'tensorboard': parse_requirements('requirements/tensorboard.txt'),
            # The tests cover the deploy tools too.
            'tests': parse_requirements('requirements/tests.txt') +
            parse_requirements('requirements/deploy.txt'),
        },
        zip_safe=False)
