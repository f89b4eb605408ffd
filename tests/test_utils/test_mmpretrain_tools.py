import pytest

from mmcompact.utils import load_mmpretrain_tool


def test_loads_a_tool_without_running_it():
    train = load_mmpretrain_tool('train.py')
    assert callable(train.parse_args) and callable(train.merge_args)
    assert train.__name__ == 'mmpretrain_tools_train'


def test_names_a_missing_tool():
    with pytest.raises(FileNotFoundError, match='no_such_tool.py'):
        load_mmpretrain_tool('no_such_tool.py')
