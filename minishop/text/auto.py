"""Settings chosen from the data: a small, time-boxed contest among candidate classifiers.

No one model serves every labelled file. On the bundled shop's five thousand reviews, whose verdict often
hangs on word order ("not bad at all", "great, except ..."), a transformer over BPE pieces is far ahead of
bag-of-words; on a thousand real movie or product sentences the same transformer learns its training set by
heart, and plain word counts are hard to beat. So the model is left open (None) unless the user gives it,
and the run decides:

1. Candidates (CANDIDATES, nearest to bag-of-words first): bag-of-words itself (TF-IDF + softmax
   regression, minishop.text.bow), the mean of its class probabilities and those of a bag of word and
   word-pair embeddings (an ensemble that keeps half its vote with bag-of-words), that bag of embeddings alone
   (n_blocks=0, mean pooling: fastText's model, Joulin et al. 2017), and the transformer over BPE pieces. A network setting the user typed (--n-blocks, --tokenizer, --pooling) is written into every
   candidate and leaves only networks (unless --classifier says otherwise); a combination that means
   nothing (no blocks with cls pooling, word pairs read by a transformer) is dropped, and when nothing is
   left the typed flags are refused, by name. Candidates that become equal are merged; if one is left,
   there is no contest.
2. Scored out of fold: the examples that are not in the test part (the test part is never looked at) are
   cut, seeded, into FOLDS folds; each model is trained on the other folds (early stopping on a slice of
   them, as the run itself stops on its validation part) and predicts the fold it did not see. A
   candidate's score is the macro-F1 of its predictions for every non-test example, so each is judged on
   all of them, not on 200. When FOLDS folds do not fit the time box, one inner split (INNER_VALID).
3. A time box, kept by counting work, not by a clock, so the same data and seed choose the same candidate
   on any machine: each model's cost is estimated from the words of the training texts (COST). The networks
   share `auto_seconds`, cheapest first: each gets the epochs its share buys (at most the run's epochs);
   what a cheap one leaves over goes to the next. One that gets fewer than MIN_EPOCHS is left out, and
   said so. The ensemble costs nothing more: it averages its parts' predictions.
4. The first candidate (the nearest to bag-of-words) within one standard error of the best macro-F1 wins
   (the one-standard-error rule: a difference smaller than the scores' chance spread is not believed, so a
   model must beat bag-of-words clearly to replace it). The winner is then trained as usual, on the run's own training and
   validation parts.

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
from minishop.eval import text_metrics
from minishop.tokenizers.words import split_words

np = backend.np  # host arrays: the indices of examples, the predicted probabilities

AUTOMATIC = ("classifier", "tokenizer", "n_blocks", "pooling")  # decided by the contest when left at None
NETWORK = ("tokenizer", "n_blocks", "pooling")  # the settings of a network (unused by bag-of-words)
BAG = {"n_blocks": 0, "tokenizer": "words+pairs", "pooling": "mean"}
NO_NETWORK = {"n_blocks": None, "tokenizer": None, "pooling": None}
CANDIDATES = (  # (what it is, its settings), nearest to bag-of-words first
    ("bag-of-words", {"classifier": "bow", **NO_NETWORK}),
    ("bag of embeddings + bag-of-words", {"classifier": "neural+bow", **BAG}),
    ("bag of embeddings", {"classifier": "neural", **BAG}),
    ("transformer", {"classifier": "neural", "n_blocks": 2, "tokenizer": "bpe", "pooling": "mean"}),
)
FOLDS = 4  # out-of-fold scoring when it fits the time box
INNER_VALID = 0.25  # otherwise: the share of the non-test examples the contest scores on
MIN_EPOCHS = 2  # fewer epochs than this would judge a network before it has learned anything
MAX_LEN_CAP = {"bag": 256, "transformer": 128}
BOW_NAME = "bag-of-words (TF-IDF + softmax regression)"
CHOSEN_BOW = "bag-of-words chosen: on this file the learned models did not beat it on the inner split"

# The estimated cost of training: tokens per word (by tokenizer), seconds per training token on one CPU core
# (bag of embeddings / transformer of width 64, 2 blocks), and seconds per word of a whole bag-of-words fit
# (measured on the files of bench/README.md). Only the time box uses them: it depends on the data, not on how
# busy the machine is.
COST = {"tokens_per_word": {"words": 1.0, "words+pairs": 1.9, "bpe": 1.7},
        "seconds_per_token": {"bag": 4e-6, "transformer": 1.3e-4}, "bow_seconds_per_word": 2e-5}


def kind(settings):
    """'bow', 'bag' (no blocks: a mean over token embeddings) or 'transformer'."""
    if settings.get("classifier") == "bow":
        return "bow"
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
    """The names in AUTOMATIC that the config leaves open (None); not the classifier when a network setting is
    typed (that means a network)."""
    typed_network = any(getattr(config, name) is not None for name in NETWORK)
    return [name for name in AUTOMATIC if getattr(config, name) is None
            and not (name == "classifier" and typed_network)]


def describe(settings):
    """A candidate's name: "bag-of-words", "bag of embeddings, words+pairs, mean pooling", "... + bag-of-words"."""
    if settings["classifier"] == "bow":
        return BOW_NAME
    model = "bag of embeddings" if settings["n_blocks"] == 0 else f"transformer ({settings['n_blocks']} blocks)"
    network = f"{model}, {settings['tokenizer']}, {settings['pooling']} pooling"
    return network + (" + bag-of-words" if settings["classifier"] == "neural+bow" else "")


