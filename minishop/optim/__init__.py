"""minishop.optim: optimizers (SGD, Adam, AdamW), learning-rate schedules, gradient clipping, weight averaging."""

from minishop.optim.adam import Adam, AdamW
from minishop.optim.averaging import WeightAverage
from minishop.optim.clip import clip_grad_norm
from minishop.optim.optimizer import Optimizer
from minishop.optim.schedules import step_decay, warmup_cosine
from minishop.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "warmup_cosine", "step_decay", "clip_grad_norm", "WeightAverage"]
