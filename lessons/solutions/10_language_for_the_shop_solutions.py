# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 10 — Language for the shop: solutions
#
# The solved exercises of `10_language_for_the_shop.ipynb`, each with the setup it needs and the same check
# as the lesson. Try the exercises first! To stay quick, this notebook trains nothing: the logits of
# exercises 1–2 are random numbers of the vocabulary's size, and the confusion matrix of exercise 3 comes
# from random labels scored by `minishop.eval.text_metrics` — the checks compare with minishop all the same.

# %%
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where checks.py lives (this notebook runs in lessons/solutions/)
import minishop
from minishop.eval import text_metrics
from minishop.text.classifier import RATING_CLASSES
from minishop.text.sampling import next_token_probs, softmax
from checks import check_close, check_function

minishop.manual_seed(0)
rng = np.random.default_rng(0)
logits = rng.standard_normal(564) * 2.5  # (V,) stand-in next-token logits


# %% [markdown]
# ### Exercise 1 — temperature

# %%
def with_temperature(logits, T):
    """softmax(logits / T) for a 1-D array of logits."""
    z = np.asarray(logits, dtype=np.float64) / T
    e = np.exp(z - z.max())  # every exponent <= 0: no overflow
    return e / e.sum()


# %%
_z = rng.standard_normal(7) * 3
check_function(
    with_temperature,
    [((logits, 1.0), next_token_probs(logits, temperature=1.0)),
     ((logits, 0.5), next_token_probs(logits, temperature=0.5)),
     ((_z, 3.0), next_token_probs(_z, temperature=3.0))],
    hint="z = logits / T; e = np.exp(z - z.max()); return e / e.sum()",
)


# %% [markdown]
# ### Exercise 2 — the nucleus

# %%
def nucleus(probs, p):
    """The top-p (nucleus) filtered and renormalised distribution."""
    order = np.argsort(-probs, kind="stable")  # most probable first
    cumulative = np.cumsum(probs[order])
    n_keep = int(np.searchsorted(cumulative, p)) + 1  # first place where the running total reaches p
    kept = np.zeros_like(probs)
    kept[order[:n_keep]] = probs[order[:n_keep]]
    return kept / kept.sum()


# %%
check_function(
    nucleus,
    [((softmax(logits), 0.8), next_token_probs(logits, top_p=0.8)),
     ((softmax(logits), 0.3), next_token_probs(logits, top_p=0.3)),
     ((softmax(_z), 0.95), next_token_probs(_z, top_p=0.95))],
    hint="order = np.argsort(-probs); n = np.searchsorted(np.cumsum(probs[order]), p) + 1; "
         "keep order[:n], zero the rest, divide by the sum",
)

# %% [markdown]
# ### Exercise 3 — macro-F1 from a confusion matrix

# %%
true = rng.integers(0, 5, size=300)
predicted = np.where(rng.random(300) < 0.7, true, rng.integers(0, 5, size=300))  # right 70% of the time, roughly
results = {"model": text_metrics.classification_report(true, predicted, RATING_CLASSES)}

confusion = np.array(results["model"]["confusion_matrix"])  # (5, 5) rows: true stars, columns: predicted
f1 = 2 * np.diag(confusion) / (confusion.sum(axis=1) + confusion.sum(axis=0))  # (5,) per class
model_macro_f1 = f1.mean()

# %%
check_close(model_macro_f1, results["model"]["macro_f1"], name="model_macro_f1",
            hint="f1 = 2 * np.diag(confusion) / (confusion.sum(axis=1) + confusion.sum(axis=0)); f1.mean()")
