from .budget_configs import config_diff, write_budget_configs
from .compact_plan import (CompactPlan, Stage, schedule_length,
                           stage_progress, student_config)
from .compact_summary import summary_lines, val_metrics
from .deployment import (eval_dataloader, evaluate_top1, graph_inputs,
                         load_classifier, load_config, logits_to_samples,
                         onnx_input_size, ort_predictor, ort_session)
from .linear_probe import (PROBE_FILE, LinearProbe, extract_features,
                           fit_linear_probe, linear_probe, load_probe_record)
from .model_cost import (cpu_model, model_complexity, model_input_size,
                         ort_timer, pytorch_timer, state_dict_sizes,
                         time_interleaved)
from .normalized_classifier import NormalizedClassifier
from .onnx_export import (INPUT_NAME, OUTPUT_NAME, CalibrationBatches,
                          export_onnx, quantize_int8, random_calibration)
from .student_family import (StudentCandidate, base_input_size,
                             scaled_student, student_family)
from .training import merge_train_args, parse_train_args, train

__all__ = [
    'PROBE_FILE', 'LinearProbe', 'extract_features', 'fit_linear_probe',
    'linear_probe', 'load_probe_record',
    'eval_dataloader', 'evaluate_top1', 'graph_inputs', 'load_classifier',
    'load_config', 'logits_to_samples', 'onnx_input_size', 'ort_predictor',
    'ort_session', 'cpu_model', 'model_complexity', 'model_input_size',
    'state_dict_sizes', 'time_interleaved', 'ort_timer', 'pytorch_timer',
    'NormalizedClassifier',
    'INPUT_NAME', 'OUTPUT_NAME', 'CalibrationBatches', 'export_onnx',
    'quantize_int8', 'random_calibration',
    'merge_train_args', 'parse_train_args', 'train', 'CompactPlan', 'Stage',
    'schedule_length', 'stage_progress',
    'student_config', 'summary_lines', 'val_metrics', 'config_diff',
    'write_budget_configs', 'StudentCandidate', 'base_input_size',
    'scaled_student', 'student_family'
]