def meaningless(settings):
    """Why these settings make no sense together, or None."""
    if settings["classifier"] == "bow":
        return None
    if settings["n_blocks"] == 0 and settings["pooling"] == "cls":
        return "without blocks nothing gathers the review into the first token (--pooling cls needs --n-blocks 1 or more)"
    if settings["n_blocks"] and settings["tokenizer"] == "words+pairs":
        return ("word pairs are a bag's features, appended after the words; a transformer would read them as "
                "text (--tokenizer words+pairs needs --n-blocks 0)")
    return None


def candidates_for(config):
    """[(name, settings)] of CANDIDATES with the settings the config fixes written in: a typed network setting
    leaves only networks (unless config.classifier is typed too), meaningless ones are dropped, duplicates merged.
    Nothing left: a ValueError naming the typed flags."""
    fixed = {name: getattr(config, name) for name in AUTOMATIC if getattr(config, name) is not None}
    wants_network = "classifier" not in open_settings(config) and "classifier" not in fixed
    result, reasons = [], []
    for _, settings in CANDIDATES:
        if wants_network and settings["classifier"] != "neural":
            continue
        if "classifier" in fixed and (fixed["classifier"] == "bow") != (settings["classifier"] == "bow"):
            continue  # a typed classifier keeps bag-of-words alone, or the candidates with a network
        settings = {**settings, **fixed}
        if settings["classifier"] == "bow":
            settings.update(NO_NETWORK)  # bag-of-words reads words, not a network's settings
            if any(name in fixed for name in NETWORK):
                reasons.append("bag-of-words has no tokenizer, blocks or pooling to set")
                continue
        reason = meaningless(settings)
        if reason:
            reasons.append(reason)
        elif settings not in [seen for _, seen in result]:
            result.append((describe(settings), settings))
    if not result:
        flags = " ".join(f"--{name.replace('_', '-')} {value}" for name, value in fixed.items())
        raise ValueError(f"train-classifier {flags}: these settings do not go together: {reasons[0]}")
    return result


def networks_of(candidates):
    """The distinct networks the candidates need (their settings with classifier 'neural'), cheapest first."""
    networks = []
    for _, settings in candidates:
        if settings["classifier"] != "bow":
            network = {**settings, "classifier": "neural"}
            if network not in networks:
                networks.append(network)
    return networks


def estimated_seconds_per_epoch(settings, n_words):
    """The cost model COST applied to one epoch of a network over n_words words of training text."""
    tokens = n_words * COST["tokens_per_word"][settings["tokenizer"]]
    return tokens * COST["seconds_per_token"][kind(settings)]


