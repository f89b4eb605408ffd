"""tools/analysis_tools/compact_report.py on tiny models and data."""
import json
import os
import shutil

import pytest
from PIL import Image

from mmcompact.apis import load_classifier, load_config

from .conftest import load_script

COLUMNS = [
    'model', 'runtime', 'input', 'top-1 (%)', 'params (M)', 'MACs (M)',
    'checkpoint fp32 (MB)', 'checkpoint fp16 (MB)', 'ONNX file (MB)',
    'batch-1 latency, 1 thread (ms)', 'batch-1 latency, 2 threads (ms)',
    'batch-4 throughput, 2 threads (img/s)'
]
NAMES = ['teacher', 'student alone', 'joint student',
         'joint student, ONNX fp32', 'joint student, ONNX int8']


@pytest.fixture(scope='module')
def compact_report():
    return load_script('tools/analysis_tools/compact_report.py')


def _report_args(tiny_models, exported, out):
    student = tiny_models['student_config']
    return [
        '--teacher', tiny_models['teacher_config'],
        tiny_models['teacher_ckpt'], '--student', student,
        tiny_models['student_ckpt'], '--baseline', student,
        tiny_models['baseline_ckpt'], '--onnx', exported['onnx'], '--int8',
        exported['int8'], '--out',
        str(out), '--rounds', '2', '--iters', '1', '--batch', '4',
        '--batch-rounds', '1', '--top1', 'teacher=12.5'
    ]


@pytest.fixture(scope='module')
def report(tiny_models, exported, compact_report, tmp_path_factory):
    out = tmp_path_factory.mktemp('report')
    assert compact_report.main(_report_args(tiny_models, exported, out)) == 0
    return out


