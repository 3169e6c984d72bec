"""Neural building blocks: the one training loop, losses, negative samplers, shared
layers and distributed training. Imports torch; the models that use it import it on
first use (``import tastemaker`` does not)."""

from tastemaker.nn import distributed, losses, samplers
from tastemaker.nn.loop import Batch, History, TrainConfig, resolve_device, seeded, threads, train
from tastemaker.nn.samplers import NegativeSampler, in_batch_negatives, sample_negatives

__all__ = [
    "Batch",
    "History",
    "NegativeSampler",
    "TrainConfig",
    "distributed",
    "in_batch_negatives",
    "losses",
    "resolve_device",
    "sample_negatives",
    "samplers",
    "seeded",
    "threads",
    "train",
]
