"""minishop.recsys: the sequential recommender (SASRec), from model to command line.

Read in this order:
  model.py       SequentialRecommender: item + position embeddings, causal transformer blocks, tied scores
  objectives.py  padded training batches and the three losses (BCE, full softmax, sampled softmax)
  training.py    RecommenderConfig and train_recommender: data -> model -> minishop.train -> evaluation -> run folder
  explain.py     top-k recommendations with the history items the model attended to ("because you ...")
  runfiles.py    what makes a run folder self-contained: id maps, the data's fingerprint, aligning data by raw ids
  inference.py   minishop.load_run(folder): recommend() and score() on raw ids, without reading the data again
  cli.py         `minishop train`, `evaluate`, `recommend`
"""

from minishop.recsys.model import SequentialRecommender
from minishop.recsys.objectives import (LOSSES, RecommenderBatch, bce_loss, cross_entropy_loss, make_batch,
                                        sampled_softmax_loss)

__all__ = ["SequentialRecommender", "RecommenderBatch", "make_batch", "bce_loss", "cross_entropy_loss",
           "sampled_softmax_loss", "LOSSES"]
