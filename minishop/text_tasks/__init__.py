"""The language tasks of the shop: a product-description LM and a review classifier.

Read in this order: corpus.py (the texts and their padded id arrays), runs.py (run folders),
lm.py (train / load / generate with the description LM), classify.py (train / load / classify reviews,
against the bag-of-words baseline).
"""

from minishop.text_tasks.classify import (ClassifierTaskConfig, classify_texts, load_classifier, train_classifier,
                                          train_classifier_on_file, train_classifier_on_shop)
from minishop.text_tasks.lm import LMTaskConfig, evaluate_lm, generate_text, load_text_lm, train_description_lm

__all__ = ["LMTaskConfig", "train_description_lm", "load_text_lm", "generate_text", "evaluate_lm",
           "ClassifierTaskConfig", "train_classifier", "train_classifier_on_file", "train_classifier_on_shop",
           "load_classifier", "classify_texts"]
