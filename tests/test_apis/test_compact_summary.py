import json

from mmcompact.apis import val_metrics


def test_val_metrics_follow_resumed_runs(tmp_path):
    for run, lines in (('20260101_000000', [
            {'teacher/accuracy/top1': 70.0, 'step': 0},
            {'loss': 1.0, 'step': 5}, {'accuracy/top1': 50.0, 'step': 1}]),
                       ('20260101_010000', [
                           {'accuracy/top1': 60.0, 'step': 2},
                           {'accuracy/top1': 55.0, 'step': 3}])):
        folder = tmp_path / run / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(
            '\n'.join(json.dumps(line) for line in lines) + '\n')
    values, teacher = val_metrics(str(tmp_path))
    assert values == [(1, 50.0), (2, 60.0), (3, 55.0)]
    assert teacher == [(0, 70.0)]


