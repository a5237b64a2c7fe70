"""minishop.models: the sequential recommender (SASRec) and how it is trained.

Read in this order: recommender.py (the model), objectives.py (batches and the three losses),
training.py (data + model + minishop.train + evaluation, as used by `minishop train`).
"""

from minishop.models.objectives import (LOSSES, RecommenderBatch, bce_loss, cross_entropy_loss, make_batch,
                                        sampled_softmax_loss)
from minishop.models.recommender import SequentialRecommender

__all__ = ["SequentialRecommender", "RecommenderBatch", "make_batch", "bce_loss", "cross_entropy_loss",
           "sampled_softmax_loss", "LOSSES"]

# the language tasks (text_lm.py, classifier.py, bow.py, sampling.py)
from minishop.models.bow import BagOfWordsClassifier
from minishop.models.classifier import ReviewClassifier
from minishop.models.text_lm import TextLM

__all__ += ["TextLM", "ReviewClassifier", "BagOfWordsClassifier"]
