# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 10 — Language for the shop: writing product names and reading reviews
#
# The transformer that predicts a shopper's next item can just as well predict the next *word*. A shop has
# two language jobs: **writing** (product names and descriptions for thousands of listings) and
# **reading** (what shoppers say in reviews). This lesson trains a tiny GPT-style language model on the
# catalogue, looks closely at how a next token is *chosen* (greedy, temperature, top-k, top-p), sees why
# generation keeps a key/value cache, and then trains a review classifier against a bag-of-words
# baseline and looks at which words it attended to.
#
# **Learning goals.** After this lesson you can
# 1. train `minishop.text.TextLM` with the shared training loop and compare its perplexity with unigram and bigram baselines;
# 2. write temperature scaling and nucleus (top-p) filtering, and see in a plot how they reshape a next-token distribution;
# 3. explain the key/value cache, check that cached and uncached logits agree, and measure the time per token;
# 4. train `ReviewClassifier` against the bag-of-words baseline and read accuracy, macro-F1 and confusion matrices;
# 5. plot which tokens a prediction attended to — and say what that does and does not show.
#
# **Prerequisites.** Lessons 3 (BPE), 5 (attention, causal and padding masks), 7 (Adam) and 8 (the training
# loop); softmax and cross-entropy.
#
# **Study time:** about 2.5 hours (the notebook itself runs in well under two minutes).

# %%
import tempfile
import time

import matplotlib.pyplot as plt
import numpy as np

import minishop
from minishop.eval import text_metrics
from minishop.text.classifier import RATING_CLASSES
from minishop.text.sampling import next_token_probs, softmax
from minishop.text.lm import TextLM
from minishop.tensor import no_grad
from minishop.text import ClassifierTaskConfig, classify_texts, corpus, load_classifier, train_classifier
from minishop.text.training import evaluate_lm
from minishop.tokenizers import DEFAULT_SPECIAL_TOKENS, BPETokenizer
from minishop.train import TrainConfig, train
from checks import hint  # noqa: F401  (hint(name, 2) shows the next hint of an exercise)
from checks.lesson10 import check_macro_f1, check_nucleus, check_quiz, check_with_temperature

minishop.manual_seed(0)  # minishop's generator: parameter initialisation, dropout
rng = np.random.default_rng(0)  # ours, for sampling examples
np.set_printoptions(precision=3, suppress=True)
run_folder = tempfile.mkdtemp(prefix="minishop_lesson10_")  # checkpoints of this lesson's runs

# %% [markdown]
# ## 1. A tiny language model of product names
#
# `minishop.text.train_description_lm` trains the full description model (a couple of minutes or
# more). To stay quick we take a smaller job with the same parts: each product gives one short document
# `"<leaf category> | <title>"`, such as `phones | Zenith Echo K8 Smartphone`. A BPE tokenizer (lesson 3) turns
# them into ids `<bos> … <eos>`; 10% of the products are held out for validation.
#
# The model is a causal transformer (lesson 8's blocks) with tied input and output embeddings; it is
# trained to maximise the probability of each next token,
#
# $$L = -\frac{1}{N}\sum_{t} \log p_\theta(x_{t+1} \mid x_{\le t}),\qquad \text{perplexity} = e^{L}.$$
#
# Perplexity is "how many tokens the model is hesitating between", on average: 1 is certainty, the
# vocabulary size is a uniform guess.

# %%
products = corpus.shop_products()  # the catalogue (pandas DataFrame)
documents = [f"{category.split('>')[-1].strip()} | {title}"
             for category, title in zip(products["category"], products["title"])]
valid_index, train_index = corpus.split_indices(len(documents), [0.1], seed=0)
train_docs = [documents[i] for i in np.sort(train_index)]
valid_docs = [documents[i] for i in np.sort(valid_index)]

