"""benchmarks/student_front.py on a toy network's fake runs."""
import json
import os.path as osp
import re

from mmengine.registry import init_default_scope

from mmcompact.utils import import_script

from ..conftest import TOY_TEACHER, save_checkpoint, write_config


def _run(folder, top1, seed=0):
    """A work dir as the runner leaves it: a checkpoint and its log."""
    folder.mkdir()
    ckpt = save_checkpoint(TOY_TEACHER, folder / 'epoch_1.pth', seed=seed)
    (folder / 'last_checkpoint').write_text(ckpt)
    scalars = folder / '20261207_000000' / 'vis_data'
    scalars.mkdir(parents=True)
    (scalars / 'scalars.json').write_text(''.join(
        json.dumps({'accuracy/top1': value, 'step': step}) + '\n'
        for step, value in enumerate((top1 - 10, top1), 1)))
    return str(folder)


def test_front_table_json_and_plot(repo_root, tmp_path, capsys):
    init_default_scope('mmpretrain')
    front = import_script(osp.join(repo_root, 'benchmarks',
                                   'student_front.py'))
    config = write_config(tmp_path / 'toy.py', f'model = {TOY_TEACHER!r}\n')
    spec = {
        'set A': [
            dict(label='w1', kind='joint', config=config,
                 work_dir=[_run(tmp_path / 'j0', 60.0),
                           _run(tmp_path / 'j1', 61.0, seed=1)]),
            dict(label='w1', kind='alone', config=config,
                 work_dir=_run(tmp_path / 'a', 55.5)),
        ],
        'set B': [dict(label='Lite0 64 px', kind='pretrained',
                       config=config, work_dir=_run(tmp_path / 'p', 70.0))],
    }
    spec_file = tmp_path / 'spec.json'
    spec_file.write_text(json.dumps(spec))
    out = tmp_path / 'front.png'
    assert front.main([str(spec_file), '--out', str(out), '--json',
                       str(tmp_path / 'front.json'), '--rounds', '1',
                       '--iters', '1']) == 0
    printed = capsys.readouterr().out
    # The last validation of each work dir; seeds averaged.
    assert re.search(r'\| set A \| w1 \| joint \| 40 \| .* \| '
                     r'60\.00 / 61\.00 \(mean 60\.50\) \|', printed), printed
    assert '| set A | w1 | alone |' in printed and '55.50 |' in printed
    runs = json.loads((tmp_path / 'front.json').read_text())['runs']
    assert [r['top1'] for r in runs] == [60.5, 55.5, 70.0]
    assert all(r['int8_ms'] > 0 and r['macs'] > 0 for r in runs)
    assert out.stat().st_size > 10000
