"""benchmarks/cpu_bench.py: per-round ratios and an end-to-end tiny run."""
import os.path as osp
import re

import pytest

from mmcompact.utils import import_script

from ..conftest import TEACHER_SIZE, run_tool, write_small_teacher_config


@pytest.fixture(scope='module')
def cpu_bench(repo_root):
    return import_script(osp.join(repo_root, 'benchmarks', 'cpu_bench.py'))


def test_ratios_are_paired_within_rounds(cpu_bench):
    # Round 2 is slower for both sides: the per-round ratios are 1.1 and 0.9
    # (median 1.0); the ratio of the medians would be 1.45 / 1.5 = 0.97.
    # Without --compile: the compiled variants and their ratios are absent.
    times = {key: [1.0, 2.0] for key in cpu_bench.ROUND_ORDER
             if key not in cpu_bench.COMPILE_KEYS}
    times[('bare', True)] = [1.1, 1.8]
    times[('cached', True)] = [1.2, 2.0]
    rows = dict(cpu_bench.ratio_rows(times))
    assert rows['toolbox / bare, bf16'] == '1.00 (0.90-1.10)'
    assert rows['stage 2, cached teacher / student alone, step time '
                '(bf16)'] == '1.10 (1.00-1.20)'
    assert rows['toolbox / bare, fp32'] == '1.00 (1.00-1.00)'
    assert len(rows) == len(cpu_bench.RATIOS)


def test_tiny_run_prints_the_whole_table(tiny_cifar, python, repo_root,
                                         tmp_path):
    teacher = write_small_teacher_config(
        tmp_path, 'teacher_effnet-lite0-f4-96px_1xb64_cifar10.py')
    log = run_tool(
        python, repo_root, 'cpu_bench.py', '--config',
        'configs/joint_effnet-lite0-f4_cifarvgg_1xb512_cifar10.py',
        '--data-root', tiny_cifar, '--short', '--images', '24', '--iters',
        '1', '--rounds', '2',
        cfg_options=['train_dataloader.batch_size=8',
                     f'model.teacher.cfg_path={teacher}'],
        folder='benchmarks')
    assert 'short mode: batch 8, 1 iterations x 2 interleaved rounds, ' \
        '24 training images' in log
    assert f'teacher input {TEACHER_SIZE}x{TEACHER_SIZE}' in log
    rows = dict(re.findall(r'^\| (.+?) \| (.+?) \|$', log, re.M))
    rows.pop('measurement')
    # throughputs (student 6, teacher fine-tuning 2, cache tool 2), the
    # ratios, latencies; no compile variants without --compile.
    assert len(rows) == 10 + 8 + 6
    assert not any('compile' in name for name in rows)
    for name, value in rows.items():
        if re.search(r'\((img|views)/s\)|\(ms\)|latency', name):
            assert float(value) > 0, name
        else:
            med, low, high = map(float, re.fullmatch(
                r'(\S+) \((\S+)-(\S+)\)', value).groups())
            assert 0 < low <= med <= high, name