n_special = len(DEFAULT_SPECIAL_TOKENS)  # <pad>, <bos>, <eos>, ...
tokenizer = BPETokenizer.train(train_docs, vocab_size=256 + 302 + n_special)  # bytes + 302 merges + special tokens
pad_id, bos_id, eos_id = (tokenizer.special_tokens[name] for name in ("<pad>", "<bos>", "<eos>"))
train_set = corpus.encode_texts(tokenizer, train_docs, max_len=40)  # <bos> ids <eos>
valid_set = corpus.encode_texts(tokenizer, valid_docs, max_len=40)
print(documents[0], "->", [tokenizer.decode([t]) for t in train_set.sequences[0]])
print(f"{n_special} special tokens: {', '.join(DEFAULT_SPECIAL_TOKENS)}")
print(f"{len(train_docs)} training and {len(valid_docs)} validation documents, vocabulary {tokenizer.vocab_size}, "
      f"{train_set.truncated + valid_set.truncated} cut to 40 tokens")

# %% [markdown]
# The shared loop `minishop.train.train` needs three things from a task: batches, a loss and (optionally) a
# validation function. Our batches are right-padded id arrays; `TextLM.loss` ignores the padding.

# %%
def batches(rng):  # one epoch of shuffled, right-padded (B, T) id arrays
    return [corpus.pad_right([train_set.sequences[i] for i in index], pad_id)[0]
            for index in corpus.batch_indices(len(train_set.sequences), 16, rng)]


minishop.manual_seed(0)
lm = TextLM(tokenizer.vocab_size, d_model=48, n_blocks=2, n_heads=2, max_len=40, dropout=0.0)
lm_run = train(lm, batches, lambda model, ids: model.loss(ids, pad_id),
               TrainConfig(epochs=12, lr=1e-2, optimizer="adamw", warmup_steps=10, schedule="cosine",
                           monitor="perplexity", mode="min", eval_every=1, progress=False, seed=0),
               evaluate=lambda model: evaluate_lm(model, valid_set.sequences, pad_id),
               out_dir=f"{run_folder}/lm")
lm.eval()

unigram = text_metrics.UnigramLM(tokenizer.vocab_size).fit(train_set.sequences)
bigram = text_metrics.best_bigram(train_set.sequences, valid_set.sequences, tokenizer.vocab_size)
print(f"validation perplexity: TextLM {evaluate_lm(lm, valid_set.sequences, pad_id)['perplexity']:.2f}, "
      f"bigram {bigram.perplexity(valid_set.sequences):.2f}, unigram {unigram.perplexity(valid_set.sequences):.2f} "
      f"({lm_run.seconds:.0f} s of training)")

epochs = [record["epoch"] for record in lm_run.history]
plt.figure(figsize=(6, 3.2))
plt.plot(epochs, [record["train_loss"] for record in lm_run.history], "o-", label="training loss")
plt.plot(epochs, [record["valid_loss"] for record in lm_run.history], "s-", label="validation loss")
plt.axhline(np.log(bigram.perplexity(valid_set.sequences)), color="gray", ls=":", label="bigram baseline")
plt.xlabel("epoch")
plt.ylabel("cross-entropy per token")
plt.legend()
plt.title("TextLM on product names")
plt.show()

# %% [markdown]
# The transformer beats the bigram model because it sees the *whole* prefix: after `phones | Zenith …` the
# next pieces depend on the category named several tokens earlier, which a bigram cannot see.
#
# ## 2. Choosing the next token
#
# After a prompt the model gives one **logit** $z_v$ per vocabulary entry. How we turn logits into a choice
# matters as much as the model:
#
# - **greedy**: $\arg\max_v z_v$. Deterministic, and prone to loops and bland text.
# - **temperature** $T$: sample from $p_v = \dfrac{e^{z_v/T}}{\sum_u e^{z_u/T}}$. $T<1$ sharpens the
#   distribution towards the argmax (as $T\to0$ it *is* greedy), $T>1$ flattens it towards uniform.
# - **top-k**: keep only the $k$ most probable tokens, renormalise, sample (Fan et al. 2018).
# - **top-p** (nucleus): keep the smallest set of most probable tokens whose probabilities add up to at least
#   $p$, renormalise, sample (Holtzman et al. 2020). When the model is sure, the nucleus is one or two
#   tokens; when it is unsure, it is wide. That adaptivity is why top-p is the usual default.
#
# Let us look at the distribution after `"phones |"`, where the model must pick a brand:

