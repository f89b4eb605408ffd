import pytest

from mmcompact.utils import import_script


def test_imports_a_script_without_running_its_main(tmp_path):
    script = tmp_path / 'my_tool.py'
    script.write_text('VALUE = 3\n\n'
                      "if __name__ == '__main__':\n"
                      "    raise SystemExit('main ran')\n")
    module = import_script(str(script))
    assert module.VALUE == 3 and module.__name__ == 'my_tool'
    assert import_script(str(script), 'other').__name__ == 'other'


def test_names_a_missing_script(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.py'):
        import_script(str(tmp_path / 'nowhere.py'))
