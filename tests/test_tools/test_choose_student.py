"""tools/analysis_tools/choose_student.py on the scene student's family."""
import json
import os

import pytest
from mmengine.config import Config

from ..conftest import REPO_ROOT
from .conftest import load_script

JOINT = (f'{REPO_ROOT}/configs/'
         'joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached.py')
QUICK = ['--widths', '0.5', '1', '--rounds', '1', '--iters', '1',
         '--train-steps', '1']


@pytest.fixture(scope='module')
def choose_student():
    return load_script('tools/analysis_tools/choose_student.py')


def test_macs_budget_picks_and_writes(choose_student, tmp_path, capsys):
    out = tmp_path / 'configs'
    code = choose_student.main([JOINT, '--macs', '8M', *QUICK, '--write',
                                '--out-dir', str(out), '--json',
                                str(tmp_path / 'c.json')])
    printed = capsys.readouterr().out
    assert code == 0, printed
    record = json.loads((tmp_path / 'c.json').read_text())
    members = {m['name']: m for m in record['members']}
    # w0.5 (about 4 M MACs) fits 8 M, w1 (about 12 M) does not and is
    # not timed.
    assert members['w0.5']['macs'] < 8e6 < members['w1']['macs']
    assert set(members['w0.5']['latency_ms']) == {'pytorch', 'ort-fp32',
                                                  'ort-int8'}
    assert all(v > 0 for v in members['w0.5']['latency_ms'].values())
    assert members['w0.5']['train_img_s'] > 0
    assert 'latency_ms' not in members['w1']
    assert record['pick'] == 'w0.5'
    assert 'pick: w0.5' in printed
    written = sorted(os.listdir(out))
    assert written == [
        'compact_vgg-s4-96px_1xb128_intel_scenes_w0.5.py',
        'joint_effnet-lite0_vgg-s4_1xb128_intel_scenes_cached_w0.5.py']
    compact = Config.fromfile(str(out / written[0]))
    assert compact.model.backbone.widths == (16, 32, 64)
    assert compact.student_budget.budget == 'MACs <= 8 M'
    assert compact.student_budget.macs == members['w0.5']['macs']


def test_unmet_budgets_write_nothing(choose_student, tmp_path, capsys):
    out = tmp_path / 'configs'
    assert choose_student.main([JOINT, '--params', '10k', *QUICK, '--write',
                                '--out-dir', str(out)]) == 1
    assert 'no member fits' in capsys.readouterr().err
    # A latency no model meets: measured, then refused.
    assert choose_student.main([JOINT, '--latency-ms', '1e-6',
                                '--runtime', 'pytorch', '--no-onnx', *QUICK,
                                '--write', '--out-dir', str(out)]) == 1
    assert not out.exists()
    assert choose_student.main([JOINT, *QUICK, '--pick', 'w7']) == 1
    assert 'no such member' in capsys.readouterr().err


def test_bad_arguments(choose_student):
    with pytest.raises(SystemExit):
        choose_student.main([JOINT, '--macs', '-3M'])
    with pytest.raises(SystemExit):
        choose_student.main([JOINT, '--macs', 'thirty'])
    with pytest.raises(SystemExit):
        choose_student.main([JOINT, '--latency-ms', '2', '--no-onnx'])


def test_student_outside_the_family(choose_student, capsys):
    resnet = (f'{REPO_ROOT}/configs/'
              'joint_effnet-lite0_resnet20_1xb128_cifar10_cached.py')
    assert choose_student.main([resnet, '--macs', '50M', *QUICK]) == 1
    assert "scales CifarVGG students; this config's backbone is " \
        "'CifarResNet'" in capsys.readouterr().err