# %%
prompt = "phones |"
prompt_ids = [bos_id] + tokenizer.encode(prompt, allowed_special="none")
with no_grad():
    logits = lm(np.array([prompt_ids])).numpy()[0, -1].astype(np.float64)  # (V,) next-token logits

settings = {"T = 1": dict(), "T = 0.5": dict(temperature=0.5), "T = 2": dict(temperature=2.0),
            "top-k = 5": dict(top_k=5), "top-p = 0.8": dict(top_p=0.8)}
shown = np.argsort(-logits)[:12]  # the 12 most probable tokens at T = 1
fig, axes = plt.subplots(1, len(settings), figsize=(15, 3.4), sharey=True)
for ax, (title, options) in zip(axes, settings.items()):
    probs = next_token_probs(logits, **options)  # (V,) minishop's sampler distribution
    ax.bar(range(len(shown)), probs[shown])
    ax.set_xticks(range(len(shown)), [repr(tokenizer.decode([t]))[1:-1] for t in shown], rotation=90, fontsize=8)
    ax.set_title(f"{title}  ({int((probs > 0).sum())} tokens possible)", fontsize=9)
axes[0].set_ylabel("probability of the next token")
fig.suptitle(f"the next token after {prompt!r}, reshaped")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Exercise 1 — temperature
# Write `with_temperature(logits, T)` returning the probabilities $\operatorname{softmax}(z/T)$ of a 1-D array of
# logits. Subtract the maximum before exponentiating (lesson 5). The check compares with minishop's
# `next_token_probs(logits, temperature=T)`.

# %%
def with_temperature(logits, T):
    """softmax(logits / T) for a 1-D array of logits."""
    return None  # your code here


# %%
check_with_temperature(with_temperature, logits)  # against minishop's next_token_probs(logits, temperature=T)

# %% [markdown]
# ### Exercise 2 — the nucleus
# Write `nucleus(probs, p)`: given a probability vector, keep the most probable tokens, in decreasing order,
# until their total reaches at least `p` (always keep at least one), set the others to 0 and renormalise.
# (`np.argsort(-probs)`, `np.cumsum`, then count how many you need.) The check compares with
# `next_token_probs(logits, top_p=p)`.

# %%
def nucleus(probs, p):
    """The top-p (nucleus) filtered and renormalised distribution."""
    return None  # your code here


# %%
check_nucleus(nucleus, logits)  # against minishop's next_token_probs(logits, top_p=p)

# %% [markdown]
# Now the same model writes new product names under each rule (`TextLM.generate`, seeded, stops at
# `<eos>`):

# %%
for prompt in ["phones |", "coffee makers |", "dog food |"]:
    ids = [bos_id] + tokenizer.encode(prompt, allowed_special="none")
    for name, options in {"greedy": dict(greedy=True), "T = 0.7": dict(temperature=0.7),
                          "top-p 0.9": dict(top_p=0.9), "T = 2": dict(temperature=2.0)}.items():
        text = tokenizer.decode(lm.generate(ids, max_new_tokens=20, eos_id=eos_id, seed=1, **options))
        print(f"{name:9s} {prompt}{text}")
    print()

