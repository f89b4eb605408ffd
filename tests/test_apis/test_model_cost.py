import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from torch import nn

import mmcompact  # noqa: F401
from mmcompact.apis import (model_complexity, model_input_size,
                            state_dict_sizes, time_interleaved)

from ..conftest import TOY_TEACHER


def test_time_interleaved_rounds_and_threads():
    calls = []

    def factory(name):
        def make(threads):
            calls.append((name, 'built', threads, torch.get_num_threads()))
            return lambda: calls.append((name, threads))
        return make

    before = torch.get_num_threads()
    times = time_interleaved({'a': factory('a'), 'b': factory('b')},
                             threads=[1, 2], rounds=3, iters=2, warmup=1)
    assert torch.get_num_threads() == before
    assert set(times) == {'a', 'b'}
    assert {t: len(v) for t, v in times['a'].items()} == {1: 3, 2: 3}
    assert all(s > 0 for v in times['b'].values() for s in v)
    # torch's thread count is set before the factory builds the call.
    assert ('a', 'built', 2, 2) in calls
    # Per thread count: 1 warm-up call each, then a-a-b-b rounds.
    runs = [c for c in calls if len(c) == 2 and c[1] == 1]
    assert [n for n, _ in runs] == ['a', 'b'] + ['a', 'a', 'b', 'b'] * 3
    with pytest.raises(ValueError):
        time_interleaved({'a': factory('a')}, [1], rounds=0, iters=1)


def test_sizes_complexity_and_input_size():
    linear = nn.Linear(1000, 100)
    fp32, fp16 = state_dict_sizes(linear)
    assert fp32 > 4 * 100100
    assert 0.45 < fp16 / fp32 < 0.55

    init_default_scope('mmpretrain')
    model = MODELS.build(TOY_TEACHER).eval()
    assert model_input_size(model) == (40, 40)
    assert model_input_size(model, 32) == (40, 40)
    params, macs = model_complexity(model, (40, 40))
    assert params == sum(p.numel() for p in model.parameters())
    assert macs > params
    model.data_preprocessor.size = None
    assert model_input_size(model, 32) == (32, 32)
    with pytest.raises(ValueError, match='--input-size'):
        model_input_size(model)
