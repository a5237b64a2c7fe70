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
# exercises 1–2 are random numbers of the vocabulary's size, and exercise 3's check builds its own confusion
# matrices — the checks compare with minishop all the same.

# %%
import sys

import numpy as np

sys.path.insert(0, "..")  # lessons/, where the checks live (this notebook runs in lessons/solutions/)
import minishop
from checks.lesson10 import check_macro_f1, check_nucleus, check_quiz, check_with_temperature

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
check_with_temperature(with_temperature, logits)  # against minishop's next_token_probs(logits, temperature=T)


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
check_nucleus(nucleus, logits)  # against minishop's next_token_probs(logits, top_p=p)


# %% [markdown]
# ### Exercise 3 — macro-F1 from a confusion matrix

# %%
def macro_f1(confusion):
    """The unweighted mean over classes of F1_c = 2 M_cc / (row sum + column sum)."""
    f1 = 2 * np.diag(confusion) / (confusion.sum(axis=1) + confusion.sum(axis=0))  # (C,) per class
    return f1.mean()


# %%
check_macro_f1(macro_f1)  # against minishop.eval.text_metrics.macro_f1

# %% [markdown]
# ## Reflection — answers
#
# 1. Top-p adapts to the model's certainty: when one token already has probability 0.95 the nucleus for
#    $p = 0.9$ is that single token; when the model hesitates (after "phones |", any of dozens of brands
#    is plausible) the probabilities are spread out and fifty tokens may be needed to reach 0.9.
# 2. The cache itself: per block, keys and values for every token so far, $2 \times \text{blocks} \times n
#    \times d_{\text{model}}$ numbers per sequence, and the attention of each new token still reads all $n$
#    cached keys. It matters for long texts and many sequences at once (serving many users): memory, not
#    compute, becomes the limit.
# 3. More data (all reviews, not 1,050) and more training (more epochs, a wider or deeper model, a
#    pre-trained language model's weights) would most likely let the transformer learn what word order
#    adds. The baseline may still be the better product: it trains in a second, is easy to explain and to
#    audit (every word has a weight), and is cheap to run.

# %% [markdown]
# ## Quiz

# %%
quiz_answers = {1: "b", 2: "a", 3: "c", 4: "b"}

# %%
check_quiz(quiz_answers)
