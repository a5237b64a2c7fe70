"""Settings chosen from the data: a small, time-boxed contest among candidate classifiers.

No one set of settings serves every labelled file. On the bundled shop's five thousand reviews, whose verdict
often hangs on word order ("not bad at all", "great, except ..."), a transformer over BPE pieces is far
ahead of bag-of-words; on a thousand real movie or product sentences the same transformer learns its training
set by heart and a bag of word and word-pair embeddings (fastText, Joulin et al. 2017) does better. So the
settings that shape the model are left open (None) unless the user gives them, and the run decides:

1. Candidates, cheapest first (CANDIDATES): a bag of word and word-pair embeddings (n_blocks=0, mean
   pooling: fastText's model) and the transformer over BPE pieces. A setting the user typed is written
   into every candidate, so a typed flag switches its choice off (candidates that become equal are
   merged; if one is left, there is no contest).
2. An inner split: the examples that are not in the test part are cut (seeded) into an inner training part
   and an inner validation part (INNER_VALID of them). The test part is never looked at.
3. A time box, kept by counting work, not by a clock, so the same data and seed choose the same candidate
   on any machine: each candidate's cost per epoch is estimated from the words of the inner training texts
   (tokens per word, and seconds per token on one CPU core, in COST), and every candidate is trained for
   the same number of epochs E, the most that fit in `auto_seconds` (at most the run's epochs). When
   fewer than MIN_EPOCHS fit, the dearest candidate is left out, and said so.
4. Each candidate trains for E epochs (early stopping as in the run) and is scored by its best macro-F1
   on the inner validation part; the best wins (on a tie, the cheaper). The winner's settings are then
   trained as usual, on the run's own training and validation parts.

Two settings are not in the contest but follow a rule: `max_len`, the longest training sequence rounded up
to a multiple of 32, at most MAX_LEN_CAP (a bag of embeddings costs one step per token, so it may read the
whole review; attention costs T^2), and `average_from`, 1 for a bag of embeddings and 0 for a transformer.

results.json keeps the record: which settings were chosen automatically, the candidates with their scores,
epochs and seconds, and the one chosen.
"""

import math
import time
from dataclasses import replace

from minishop import backend
from minishop.tokenizers.words import split_words

np = backend.np  # host arrays: the indices of examples

AUTOMATIC = ("tokenizer", "n_blocks", "pooling")  # the settings the contest decides when left at None
CANDIDATES = (  # (what it is, its settings), cheapest first
    ("fastText-like", {"n_blocks": 0, "tokenizer": "words+pairs", "pooling": "mean"}),
    ("transformer", {"n_blocks": 2, "tokenizer": "bpe", "pooling": "mean"}),
)
INNER_VALID = 0.25  # share of the non-test examples the contest scores on
MIN_EPOCHS = 2  # fewer epochs than this would judge a candidate before it has learned anything
MAX_LEN_CAP = {"bag": 256, "transformer": 128}

# The estimated cost of training: tokens per word (by tokenizer) and seconds per training token on one CPU
# core (bag of embeddings / transformer of width 64, 2 blocks; measured on the files of bench/README.md).
# Only the time box uses them; they make it depend on the data, not on how busy the machine is.
COST = {"tokens_per_word": {"words": 1.0, "words+pairs": 1.9, "bpe": 1.7},
        "seconds_per_token": {"bag": 4e-6, "transformer": 1.3e-4}}


def kind(settings):
    """'bag' (no blocks: a mean over token embeddings) or 'transformer'."""
    return "bag" if settings["n_blocks"] == 0 else "transformer"


def fitted_max_len(lengths, n_blocks):
    """The longest of the training sequences' `lengths` rounded up to a multiple of 32 (nearby lengths give
    the same model), at most MAX_LEN_CAP for this kind of model."""
    longest = 32 * math.ceil(max(lengths, default=1) / 32)
    return min(longest, MAX_LEN_CAP["bag" if n_blocks == 0 else "transformer"])


def fitted_average_from(n_blocks):
    """Weight averaging from the first epoch for a bag of embeddings (it fits its training set within a few
    epochs, and the mean of its epochs is steadier than any one of them); none for a transformer."""
    return 1 if n_blocks == 0 else 0


def open_settings(config):
    """The names in AUTOMATIC that the config leaves open (None)."""
    return [name for name in AUTOMATIC if getattr(config, name) is None]


def candidates_for(config):
    """[(name, settings)] of CANDIDATES with the settings the config fixes written in, duplicates merged."""
    fixed = {name: getattr(config, name) for name in AUTOMATIC if getattr(config, name) is not None}
    result = []
    for _, settings in CANDIDATES:
        settings = {**settings, **fixed}
        if settings not in [seen for _, seen in result]:
            result.append((describe(settings), settings))
    return result