# %% [markdown]
# Read them as a sampler's report card. Greedy decoding is deterministic, and it *can* fall into a loop:
# once a token is the most probable continuation of itself, the argmax never leaves it — the classic
# failure of greedy text (whether it shows here depends on the run). $T = 0.7$ and top-p mostly give
# plausible names — a brand, a model, a noun — though a model this small (a few seconds of training on the
# few hundred names counted above) sometimes picks the wrong noun for the category or misspells one.
# $T = 2$ flattens the distribution so much that it spells out words that do not exist.
#
# ## 3. Why a key/value cache
#
# To generate token $n+1$, a causal model needs the keys and values of tokens $1..n$ in every block. Without
# a cache we re-run all $n$ positions at every step: $O(n)$ work per token and $O(n^2)$ for the whole text.
# But because of the causal mask, **the keys and values of old tokens never change** when new tokens are
# appended. So we keep them (per block: $K, V$ of shape $(B, H, n, d_{\text{head}})$) and each step computes
# only the new token's query, key and value, then attends to the cache: $O(1)$ positions of work per
# block, plus the $O(n)$ dot products with the cached keys.
#
# The cache lives in the attention layers (`minishop.nn.attention.KVCache`, one per block, allocated once
# with room for `max_len` tokens): `lm(new_tokens, cache=cache)` is that step. First, correctness: feeding
# tokens one at a time through the cache must give the same logits as one full forward pass.

# %%
sequence = train_set.sequences[0]  # (T,) a whole training document
with no_grad():
    full = lm(np.array([sequence])).numpy()[0]  # (T, V) every position at once, no cache
cache = lm.new_cache()
with no_grad():  # the cache keeps plain arrays, no graph: it is for inference
    stepwise = np.concatenate([lm(np.array([[token]]), cache=cache).numpy()[0] for token in sequence])  # (T, V)
print(f"largest difference between cached and uncached logits: {np.abs(full - stepwise).max():.2e} "
      f"over {full.size} logits")

# %% [markdown]
# Now speed. Product names are short, so to see the effect we time an untrained model with room for 128
# tokens (timing does not depend on the weights): step $n$ without a cache runs the model on all $n$
# tokens; with a cache it runs one.

# %%
minishop.manual_seed(0)
timing_model = TextLM(tokenizer.vocab_size, d_model=48, n_blocks=2, n_heads=2, max_len=128, dropout=0.0).eval()
tokens = rng.integers(0, tokenizer.vocab_size, size=128).tolist()
seconds_cached, seconds_full = [], []
cache = timing_model.new_cache()
with no_grad():
    for n in range(1, 129):
        start = time.perf_counter()
        timing_model(np.array([tokens[n - 1:n]]), cache=cache)  # one new position
        seconds_cached.append(time.perf_counter() - start)
        start = time.perf_counter()
        timing_model(np.array([tokens[:n]]))  # all n positions again
        seconds_full.append(time.perf_counter() - start)

positions = np.arange(1, 129)
plt.figure(figsize=(6, 3.5))
plt.plot(positions, 1e3 * np.array(seconds_full), ".", label="no cache: re-run the prefix")
plt.plot(positions, 1e3 * np.array(seconds_cached), ".", label="key/value cache: one position")
plt.xlabel("length of the text so far")
plt.ylabel("milliseconds for the next token")
plt.legend()
plt.title("time per generated token")
plt.show()
print(f"128 tokens: {sum(seconds_full):.2f} s without a cache, {sum(seconds_cached):.2f} s with it")

# %% [markdown]
# Without the cache the cost per token grows with the length of the text; with it, it stays almost flat
# (the small growth is the dot products with the longer cache). The uncached curve may rise in steps rather
# than smoothly: as the matrices grow, the BLAS library behind NumPy changes strategy (for example starts
# using several threads), which on a busy machine costs more than it saves. At these tiny sizes Python overhead is a
# large part of each step, so the gap is smaller than for a real model; the price of the cache is memory,
# $2 \times \text{blocks} \times n \times d_{\text{model}}$ numbers per sequence.
#
# ## 4. Reading reviews: a transformer against bag-of-words
#
# Reviews carry a 1–5 star rating, so they come labelled for free. `minishop.text.ReviewClassifier` is a
# **bidirectional** encoder (no causal mask: every token sees the whole review), mean-pooled into one vector
# and a linear head. The baseline, `minishop.text.bow.BagOfWordsClassifier`, is TF-IDF word and word-pair
# counts with logistic regression: no word order beyond pairs.
#
# `minishop.text.train_classifier` trains both on the same split (70% train, 10% validation, 20%
# test) and scores them with the same functions. To stay quick we take 1,500 reviews, a 1-block model
# and 4 epochs, and predict the star rating (five classes).

