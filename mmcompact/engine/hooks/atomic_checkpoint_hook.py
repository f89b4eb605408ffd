import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmpretrain.registry import HOOKS

from mmcompact.utils import atomic_write


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``; a run killed while saving loses nothing.

    mmengine's hook (0.10) has three windows in which a kill (``kill -9``,
    out of memory, a full disk) costs the run: it writes the checkpoint
    straight into its final file, so a partial file can be left under the
    real name; with ``max_keep_ckpts`` it deletes the outdated checkpoint
    *before* writing the new one, so with ``max_keep_ckpts=1`` there is a
    moment with no checkpoint at all while ``last_checkpoint`` still names
    the deleted file; and with ``save_best`` it deletes the previous best
    checkpoint before writing the new best. Here:

    - checkpoints of a local ``out_dir`` are written through
      :class:`~mmcompact.utils.AtomicLocalBackend` (a temporary file, then
      a rename), unless ``backend_args`` or ``file_client_args`` choose
      another storage;
    - ``last_checkpoint`` is rewritten the same way, after the new
      checkpoint is complete;
    - the outdated checkpoint, and the previous best one, are deleted last.

    So ``last_checkpoint`` always names a complete file, ``--resume`` finds
    the newest complete checkpoint, and a best checkpoint is on disk once
    the first one is written. A kill between the rename and the deletion
    leaves the outdated file on disk (not deleted later); a kill while
    writing leaves a hidden ``.<name>.<host>.<pid>.tmp`` file beside the
    checkpoints, which nothing reads and which the next write of that
    checkpoint (after ``--resume``) removes.

    Args:
        **kwargs: Passed to mmengine's ``CheckpointHook``.
    """

    def before_train(self, runner) -> None:
        out_dir = self.out_dir or runner.work_dir
        if self.backend_args is None and self.file_client_args is None \
                and '://' not in str(out_dir):
            self.backend_args = dict(backend='atomic_local')
        super().before_train(runner)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # mmengine's method with its steps reordered: bookkeeping, save,
        # last_checkpoint, and only then delete the outdated checkpoint.
        outdated = None
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            # _save_checkpoint and _save_best_checkpoint may both save the
            # same step; it is kept once.
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        if not is_main_process():
            return
        atomic_write(self.last_ckpt.encode(),
                     osp.join(runner.work_dir, 'last_checkpoint'))
        if outdated is not None:
            self._remove(self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(outdated)))

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # mmengine removes the previous best checkpoint before it writes the
        # new one. Hidden from it, the previous one is removed here once the
        # new one is complete.
        if not self.save_best:
            return
        single = len(self.key_indicators) == 1
        previous = ({'': self.best_ckpt_path} if single else dict(
            self.best_ckpt_path_dict))
        if single:
            self.best_ckpt_path = None
        else:
            self.best_ckpt_path_dict = dict.fromkeys(previous)
        super()._save_best_checkpoint(runner, metrics)
        for key, old in previous.items():
            new = self.best_ckpt_path if single else \
                self.best_ckpt_path_dict[key]
            if new is None:  # not beaten: still the best
                if single:
                    self.best_ckpt_path = old
                else:
                    self.best_ckpt_path_dict[key] = old
            elif old is not None and old != new and is_main_process():
                self._remove(old)
                runner.logger.info(
                    f'The previous best checkpoint {old} is removed')

    def _remove(self, path) -> None:
        """Delete a checkpoint, if it is there."""
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            # Checkpoints saved by DeepSpeed are directories.
            self.file_backend.rmtree(path)