def estimated_seconds_per_epoch(settings, n_words):
    """The cost model COST applied to n_words words of training text."""
    tokens = n_words * COST["tokens_per_word"][settings["tokenizer"]]
    return tokens * COST["seconds_per_token"][kind(settings)]


def contest_epochs(candidates, n_words, config):
    """(E, kept candidates, left out): E = the epochs each candidate gets inside config.auto_seconds."""
    kept, left_out = list(candidates), []
    while True:
        per_epoch = sum(estimated_seconds_per_epoch(settings, n_words) for _, settings in kept)
        epochs = min(config.epochs, int(config.auto_seconds // per_epoch)) if per_epoch > 0 else config.epochs
        if epochs >= MIN_EPOCHS or len(kept) == 1:
            return max(epochs, 1), kept, left_out
        dearest = max(kept, key=lambda candidate: estimated_seconds_per_epoch(candidate[1], n_words))
        kept.remove(dearest)
        left_out.append(dearest[0])


def describe(settings):
    """A candidate's name from its settings: "bag of embeddings, words+pairs, mean pooling", ..."""
    model = "bag of embeddings" if settings["n_blocks"] == 0 else f"transformer ({settings['n_blocks']} blocks)"
    return f"{model}, {settings['tokenizer']}, {settings['pooling']} pooling"


def choose(texts, parts, config, fit):
    """(config with every AUTOMATIC setting filled in, the record for results.json).

    parts: the run's {"train", "valid", "test"} index arrays; fit(config, train_index, valid_index) trains
    one candidate and returns its minishop.train.TrainResult (whose history holds the validation scores).
    The record: {"by_contest": the settings the contest chose, "chosen": the winner's name, "candidates":
    [{"name", "settings", "macro_f1", "accuracy", "best_epoch", "epochs_run", "seconds", ...}],
    "left_out", "epochs_each", "inner": {"train", "valid", "words"}, "seconds_budget", "seconds"}.
    """
    started = time.perf_counter()
    candidates = candidates_for(config)
    record = {"by_contest": open_settings(config), "chosen": describe(candidates[0][1]), "candidates": [],
              "left_out": [], "epochs_each": None, "inner": None, "seconds_budget": config.auto_seconds}
    if len(candidates) > 1:
        pool = np.sort(np.concatenate([parts["train"], parts["valid"]]))
        order = np.random.default_rng(config.seed + 1).permutation(len(pool))  # not the run's own split
        n_valid = max(1, int(round(INNER_VALID * len(pool))))
        inner_valid, inner_train = np.sort(pool[order[:n_valid]]), np.sort(pool[order[n_valid:]])
        n_words = sum(len(split_words(texts[i])) for i in inner_train)
        epochs, candidates, left_out = contest_epochs(candidates, n_words, config)
        record.update(inner={"train": len(inner_train), "valid": len(inner_valid), "words": n_words},
                      epochs_each=epochs, left_out=left_out)
    if len(candidates) > 1:
        for name, settings in candidates:
            record["candidates"].append(_contest_entry(fit, config, settings, epochs, inner_train, inner_valid,
                                                       n_words))
        winner = max(record["candidates"], key=lambda c: c["macro_f1"])  # the first (cheaper) of equal scores
    else:
        winner = {"name": describe(candidates[0][1]), "settings": candidates[0][1]}
    seconds = round(time.perf_counter() - started, 2) if record["candidates"] else None  # None: no contest
    record.update(chosen=winner["name"], seconds=seconds)
    return replace(config, **winner["settings"]), record


def _contest_entry(fit, config, settings, epochs, inner_train, inner_valid, n_words):
    """Train one candidate on the inner split; its scores, epochs and time, as results.json records them."""
    start = time.perf_counter()
    run = fit(replace(config, **settings, epochs=epochs), inner_train, inner_valid)
    best = next((record for record in run.history if record.get("epoch") == run.best_epoch), {})
    entry = {"name": describe(settings), "settings": settings,
             "macro_f1": best.get("valid_macro_f1", -math.inf), "accuracy": best.get("valid_accuracy", math.nan),
             "best_epoch": run.best_epoch, "epochs_run": run.epochs_run,
             "seconds": round(time.perf_counter() - start, 2),
             "estimated_seconds": round(estimated_seconds_per_epoch(settings, n_words) * epochs, 2)}
    if config.progress:
        print(f"auto: {entry['name']}: inner-validation macro-F1 {entry['macro_f1']:.4f} ({entry['seconds']:.0f} s)")
    return entry
