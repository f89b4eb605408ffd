import pytest

from .conftest import load_script

HEADER = '2026/11/27 {} - mmengine - INFO - \n'
VAL = ('2026/11/27 {} - mmengine - INFO - Epoch(val) [{}][10/10]    '
       'accuracy/top1: {}  data_time: 0.0030  time: 0.3000\n')


def _run(folder, start, vals, end):
    """A run folder with an mmengine-style text log."""
    run = folder / '20261127_000000'
    run.mkdir(parents=True)
    lines = [HEADER.format(start)]
    lines += [VAL.format(t, e, a) for e, (t, a) in enumerate(vals, 1)]
    lines.append(HEADER.format(end))
    (run / '20261127_000000.log').write_text(''.join(lines))
    return str(folder)


@pytest.fixture(scope='module')
def tool():
    return load_script('tools/analysis_tools/accuracy_vs_time.py')


def test_joint_students_start_after_teacher_and_cache(tool, tmp_path,
                                                      capsys):
    teacher = _run(tmp_path / 'teacher', '10:00:00',
                   [('10:20:00', 80.0), ('10:40:00', 85.5)], '10:42:00')
    joint = _run(tmp_path / 'joint', '11:00:00',
                 [('11:03:00', 70.0), ('11:06:00', 83.25)], '11:06:30')
    alone = _run(tmp_path / 'alone', '12:00:00', [('12:06:00', 82.0)],
                 '12:06:10')
    out = tmp_path / 'plot.png'
    assert tool.main([str(out), '--teacher', teacher, '--cache-seconds',
                      '480', '--joint', f'joint={joint}', '--alone',
                      f'alone={alone}']) == 0
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith('| ') and 'run' not in line]
    # Teacher from 0; joint from 42 min (teacher) + 8 min (cache);
    # alone from 0.
    assert rows == [
        '| teacher | 1 | 20.0 | 80.00 |', '| teacher | 2 | 40.0 | 85.50 |',
        '| joint | 1 | 53.0 | 70.00 |', '| joint | 2 | 56.0 | 83.25 |',
        '| alone | 1 | 6.0 | 82.00 |'
    ]


def test_bad_arguments(tool, tmp_path):
    with pytest.raises(FileNotFoundError, match='No mmengine log under'):
        tool.main([str(tmp_path / 'p.png'), '--teacher', str(tmp_path)])
    empty = tmp_path / 'empty' / 'run'
    empty.mkdir(parents=True)
    (empty / 'run.log').write_text(HEADER.format('10:00:00'))
    with pytest.raises(ValueError, match='no "accuracy/top1" validation'):
        tool.main([str(tmp_path / 'p.png'), '--teacher',
                   str(tmp_path / 'empty')])
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'p.png'), '--teacher', 'x', '--joint',
                   'no-label'])
