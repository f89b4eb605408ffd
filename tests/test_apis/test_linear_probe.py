import pytest
import torch
from mmpretrain.registry import MODELS

from mmcompact.apis import extract_features, fit_linear_probe
from mmcompact.apis.linear_probe import WEIGHT_DECAYS


def _blobs(n_per_class, centres, noise, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.cat([c + noise * torch.randn(n_per_class, len(c), generator=gen)
                   for c in centres])
    y = torch.arange(len(centres)).repeat_interleave(n_per_class)
    return x, y


def test_separable_features_are_fitted_exactly():
    # Feature scales far apart: the fit standardises, the probe applies to
    # the raw features.
    centres = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0],
                            [0.0, 100.0, 0.0]]) * torch.tensor([1, 1, 1e3])
    x, y = _blobs(20, centres, noise=0.01)
    probe = fit_linear_probe(x, y, num_classes=3)
    assert probe.weight.shape == (3, 3) and probe.bias.shape == (3, )
    assert probe.accuracy(x, y) == 100.0
    assert probe.cv_accuracy == 100.0
    assert probe.weight_decay in WEIGHT_DECAYS
    # Deterministic.
    again = fit_linear_probe(x, y, num_classes=3)
    torch.testing.assert_close(again.weight, probe.weight)


def _signal_and_noise(n, dims, signal, seed):
    """Two classes ``signal`` apart in every dimension, unit noise."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(2).repeat(n // 2)
    x = torch.randn(n, dims, generator=gen) + signal * (2 * y - 1)[:, None]
    return x, y


@pytest.mark.parametrize('dims,signal', [(100, 0.2), (200, 0.25)])
def test_weight_decay_is_chosen_by_cross_validation(dims, signal):
    x, y = _signal_and_noise(40, dims, signal, seed=1)
    alone = {wd: fit_linear_probe(x, y, 2, weight_decays=(wd, ))
             for wd in (1e-6, 10.0)}
    probe = fit_linear_probe(x, y, 2, weight_decays=(1e-6, 10.0))
    best = max(alone.values(), key=lambda p: (p.cv_accuracy, p.weight_decay))
    assert probe.weight_decay == best.weight_decay  # ties: the larger
    assert probe.cv_accuracy == best.cv_accuracy
    torch.testing.assert_close(probe.weight, best.weight)


def test_folds_are_stratified():
    # 50 + 10 samples of two classes far apart: any fold holds both, so
    # even a probe shrunk to its bias scores above the majority share.
    x = torch.cat([torch.zeros(50, 1), 10 + torch.zeros(10, 1)])
    x += 0.01 * torch.randn(60, 1, generator=torch.Generator().manual_seed(0))
    y = torch.cat([torch.zeros(50), torch.ones(10)]).long()
    probe = fit_linear_probe(x, y, 2, weight_decays=(1e-3, ))
    assert probe.cv_accuracy == 100.0


def test_bad_inputs_are_refused():
    x, y = _blobs(3, torch.eye(2), noise=0.1)
    with pytest.raises(ValueError, match=r'labels must lie in \[0, 1\)'):
        fit_linear_probe(x, y, num_classes=1)
    with pytest.raises(ValueError, match='got 6 features and 5 labels'):
        fit_linear_probe(x, y[:5], num_classes=2)


class _Images:
    """A dataset of packed random images with labels 0, 1, 0, 1, ..."""

    def __init__(self, n):
        from mmpretrain.datasets.transforms import PackInputs
        self.pack = PackInputs()
        gen = torch.Generator().manual_seed(0)
        self.imgs = torch.randint(0, 256, (n, 16, 16, 3), generator=gen,
                                  dtype=torch.uint8).numpy()

    def __len__(self):
        return len(self.imgs)

    def get_data_info(self, i):
        return dict(img=self.imgs[i], gt_label=i % 2)

    def __getitem__(self, i):
        return self.pack(self.get_data_info(i))


def test_features_are_the_heads_inputs_in_eval_mode():
    model = MODELS.build(dict(
        type='ImageClassifier',
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.0] * 3,
                               std=[128.0] * 3),
        backbone=dict(type='CifarResNet', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=64)))
    model.train()
    data = _Images(5)
    feats, labels = extract_features(model, data, batch_size=2)
    assert model.training  # restored
    assert feats.shape == (5, 64) and labels.tolist() == [0, 1, 0, 1, 0]
    model.eval()
    with torch.no_grad():
        batch = model.data_preprocessor(
            dict(inputs=[data[i]['inputs'] for i in range(5)]), False)
        expected = model.extract_feat(batch['inputs'])[-1]
    torch.testing.assert_close(feats, expected)


def test_dead_channels_get_no_large_weights():
    """A channel constant on the training set (a dead ReLU) must not get a
    weight that explodes when it moves a little (fine-tuning diverged)."""
    x, y = _blobs(20, torch.tensor([[0.0, 0.0], [1.0, 1.0]]), noise=0.2)
    gen = torch.Generator().manual_seed(1)
    dead = 3.0 + 1e-4 * torch.randn(40, 1, generator=gen)  # almost constant
    probe = fit_linear_probe(torch.cat([x, dead], 1), y, num_classes=2)
    assert probe.accuracy(torch.cat([x, dead], 1), y) == 100.0
    assert probe.weight[:, 2].abs().max() < 1.0
