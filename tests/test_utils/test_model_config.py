from mmengine.config import Config

from mmcompact.utils import model_config

PRE = dict(type='ClsDataPreprocessor', mean=[1.0, 2.0, 3.0])


def test_fills_in_the_top_level_data_preprocessor():
    cfg = Config(dict(model=dict(type='ImageClassifier'),
                      data_preprocessor=PRE))
    model = model_config(cfg)
    assert model.data_preprocessor == PRE
    # A copy: the config is left as it was.
    model.data_preprocessor.mean[0] = 9.0
    assert 'data_preprocessor' not in cfg.model
    assert cfg.data_preprocessor.mean[0] == 1.0


def test_keeps_the_models_own_data_preprocessor():
    own = dict(type='ClsDataPreprocessor', mean=[4.0, 5.0, 6.0])
    cfg = Config(dict(model=dict(type='ImageClassifier',
                                 data_preprocessor=own),
                      data_preprocessor=PRE))
    assert model_config(cfg).data_preprocessor == own


def test_without_any_data_preprocessor():
    cfg = Config(dict(model=dict(type='ImageClassifier')))
    assert model_config(cfg).to_dict() == dict(type='ImageClassifier')
