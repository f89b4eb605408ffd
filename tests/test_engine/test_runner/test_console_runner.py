"""ConsoleRunner: progress and top-1 on the console, the log in its file."""
import glob
import json

from mmengine.logging import MMLogger

from mmcompact.engine import ConsoleRunner, quiet_console
from mmcompact.engine.hooks.console_progress_hook import _clock

from ..conftest import tiny_runner


def test_console_shows_top1_per_validation_the_log_keeps_all(
        tmp_path, tiny_data, capsys):
    runner = tiny_runner(tmp_path / 'work', tiny_data, max_epochs=2,
                         runner_cls=ConsoleRunner)
    runner.train()
    out = capsys.readouterr().out
    # Not a terminal: no bar, one line per validation, and the logger's
    # warnings but mmengine's deprecation notices.
    assert 'HardDiskBackend' not in out  # said once a process, if at all
    lines = [line for line in out.splitlines()
             if ' - mmengine - WARNING - ' not in line]
    assert [line.split('  top-1 ')[0] for line in lines] == [
        '  epoch 1/2', '  epoch 2/2'], out
    scalars, = glob.glob(str(tmp_path / 'work' / '*' / 'vis_data' /
                             'scalars.json'))
    with open(scalars) as f:
        top1 = [json.loads(line)['accuracy/top1'] for line in f
                if 'accuracy/top1' in line]
    assert [float(line.split('top-1 ')[1].split()[0])
            for line in lines] == [round(v, 2) for v in top1]
    assert f'(best {max(top1):.2f})' in lines[-1]
    assert 'elapsed, ETA 0:00' in lines[-1]
    log, = glob.glob(str(tmp_path / 'work' / '*' / '*.log'))
    with open(log, encoding='utf-8') as f:
        text = f.read()
    # What mmengine would have printed is in the log file.
    assert 'environment' in text and 'Epoch(train)' in text
    assert 'environment' not in out and 'Epoch(train)' not in out


def test_clock():
    assert _clock(5) == '0:05'
    assert _clock(125.9) == '2:05'
    assert _clock(3 * 3600 + 61) == '3:01:01'


def test_quiet_console_keeps_warnings_and_drops_mmengine_notices(capsys):
    logger = MMLogger.get_instance('quiet_console_test',
                                   logger_name='quiet_console_test')
    quiet_console(logger)
    logger.info('an info record')
    logger.warning('"HardDiskBackend" is the alias of "LocalBackend"')
    logger.warning('a real warning')
    out = capsys.readouterr().out
    assert 'a real warning' in out
    assert 'info record' not in out and 'HardDiskBackend' not in out
