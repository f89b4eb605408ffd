from .min_length_sampler import MinLengthSampler

__all__ = ['MinLengthSampler']
