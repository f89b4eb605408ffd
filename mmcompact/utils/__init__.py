from .atomic_local_backend import (AtomicLocalBackend, atomic_file,
                                   atomic_path, atomic_write)
from .cfg_options import check_cfg_options, load_checked_config
from .cpu_dist import init_cpu_dist_if_needed
from .deployment import (build_data_preprocessor, eval_dataloader,
                         evaluate_top1, graph_inputs, load_classifier,
                         load_config, logits_to_samples, onnx_input_size,
                         ort_predictor, ort_session)
from .mmpretrain_tools import load_mmpretrain_tool
from .model_config import model_config
from .model_cost import (cpu_model, model_complexity, model_input_size,
                         state_dict_sizes, time_interleaved)
from .normalized_classifier import NormalizedClassifier
from .strict_checkpoint import load_checkpoint_strictly
from .teacher_cache import (dataset_fingerprint, dataset_rel_paths,
                            load_teacher_cache,
                            load_teacher_cache_meta, save_teacher_cache)

__all__ = [
    'load_mmpretrain_tool', 'model_config', 'NormalizedClassifier',
    'build_data_preprocessor', 'eval_dataloader', 'evaluate_top1',
    'graph_inputs', 'load_classifier', 'load_config', 'logits_to_samples',
    'onnx_input_size', 'ort_predictor', 'ort_session', 'cpu_model',
    'model_complexity', 'model_input_size', 'state_dict_sizes',
    'time_interleaved', 'dataset_fingerprint', 'dataset_rel_paths',
    'load_teacher_cache', 'load_teacher_cache_meta', 'save_teacher_cache',
    'init_cpu_dist_if_needed', 'AtomicLocalBackend', 'atomic_file',
    'atomic_path', 'atomic_write', 'check_cfg_options', 'load_checked_config',
    'load_checkpoint_strictly'
]