# %%
reviews = corpus.shop_reviews()
chosen = np.random.default_rng(0).permutation(len(reviews.texts))[:1500]  # a fixed sample
texts = [reviews.texts[i] for i in chosen]
stars = [reviews.ratings[i] - 1 for i in chosen]  # class 0..4 = 1..5 stars
config = ClassifierTaskConfig(tokenizer="bpe", vocab_size=256 + 302 + n_special, d_model=32, n_blocks=1, n_heads=2, max_len=40, pooling="mean", epochs=4,
                              batch_size=32, lr=5e-3, warmup_steps=10, patience=0, seed=0)
results = train_classifier(texts, stars, RATING_CLASSES, f"{run_folder}/reviews", config, progress=False)
for name in ("model", "bow"):
    print(f"{name:5s} accuracy {results[name]['accuracy']:.3f}   macro-F1 {results[name]['macro_f1']:.3f}")
print(texts[0], "->", stars[0] + 1, "stars")

# %% [markdown]
# **Accuracy** is the share of correct predictions. With unbalanced classes it flatters a model that ignores
# a rare class, so we also report **macro-F1**: for each class $c$, precision $P_c$ (of the reviews predicted
# $c$, the share that are $c$) and recall $R_c$ (of the reviews that are $c$, the share found), their harmonic
# mean $F1_c = 2P_cR_c/(P_c + R_c)$, then the plain average over classes. From a confusion matrix $M$
# (row = true class, column = predicted), $F1_c = \dfrac{2M_{cc}}{\sum_j M_{cj} + \sum_i M_{ic}}$.
#
# ### Exercise 3 — macro-F1 from a confusion matrix
# Write `macro_f1(confusion)` for a `(C, C)` confusion matrix in which every class occurs: the per-class
# F1 with the formula above, averaged over the $C$ classes. It is checked against
# `minishop.eval.text_metrics.macro_f1` on unbalanced classes (where macro-F1 and accuracy differ). Then
# the next cell applies it to our model's confusion matrix.

# %%
def macro_f1(confusion):
    """The unweighted mean over classes of F1_c = 2 M_cc / (row sum + column sum)."""
    return None  # your code here


# %%
check_macro_f1(macro_f1)  # against minishop.eval.text_metrics.macro_f1