def test_writes_three_files(report):
    assert sorted(os.listdir(report)) == [
        'report.json', 'report.md', 'report.png'
    ]
    with open(report / 'report.png', 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    with Image.open(report / 'report.png') as img:
        assert img.width > img.height > 200


def test_markdown_has_the_columns_and_rows(report):
    text = (report / 'report.md').read_text()
    assert '| ' + ' | '.join(COLUMNS) + ' |' in text
    rows = [line for line in text.splitlines() if line.startswith('| ')]
    for name in NAMES:
        assert any(row.startswith(f'| {name} | ') for row in rows), name
    assert '| teacher | PyTorch | 40x40 | 12.5000 (given) |' in text
    assert 'params (teacher / model)' in text
    assert '![top-1 against latency and MACs](report.png)' in text


def test_json_numbers(report, tiny_models, exported):
    data = json.loads((report / 'report.json').read_text())
    assert data['columns'] == COLUMNS
    rows = {m['key']: m for m in data['models']}
    assert list(rows) == ['teacher', 'baseline', 'student', 'onnx', 'int8']
    teacher, student = rows['teacher'], rows['student']
    assert teacher['top1'] == 12.5 and teacher['top1_source'] == 'given'
    assert student['top1_source'] == '20 test images'
    # fp32 ONNX = the PyTorch student on the same images.
    assert rows['onnx']['top1'] == student['top1']
    assert 0 <= rows['int8']['top1'] <= 100

    model = load_classifier(load_config(tiny_models['student_config']),
                            tiny_models['student_ckpt'])
    assert student['params'] == sum(p.numel() for p in model.parameters())
    assert student['size'] == [24, 24] and teacher['size'] == [40, 40]
    assert teacher['macs'] > student['macs'] > 0
    # Half-precision weights take about half the bytes.
    ratio = student['checkpoint_fp16_bytes'] / student[
        'checkpoint_fp32_bytes']
    assert 0.45 < ratio < 0.6, ratio
    assert student['checkpoint_fp32_bytes'] > 4 * student['params']
    assert rows['onnx']['onnx_bytes'] == os.path.getsize(exported['onnx'])
    assert rows['int8']['onnx_bytes'] < rows['onnx']['onnx_bytes']
    for row in rows.values():
        assert set(row['latency_ms']) == {'1', '2'}
        assert all(v > 0 for v in row['latency_ms'].values())
        assert len(row['latency_rounds_ms']['1']) == 2
        assert row['throughput'] > 0

    ratios = {r['key']: r for r in data['ratios']}
    assert list(ratios) == ['baseline', 'student', 'onnx', 'int8']
    assert ratios['student']['params'] == pytest.approx(
        teacher['params'] / student['params'])
    assert ratios['student']['top1_points'] == pytest.approx(
        student['top1'] - 12.5)
    assert ratios['int8']['size'] == pytest.approx(
        teacher['checkpoint_fp32_bytes'] / rows['int8']['onnx_bytes'])


def test_bad_top1_fails_before_work(compact_report, tiny_models, tmp_path):
    args = ['--teacher', tiny_models['teacher_config'],
            tiny_models['teacher_ckpt'], '--student',
            tiny_models['student_config'], tiny_models['student_ckpt'],
            '--out', str(tmp_path / 'out')]
    for bad in ('pupil=50', 'teacher=high', 'teacher=150'):
        with pytest.raises(SystemExit):
            compact_report.main([*args, '--top1', bad])
    assert not (tmp_path / 'out').exists()


def test_failed_rerun_keeps_the_previous_report(report, tiny_models,
                                                exported, compact_report,
                                                tmp_path, monkeypatch):
    out = tmp_path / 'report'
    shutil.copytree(report, out)
    before = {name: (out / name).read_bytes() for name in os.listdir(out)}

    def fail(*args):
        raise RuntimeError('plotting failed')

    # The last of the three files to be made fails: none is written.
    monkeypatch.setattr(compact_report, 'plot', fail)
    with pytest.raises(RuntimeError, match='plotting failed'):
        compact_report.main(_report_args(tiny_models, exported, out))
    after = {name: (out / name).read_bytes() for name in os.listdir(out)}
    assert after == before


def test_linear_probe_of_the_teacher_is_reported(compact_report, tiny_models,
                                                 tmp_path):
    """A teacher whose work dir holds LinearProbeHook's record."""
    work = tmp_path / 'teacher'
    work.mkdir()
    ckpt = work / 'epoch_1.pth'
    shutil.copy(tiny_models['teacher_ckpt'], ckpt)
    (work / 'linear_probe.json').write_text(json.dumps(
        dict(accuracy=61.25, num_train=12, num_val=8, init_head=True)))
    out = tmp_path / 'out'
    assert compact_report.main([
        '--teacher', tiny_models['teacher_config'], str(ckpt), '--student',
        tiny_models['student_config'], tiny_models['student_ckpt'], '--out',
        str(out), '--rounds', '1', '--iters', '1', '--batch', '4',
        '--batch-rounds', '1', '--top1', 'teacher=70', 'student=65'
    ]) == 0
    assert ('features (logistic regression, the reference its fine-tuning '
            'must beat): top-1 61.2500') in (out / 'report.md').read_text()
    assert json.loads((out / 'report.json').read_text())[
        'linear_probe'] == 61.25


def test_budget_of_a_chosen_student_is_reported(compact_report, tiny_models,
                                                tmp_path):
    """A student config written by choose_student.py records its budget."""
    student = tmp_path / 'student_budget.py'
    student.write_text(
        f'_base_ = [{tiny_models["student_config"]!r}]\n'
        "student_budget = dict(budget='MACs <= 1 M', member='w0.5', "
        "measured_on='a CPU, 2026-12-07')\n")
    out = tmp_path / 'out'
    assert compact_report.main([
        '--teacher', tiny_models['teacher_config'],
        tiny_models['teacher_ckpt'], '--student', str(student),
        tiny_models['student_ckpt'], '--out', str(out), '--rounds', '1',
        '--iters', '1', '--batch', '4', '--batch-rounds', '1', '--top1',
        'teacher=70', 'student=65'
    ]) == 0
    assert ('Student chosen for the budget MACs <= 1 M (member w0.5 of its '
            'family') in (out / 'report.md').read_text()
    assert json.loads((out / 'report.json').read_text())['student_budget'][
        'member'] == 'w0.5'
