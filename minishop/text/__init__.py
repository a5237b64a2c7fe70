"""minishop.text: the language tasks of the shop, a product-description LM and a review classifier.

Read in this order:
  lm.py          TextLM: a GPT-style decoder over BPE tokens (generation through the layers' KV cache)
  sampling.py    greedy, temperature, top-k and top-p sampling
  classifier.py  ReviewClassifier: a transformer encoder with pooling and a linear head
  bow.py         the bag-of-words (TF-IDF + logistic regression) baseline
  corpus.py      the texts and their padded id arrays
  word_pairs.py  WordPairVocab: words and neighbouring word pairs as tokens (for the bag of embeddings)
  auto.py        the classifier's settings chosen from the data: a time-boxed contest on an inner split
  training.py    train / load / use both tasks with the one training loop
  cli.py         `minishop train-lm`, `generate`, `train-classifier`, `classify`
"""

from minishop.text.bow import BagOfWordsClassifier
from minishop.text.classifier import ReviewClassifier
from minishop.text.lm import TextLM
from minishop.text.training import (ClassifierTaskConfig, LMTaskConfig, classify_texts, evaluate_lm, generate_text,
                                    load_classifier, load_text_lm, train_classifier, train_description_lm,
                                    train_review_classifier)

__all__ = ["TextLM", "ReviewClassifier", "BagOfWordsClassifier", "LMTaskConfig", "train_description_lm",
           "load_text_lm", "generate_text", "evaluate_lm", "ClassifierTaskConfig", "train_classifier",
           "train_review_classifier", "load_classifier", "classify_texts"]