def share_epochs(networks, n_words, n_folds, budget, max_epochs):
    """[epochs of each network] for n_folds trainings each over n_words words: the budget shared cheapest first,
    each getting at most max_epochs and passing on what it leaves; 0 for one that gets fewer than MIN_EPOCHS."""
    epochs, left = [], budget
    for i, settings in enumerate(networks):
        per_epoch = n_folds * estimated_seconds_per_epoch(settings, n_words)
        share = left / (len(networks) - i)
        given = min(max_epochs, int(share // per_epoch)) if per_epoch > 0 else max_epochs
        given = given if given >= MIN_EPOCHS else 0
        epochs.append(given)
        left -= given * per_epoch
    return epochs


def inner_splits(parts, config, n_folds):
    """[(fit, stop, score)] index arrays over the non-test examples: n_folds folds, each `score` one fold and
    `fit` + `stop` the others (`stop` the run's share of validation, for early stopping); n_folds=1: one split
    scoring on INNER_VALID of them. The scored parts never overlap; with folds they cover every non-test example."""
    pool = np.sort(np.concatenate([parts["train"], parts["valid"]]))
    rng = np.random.default_rng(config.seed + 1)  # not the run's own split
    order = pool[rng.permutation(len(pool))]
    if n_folds > 1:
        scored = np.array_split(order, n_folds)
    else:
        scored = [order[: max(1, int(round(INNER_VALID * len(pool))))]]
    stop_share = len(parts["valid"]) / len(pool)
    splits = []
    for score in scored:
        rest = np.setdiff1d(order, score)
        rest = rest[rng.permutation(len(rest))]
        n_stop = max(1, int(round(stop_share * len(rest))))
        splits.append((np.sort(rest[n_stop:]), np.sort(rest[:n_stop]), np.sort(score)))
    return splits


def plan(candidates, n_words, config):
    """(folds, {network name: epochs}, kept candidates, left out): FOLDS folds if every network gets MIN_EPOCHS
    in them, else one split; bag-of-words' fits are paid first."""
    networks = networks_of(candidates)
    for n_folds in (FOLDS, 1):
        words_each = n_words * (1 - 1 / n_folds if n_folds > 1 else 1 - INNER_VALID)
        budget = config.auto_seconds - n_folds * words_each * COST["bow_seconds_per_word"]
        epochs = share_epochs(networks, words_each, n_folds, budget, config.epochs)
        if all(epochs) or n_folds == 1:
            break
    given = {describe(network): e for network, e in zip(networks, epochs)}
    kept = [(name, s) for name, s in candidates if s["classifier"] == "bow" or given[_network_name(s)]]
    left_out = [name for name, s in candidates if (name, s) not in kept]
    return n_folds, given, kept, left_out


def _network_name(settings):
    return describe({**settings, "classifier": "neural"})


def choose(texts, labels, parts, config, fit_predict):
    """(config with every AUTOMATIC setting filled in, the record for results.json).

    parts: the run's {"train", "valid", "test"} index arrays; labels: a host int array over all texts.
    fit_predict(config, fit, stop, score) trains the model config describes on texts[fit] (a network stops
    early on texts[stop]) and returns (probabilities (len(score), C) of texts[score], its TrainResult or None).
    The record: {"by_contest", "chosen", "chosen_settings", "candidates": [{"name", "settings", "macro_f1",
    "accuracy", "epochs", "seconds", ...}], "left_out", "folds", "inner", "seconds_budget", "seconds"}.
    """
    started = time.perf_counter()
    candidates = candidates_for(config)
    record = {"by_contest": open_settings(config), "candidates": [], "left_out": [], "folds": None, "inner": None,
              "seconds_budget": config.auto_seconds}
    if len(candidates) > 1 and config.auto_seconds > 0:
        pool_size = len(parts["train"]) + len(parts["valid"])
        n_words = sum(len(split_words(texts[i])) for i in np.concatenate([parts["train"], parts["valid"]]))
        n_folds, epochs, candidates, left_out = plan(candidates, n_words, config)
        splits = inner_splits(parts, config, n_folds)
        record.update(folds=n_folds, left_out=left_out, epochs=epochs,
                      inner={"examples": pool_size, "scored": int(sum(len(s) for _, _, s in splits)),
                             "words": n_words})
    if len(candidates) > 1 and config.auto_seconds > 0:
        record["candidates"] = _contest(texts, labels, splits, config, candidates, epochs, fit_predict)
        best, record["standard_error"] = within_one_standard_error(record["candidates"], record["inner"]["scored"])
        winner = (best["name"], best["settings"])
    else:
        winner = candidates[0]
    record.update(chosen=winner[0], chosen_settings=winner[1],
                  seconds=round(time.perf_counter() - started, 2) if record["candidates"] else None)
    if winner[1]["classifier"] == "bow":
        record["note"] = CHOSEN_BOW
    return replace(config, **winner[1]), record


def within_one_standard_error(entries, n_scored):
    """(the first entry whose macro-F1 is within one standard error of the best, that error).

    The one-standard-error rule (Hastie, Tibshirani & Friedman, The Elements of Statistical Learning, 7.10):
    scores measured on n examples differ by chance by about se = sqrt(F (1 - F) / n) (F: the best score, read
    as an accuracy), so a model must beat an earlier one by more than that to be believed; the entries come
    nearest to bag-of-words first.
    """
    best = max(entry["macro_f1"] for entry in entries)
    se = math.sqrt(max(best * (1 - best), 0.0) / max(n_scored, 1))
    return next(entry for entry in entries if entry["macro_f1"] >= best - se), se


def _contest(texts, labels, splits, config, candidates, epochs, fit_predict):
    """Each model trained on every split and its out-of-fold probabilities scored; the ensemble averages its parts'."""
    n_classes = int(labels.max()) + 1
    scored = np.concatenate([score for _, _, score in splits])
    needs_bow = any(settings["classifier"] != "neural" for _, settings in candidates)
    models = [(BOW_NAME, {"classifier": "bow", **NO_NETWORK})] if needs_bow else []
    models += [(describe(s), s) for s in networks_of(candidates) if epochs[describe(s)]]
    predictions, seconds, runs = {}, {}, {}
    for name, settings in models:
        start = time.perf_counter()
        model_config = replace(config, **settings, epochs=epochs.get(name, config.epochs))
        outputs = [fit_predict(model_config, fit, stop, score) for fit, stop, score in splits]
        predictions[name] = np.concatenate([probabilities for probabilities, _ in outputs])  # (N scored, C)
        runs[name] = [run for _, run in outputs]
        seconds[name] = time.perf_counter() - start
        if config.progress:
            print(f"auto: {name} trained on {len(splits)} split(s) ({seconds[name]:.0f} s)")
    entries = []
    for name, settings in candidates:
        parts = [_network_name(settings)] if settings["classifier"] != "bow" else []
        parts += [BOW_NAME] if settings["classifier"] != "neural" else []
        probabilities = ensemble_probabilities([predictions[part] for part in parts])
        predicted = probabilities.argmax(axis=1)
        network_runs = runs.get(parts[0], [None]) if settings["classifier"] != "bow" else [None]
        entry = {"name": name, "settings": settings, "parts": parts,
                 "macro_f1": text_metrics.macro_f1(labels[scored], predicted, n_classes),
                 "accuracy": text_metrics.accuracy(labels[scored], predicted),
                 "epochs": epochs.get(parts[0]) if settings["classifier"] != "bow" else None,
                 "best_epochs": [run.best_epoch for run in network_runs if run is not None],
                 "seconds": round(sum(seconds[part] for part in parts), 2)}
        entries.append(entry)
        if config.progress:
            print(f"auto: {name}: out-of-fold macro-F1 {entry['macro_f1']:.4f}")
    return entries


def ensemble_probabilities(parts):
    """The mean of the parts' class probabilities (N, C): an ensemble of classifiers that err differently."""
    return sum(parts) / len(parts)