# %%
confusion = np.array(results["model"]["confusion_matrix"])  # (5, 5) rows: true stars, columns: predicted
if macro_f1(confusion) is not None:
    print(f"your macro-F1 of the model: {macro_f1(confusion):.4f}; train_classifier's: {results['model']['macro_f1']:.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, name in zip(axes, ("model", "bow")):
    matrix = np.array(results[name]["confusion_matrix"])
    ax.imshow(matrix, cmap="Blues")
    for i in range(5):
        for j in range(5):
            ax.text(j, i, matrix[i, j], ha="center", va="center", color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xticks(range(5), [f"{s}★" for s in RATING_CLASSES])
    ax.set_yticks(range(5), [f"{s}★" for s in RATING_CLASSES])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{'ReviewClassifier' if name == 'model' else 'bag-of-words'}: macro-F1 {results[name]['macro_f1']:.2f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# Look for the largest off-diagonal cells: on this shop they tend to be **2 stars read as 4 stars** and back
# (the next cell counts them). Many 2-star reviews are *mixed*: *"Mixed feelings about this heater. … simple to use, but it is
# really poor value"*, *"The grey colour looks dull in person, even though it does a good job"*.
# They contain the same words of praise and complaint as 4-star reviews; what differs is which clause
# *wins* ("but", "even though") — word order, which a bag of words mostly throws away and a transformer can
# learn — with enough data. With 1,050 training reviews, one block and four epochs, compare the two printed
# accuracies and macro-F1s: a small transformer often does not beat the counting baseline here, a reminder
# to always train the simple baseline. (The full
# `minishop train-classifier` defaults train a bigger model on all reviews.) Grouping the stars into
# negative / neutral / positive sentiment shows that this one confusion crosses the sentiment boundary:

# %%
for name in ("model", "bow"):
    matrix = np.array(results[name]["confusion_matrix"])
    print(f"{name:5s} 2★ read as 4★: {matrix[1, 3]}, 4★ read as 2★: {matrix[3, 1]} "
          f"(of {matrix[1].sum()} and {matrix[3].sum()} reviews)")
to_sentiment = np.array([0, 0, 1, 2, 2])  # 1-2 stars negative, 3 neutral, 4-5 positive
for name in ("model", "bow"):
    matrix = np.array(results[name]["confusion_matrix"])
    correct = sum(matrix[i, j] for i in range(5) for j in range(5) if to_sentiment[i] == to_sentiment[j])
    print(f"{name:5s} sentiment accuracy {correct / matrix.sum():.3f}")

# %% [markdown]
# ## 5. Which words did the classifier attend to?
#
# `classify_texts` returns, with each prediction, how much attention each token *received* in the last
# block, averaged over heads and over the query tokens (`ReviewClassifier.token_importance`):

# %%
classifier, classifier_tokenizer, classes = load_classifier(f"{run_folder}/reviews")
review = "The colour looks tacky in person, even though it does a great job."
answer = classify_texts(classifier, classifier_tokenizer, classes, [review])[0]
print("predicted:", answer["label"], "stars;", {k: round(v, 2) for k, v in answer["probabilities"].items()})
most = sorted(answer["attention"], key=lambda pair: -pair[1])[:3]
print("most attended tokens:", ", ".join(f"{token!r} ({weight:.2f})" for token, weight in most))

tokens = [token for token, _ in answer["attention"]]
weights = np.array([weight for _, weight in answer["attention"]])
plt.figure(figsize=(12, 3))
plt.bar(range(len(tokens)), weights)
plt.xticks(range(len(tokens)), [repr(t)[1:-1] for t in tokens], rotation=90, fontsize=8)
plt.ylabel("attention received")
plt.title("last-block attention of the review classifier")
plt.tight_layout()
plt.show()

# %% [markdown]
# Compare the most attended tokens (printed above) with the words that decide this review: the turn of
# the sentence, "even though", and the complaint "tacky". If the attention rests on them, the model has
# noticed that they matter — which is not the same as knowing which way they tip the rating (look at its
# two most probable answers). Attention is a view of where the last block *read from*, not a proof of why the model decided: the
# earlier block has already mixed the tokens, and mean pooling adds every token's vector regardless of
# attention. Lesson 12 tests such explanations by removing what they point at and measuring the effect.
#
# ## Reflection
# 1. Why does top-p with $p = 0.9$ sometimes allow a single token and sometimes fifty?
# 2. The cache makes each step cheap, but what grows with the length of the text? When would that matter?
# 3. Suppose our transformer loses to bag-of-words on 1,050 reviews (compare the printed scores). Name two
#    changes that would most likely reverse that, and one reason the baseline might still be the better
#    product choice.

# %% [markdown]
# ## Quiz
# Answer each question with the letter of one choice, then run the check.
#
# 1. Dividing the logits by a temperature $T < 1$ (a) flattens the distribution, (b) sharpens it towards the argmax, (c) leaves it unchanged.
# 2. Top-p keeps (a) the smallest set of most probable tokens whose probabilities reach $p$, (b) the $p$ most probable tokens, (c) every token above probability $p$.
# 3. A key/value cache is exact for a causal model because (a) it stores the logits, (b) it uses a smaller model, (c) old tokens' keys and values never change when new tokens come.
# 4. With unbalanced classes, macro-F1 (a) equals accuracy, (b) counts a rare class as much as a common one, (c) ignores rare classes.

# %%
quiz_answers = {1: None, 2: None, 3: None, 4: None}  # your answers: "a", "b" or "c"

# %%
check_quiz(quiz_answers)
