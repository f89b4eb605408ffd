"""tools/deployment/export_onnx.py and demo/image_demo.py on a tiny student.
"""
import glob
import json
import os
import os.path as osp
import re

import numpy as np
import onnx
import pytest
import torch

from mmcompact.apis import onnx_export
from mmcompact.apis import (NormalizedClassifier, eval_dataloader,
                            graph_inputs, load_classifier, load_config,
                            ort_session)

from ..conftest import CIFAR10_CLASSES, REPO_ROOT
from .conftest import load_script


def _student(tiny_models):
    cfg = load_config(tiny_models['student_config'])
    return load_classifier(cfg, tiny_models['student_ckpt'])


def test_export_verifies_and_matches_pytorch(tiny_models, export_onnx,
                                             tmp_path, capsys):
    out = str(tmp_path / 'student.onnx')
    code = export_onnx.main([
        tiny_models['student_config'], tiny_models['student_ckpt'], '--out',
        out, '--verify', '--verify-images', '8'
    ])
    printed = capsys.readouterr().out
    assert code == 0, printed
    match = re.search(r'verify fp32: (\d+) test images, max \|dlogit\| '
                      r'(\S+) .* agreement (\d+)/(\d+) .*: OK', printed)
    assert match, printed
    assert int(match[1]) == 8 and match[3] == match[4] == '8'
    assert float(match[2]) < 1e-3
    # Only the final file: the temporary one was renamed.
    assert os.listdir(tmp_path) == ['student.onnx']

    proto = onnx.load(out)
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta['input_layout'] == 'NCHW'
    assert meta['input_channel_order'] == 'RGB'
    assert meta['input_range'] == '0-255'
    assert meta['input_size'] == '24x24'
    assert json.loads(meta['classes']) == list(CIFAR10_CLASSES)
    folded = json.loads(meta['normalization_folded'])
    assert folded['mean'] == pytest.approx([125.3, 123.0, 113.9])

    # Any batch size; raw pixels in, the PyTorch model's logits out.
    model = _student(tiny_models)
    session = ort_session(out)
    assert session.get_inputs()[0].shape[1:] == [3, 24, 24]
    for n in (1, 3):
        x = torch.rand(n, 3, 24, 24) * 255
        with torch.no_grad():
            ref = model(model.data_preprocessor({'inputs': x})['inputs'],
                        mode='tensor').numpy()
        got = session.run(None, {'input': x.numpy()})[0]
        assert got.shape == (n, 10)
        np.testing.assert_allclose(got, ref, atol=1e-4, rtol=1e-4)


def test_int8_path_runs(tiny_models, exported, export_onnx, tmp_path,
                        capsys):
    assert exported['int8'].endswith('student.int8.onnx')
    ops = {n.op_type for n in onnx.load(exported['int8']).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear', 'Conv'} <= ops
    assert 'QuantizeLinear' not in {
        n.op_type for n in onnx.load(exported['onnx']).graph.node
    }
    # Close to fp32 on the test images.
    cfg = load_config(tiny_models['student_config'])
    batch = next(iter(eval_dataloader(cfg, 'test', 8)))
    x = graph_inputs(batch['inputs'], _student(tiny_models).data_preprocessor,
                     (24, 24))
    fp32 = ort_session(exported['onnx']).run(None, {'input': x.numpy()})[0]
    int8 = ort_session(exported['int8']).run(None, {'input': x.numpy()})[0]
    assert int8.shape == fp32.shape
    spread = np.abs(fp32).max()
    assert np.abs(int8 - fp32).max() < 0.25 * spread

    # --eval scores both on the test set.
    out = str(tmp_path / 'eval.onnx')
    code = export_onnx.main([
        tiny_models['student_config'], tiny_models['student_ckpt'], '--out',
        out, '--int8', '--calib', '4', '--eval', '--max-int8-drop', '100'
    ])
    printed = capsys.readouterr().out
    assert code == 0, printed
    match = re.search(r'top-1 on (\d+) test images: ONNX fp32 (\S+) %, int8 '
                      r'(\S+) %', printed)
    assert match and match[1] == '20', printed
    assert sorted(os.listdir(tmp_path)) == ['eval.int8.onnx', 'eval.onnx']


def test_forced_mismatch_fails_and_writes_nothing(tiny_models, export_onnx,
                                                  tmp_path, monkeypatch,
                                                  capsys):

    class Shifted(NormalizedClassifier):
        """Logits moved by a per-class offset: the graph disagrees."""

        def forward(self, inputs):
            logits = super().forward(inputs)
            return logits + torch.arange(logits.size(1),
                                         dtype=logits.dtype) * 10

    monkeypatch.setattr(onnx_export, 'NormalizedClassifier', Shifted)
    out = str(tmp_path / 'bad.onnx')
    code = export_onnx.main([
        tiny_models['student_config'], tiny_models['student_ckpt'], '--out',
        out, '--verify', '--verify-images', '4'
    ])
    captured = capsys.readouterr()
    assert code == 1
    assert 'FAILED' in captured.out
    assert 'not written' in captured.err
    assert os.listdir(tmp_path) == []


def test_bad_arguments_fail_before_work(tiny_models, export_onnx, tmp_path):
    cfg, ckpt = tiny_models['student_config'], tiny_models['student_ckpt']
    with pytest.raises(SystemExit):
        export_onnx.main([cfg, ckpt, '--out', str(tmp_path / 'x.pt')])
    with pytest.raises(SystemExit):
        export_onnx.main([cfg, str(tmp_path / 'missing.pth'), '--out',
                          str(tmp_path / 'x.onnx')])
    with pytest.raises(SystemExit):
        export_onnx.main([cfg, ckpt, '--out', str(tmp_path / 'x.onnx'),
                          '--eval'])
    joint = osp.join(REPO_ROOT, 'configs',
                     'joint_effnet-lite0_resnet20_1xb128_cifar10.py')
    with pytest.raises(ValueError, match='JointLearningClassifier'):
        export_onnx.main([joint, ckpt, '--out', str(tmp_path / 'x.onnx')])
    assert os.listdir(tmp_path) == []


def test_demo_checkpoint_and_onnx_agree(tiny_models, exported, capsys):
    demo = load_script('demo/image_demo.py')
    images = sorted(
        glob.glob(osp.join(tiny_models['data_root'], 'test', '*',
                           '*.jpg')))[::5]
    results = {}
    for option, path in (('--checkpoint', tiny_models['student_ckpt']),
                         ('--onnx', exported['onnx'])):
        assert demo.main([
            *images, '--config', tiny_models['student_config'], option,
            path, '--topk', '2'
        ]) == 0
        # One line per image, in order. The inferencer also prints its
        # progress (a rich live display, which may share a line with the
        # first result) and the checkpoint it loads.
        out = capsys.readouterr().out
        found = re.findall(
            '(' + '|'.join(map(re.escape, images)) + r'): (.*)', out)
        assert [path for path, _ in found] == images
        results[option] = [
            re.findall(r'(\w+) \(([\d.]+)\)', rest) for _, rest in found
        ]
    for ckpt, onnx_ in zip(results['--checkpoint'], results['--onnx']):
        assert [c for c, _ in ckpt] == [c for c, _ in onnx_]
        assert all(c in CIFAR10_CLASSES for c, _ in ckpt)
        np.testing.assert_allclose([float(s) for _, s in ckpt],
                                   [float(s) for _, s in onnx_], atol=2e-4)
