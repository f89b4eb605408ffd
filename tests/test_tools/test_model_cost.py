"""tools/analysis_tools/model_cost.py on the toy teacher."""
import pytest
import torch

from ..conftest import TOY_TEACHER, save_checkpoint, write_config
from .conftest import load_script

FAST = ['--threads', '1', '--rounds', '1', '--iters', '1']


@pytest.fixture(scope='module')
def model_cost():
    return load_script('tools/analysis_tools/model_cost.py')


@pytest.fixture
def toy(tmp_path):
    config = write_config(tmp_path / 'toy.py', f'model = {TOY_TEACHER!r}\n')
    return config, save_checkpoint(TOY_TEACHER, tmp_path / 'toy.pth')


def test_measures_a_model_and_its_checkpoint(model_cost, toy, capsys):
    config, ckpt = toy
    model_cost.main([config, '--checkpoints', ckpt, *FAST])
    rows = [r for r in capsys.readouterr().out.splitlines()
            if r.startswith('| toy.py')]
    assert len(rows) == 1 and '| 40x40 |' in rows[0]


@pytest.mark.parametrize('change', ['missing', 'unexpected'])
def test_refuses_a_checkpoint_that_does_not_fit(model_cost, toy, change):
    """mmengine's ``load_checkpoint`` would load the rest and measure a
    half-random model."""
    config, ckpt = toy
    checkpoint = torch.load(ckpt)
    state = checkpoint['state_dict']
    key = sorted(state)[-1]
    if change == 'unexpected':
        key = 'head.extra.weight'
        state[key] = torch.zeros(1)
    else:
        del state[key]
    torch.save(checkpoint, ckpt)
    with pytest.raises(ValueError, match=rf'1 {change} keys \[{key}\]'):
        model_cost.main([config, '--checkpoints', ckpt, *FAST])
