from .linear_probe import (PROBE_FILE, LinearProbe, extract_features,
                           fit_linear_probe, linear_probe, load_probe_record)

__all__ = [
    'PROBE_FILE', 'LinearProbe', 'extract_features', 'fit_linear_probe',
    'linear_probe', 'load_probe_record'
]
