"""The classifier's automatic settings: the contest on an inner split, its time box, typed flags that switch
it off, the word-pair tokenizer and the plain verdict against bag-of-words."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from minishop.text import auto, classify_texts, load_classifier
from minishop.text.cli import add_text_commands
from minishop.text.classifier import ReviewClassifier
from minishop.text.bow import BagOfWordsClassifier
from minishop.text.training import ClassifierTaskConfig, Ensemble, load_tokenizer, train_review_classifier, verdict
from minishop.text.word_pairs import WordPairVocab

REVIEWS = Path(__file__).parent / "fixtures" / "text" / "small_reviews.tsv"
SMALL = ["--epochs", "3", "--vocab-size", "300", "--d-model", "16", "--n-heads", "2", "--quiet"]


def run_cli(*argv):
    parser = argparse.ArgumentParser(prog="minishop")
    add_text_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def train_small(out, *flags):
    run_cli("train-classifier", "--data", REVIEWS, "--out", out, *SMALL, *flags)
    return json.loads((out / "results.json").read_text()), json.loads((out / "task.json").read_text())


def without_seconds(choice):
    return {**choice, "seconds": None,
            "candidates": [{**c, "seconds": None} for c in choice["candidates"]]}


def test_no_flags_runs_the_contest_records_it_and_trains_the_winner(tmp_path, capsys):
    results, task = train_small(tmp_path / "a")
    choice = results["auto"]
    assert choice["by_contest"] == ["classifier", "tokenizer", "n_blocks", "pooling"]
    assert [c["name"] for c in choice["candidates"]] == [auto.describe(s) for _, s in auto.CANDIDATES]
    assert choice["folds"] == auto.FOLDS and choice["inner"]["examples"] == choice["inner"]["scored"] == 64
    top = max(c["macro_f1"] for c in choice["candidates"])
    best = next(c for c in choice["candidates"] if c["macro_f1"] >= top - choice["standard_error"])
    assert choice["chosen"] == best["name"] and choice["chosen_settings"] == best["settings"]
    for name, value in best["settings"].items():  # the winner's settings are the ones trained
        assert task["train"][name] == value
    assert task["classifier"] == best["settings"]["classifier"] == results["auto"]["settings"]["classifier"]
    assert all(c["epochs"] is None or c["epochs"] <= 3 for c in choice["candidates"])
    assert json.loads((tmp_path / "a" / "auto.json").read_text()) == {k: v for k, v in choice.items()
                                                                      if k not in ("by_rule", "settings")}
    out = capsys.readouterr().out
    assert "<- chosen" in out and best["name"] in out and "on macro-F1" in out

    again, _ = train_small(tmp_path / "b")  # the same seed: the same contest, the same choice
    assert without_seconds(again["auto"]) == without_seconds(choice)
    assert again["model"] == results["model"]


def test_a_typed_flag_switches_its_choice_off(tmp_path):
    results, task = train_small(tmp_path / "bag", "--n-blocks", "0")
    choice = results["auto"]
    assert choice["by_contest"] == ["tokenizer", "pooling"] and task["train"]["n_blocks"] == 0
    assert [c["settings"]["classifier"] for c in choice["candidates"]] == ["neural", "neural"]  # networks only
    assert all(c["settings"]["n_blocks"] == 0 for c in choice["candidates"])
    assert "n_blocks" not in choice["settings"]

    results, task = train_small(tmp_path / "typed", "--n-blocks", "1", "--tokenizer", "bpe", "--pooling", "max",
                                "--max-len", "20", "--average-from", "2")
    choice = results["auto"]
    assert choice["by_contest"] == [] and choice["by_rule"] == [] and choice["candidates"] == []
    assert (task["train"]["n_blocks"], task["train"]["tokenizer"], task["train"]["pooling"]) == (1, "bpe", "max")
    assert task["train"]["max_len"] == 20 and task["train"]["average_from"] == 2


def fake_fit_predict(scores, seen=None):
    """fit_predict for auto.choose: a model of each kind is right on the share `scores[kind]` of the examples."""
    labels = np.arange(100) % 2

    def fit_predict(config, fit, stop, score):
        if seen is not None:
            seen.append((config, set(fit.tolist()), set(stop.tolist()), set(score.tolist())))
        share = scores[auto.kind({"classifier": config.classifier, "n_blocks": config.n_blocks})]
        right = (score * 37 % 100) / 100 < share  # (N,) the same examples for every fold and model
        probabilities = np.full((len(score), 2), 0.3)
        probabilities[np.arange(len(score)), np.where(right, labels[score], 1 - labels[score])] = 0.7
        return probabilities, None

    return labels, fit_predict


PARTS = {"train": np.arange(0, 70), "valid": np.arange(70, 80), "test": np.arange(80, 100)}


def test_the_contest_scores_out_of_fold_on_non_test_examples_and_bag_of_words_wins_a_tie():
    texts = ["word " * 5] * 100
    seen = []
    labels, fit_predict = fake_fit_predict({"bow": 0.6, "bag": 0.6, "transformer": 0.6}, seen)
    config = ClassifierTaskConfig(progress=False)
    chosen, record = auto.choose(texts, labels, PARTS, config, fit_predict)
    assert len(seen) == 3 * auto.FOLDS  # bag-of-words, the bag and the transformer, on each fold
    for candidate, fit, stop, score in seen:
        assert not (fit | stop | score) & set(range(80, 100))  # never the test part
        assert fit | stop | score == set(range(80)) and not fit & stop and not (fit | stop) & score
    assert chosen.classifier == "bow" and record["chosen"] == auto.BOW_NAME  # a tie: the first
    assert record["note"] == auto.CHOSEN_BOW

    labels, fit_predict = fake_fit_predict({"bow": 0.6, "bag": 0.6, "transformer": 0.9})
    chosen, record = auto.choose(texts, labels, PARTS, config, fit_predict)
    assert (chosen.classifier, chosen.n_blocks) == ("neural", 2) and "note" not in record


def test_a_later_candidate_must_beat_an_earlier_one_by_more_than_one_standard_error():
    entries = [{"name": "bow", "macro_f1": 0.80}, {"name": "bag", "macro_f1": 0.83}, {"name": "big", "macro_f1": 0.84}]
    se = (0.84 * 0.16 / 400) ** 0.5  # 0.018
    assert auto.within_one_standard_error(entries, 400) == (entries[1], pytest.approx(se))
    assert auto.within_one_standard_error(entries, 64)[0] == entries[0]  # 0.046: the first is close enough
    assert auto.within_one_standard_error(entries, 100_000)[0] == entries[2]


def test_the_folds_are_disjoint_and_cover_the_non_test_part():
    config = ClassifierTaskConfig(seed=3)
    splits = auto.inner_splits(PARTS, config, n_folds=4)
    scored = np.concatenate([score for _, _, score in splits])
    assert sorted(scored.tolist()) == list(range(80))  # each non-test example scored exactly once
    for fit, stop, score in splits:
        assert len(score) == 20 and len(stop) == 8  # stop: the run's share of validation (10 of 80) of the other 60
        assert sorted(np.concatenate([fit, stop, score]).tolist()) == list(range(80))
    again = auto.inner_splits(PARTS, config, n_folds=4)
    assert all((a[i] == b[i]).all() for a, b in zip(splits, again) for i in range(3))  # seeded
    (fit, stop, score), = auto.inner_splits(PARTS, config, n_folds=1)
    assert len(score) == 20 and not set(score) & set(fit) | set(stop) & set(range(80, 100))


def test_the_ensemble_scores_the_mean_of_its_parts_probabilities():
    parts = [np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.3, 0.7], [0.4, 0.6]])]
    np.testing.assert_allclose(auto.ensemble_probabilities(parts), [[0.6, 0.4], [0.3, 0.7]])

    texts = ["word " * 5] * 100
    labels = np.arange(100) % 2
    given = {}

    def fit_predict(config, fit, stop, score):  # bag-of-words right with 0.7 on even rows, the bag on odd ones
        kind = auto.kind({"classifier": config.classifier, "n_blocks": config.n_blocks})
        rng = np.random.default_rng(len(fit) + (kind == "bag"))
        probabilities = rng.dirichlet([1, 1], size=len(score))
        given.setdefault(kind, []).append(probabilities)
        return probabilities, None

    _, record = auto.choose(texts, labels, PARTS, ClassifierTaskConfig(progress=False), fit_predict)
    scored = np.concatenate([s for _, _, s in auto.inner_splits(PARTS, ClassifierTaskConfig(), auto.FOLDS)])
    mean = (np.concatenate(given["bow"]) + np.concatenate(given["bag"])) / 2
    entry = next(c for c in record["candidates"] if c["settings"]["classifier"] == "neural+bow")
    assert entry["accuracy"] == pytest.approx((mean.argmax(axis=1) == labels[scored]).mean())


def test_the_time_box_shares_the_budget_cheapest_first_and_leaves_out_the_dearest():
    candidates = auto.candidates_for(ClassifierTaskConfig())
    networks = auto.networks_of(candidates)
    n_words = 10_000
    per_epoch = [auto.estimated_seconds_per_epoch(s, n_words) for s in networks]
    assert len(networks) == 2 and per_epoch[0] < per_epoch[1]  # the bag, then the transformer: cheapest first
    assert auto.share_epochs(networks, n_words, 1, 1e6, 20) == [20, 20]  # capped by the run's epochs
    budget = 20 * per_epoch[0] + 3.5 * per_epoch[1]  # the bag takes its 20, the transformer gets what is left
    assert auto.share_epochs(networks, n_words, 1, budget, 20) == [20, 3]
    assert auto.share_epochs(networks, n_words, 4, budget, 20)[1] == 0  # four folds cost four times as much
    folds, epochs, kept, left_out = auto.plan(candidates, 50_000, ClassifierTaskConfig(auto_seconds=15))
    assert folds == 1 and left_out == [candidates[-1][0]] and kept == candidates[:-1]


def test_settings_that_do_not_go_together_are_dropped_or_refused(tmp_path):
    names = [n for n, _ in auto.candidates_for(ClassifierTaskConfig(pooling="cls"))]
    assert names == [auto.describe({"classifier": "neural", "n_blocks": 2, "tokenizer": "bpe", "pooling": "cls"})]
    names = [s["n_blocks"] for _, s in auto.candidates_for(ClassifierTaskConfig(tokenizer="words+pairs"))]
    assert names == [0]  # the transformer over word pairs is dropped
    with pytest.raises(ValueError, match=r"--tokenizer words\+pairs --n-blocks 2: .*--n-blocks 0"):
        run_cli("train-classifier", "--data", REVIEWS, "--out", tmp_path / "x", "--n-blocks", "2",
                "--tokenizer", "words+pairs")
    with pytest.raises(ValueError, match="--classifier bow --pooling max: .*bag-of-words has no"):
        run_cli("train-classifier", "--data", REVIEWS, "--out", tmp_path / "y", "--classifier", "bow",
                "--pooling", "max")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()  # refused before anything is written


def test_max_len_is_the_longest_training_sequence_rounded_up_within_the_cap():
    assert auto.fitted_max_len([3, 17, 9], n_blocks=0) == 32 and auto.fitted_max_len([33], n_blocks=2) == 64
    assert auto.fitted_max_len([3, 900], n_blocks=0) == auto.MAX_LEN_CAP["bag"]
    assert auto.fitted_max_len([3, 900], n_blocks=2) == auto.MAX_LEN_CAP["transformer"]


def test_word_pair_vocab_adds_pairs_seen_twice_and_round_trips(tmp_path):
    texts = ["not good at all", "Not good, really.", "good value"]
    vocab = WordPairVocab.train(texts)
    assert vocab.words[:2] == ["good", "not"] and vocab.words[-1] == "not good"  # words first, then pairs
    assert "good at" not in vocab.ids  # seen once
    unk = vocab.special_tokens["<unk>"]
    assert vocab.encode("NOT good, pricey") == [vocab.ids["not"], vocab.ids["good"], unk, vocab.ids["not good"]]
    path = tmp_path / "words.json"
    vocab.save(path)
    loaded = load_tokenizer(path)
    assert isinstance(loaded, WordPairVocab) and loaded.words == vocab.words
    assert loaded.encode("not good") == vocab.encode("not good")


def test_a_bag_of_embeddings_run_is_explained_by_each_tokens_exact_push(tmp_path, float64):
    model = ReviewClassifier(20, 3, d_model=8, n_blocks=0, n_heads=2, max_len=6, pooling="mean").eval()
    ids = np.array([[1, 5, 7, 0], [2, 3, 0, 0]])
    padding = ids == 0
    importance = model.token_importance(ids, padding)
    np.testing.assert_allclose(importance.sum(axis=1), 1.0)
    assert np.all(importance[padding] == 0) and np.all(importance >= 0)
    hidden = model.encoder(ids, key_padding_mask=padding).data  # (B, T, D), written out with NumPy
    W = model.head.weight.data
    predicted = model(ids, padding).data.argmax(axis=1)
    push = np.einsum("btd,bd->bt", hidden, W[:, predicted].T - W.mean(axis=1))
    push = np.where(padding, 0, np.maximum(push, 0))
    expected = np.where(push.sum(1, keepdims=True) > 0, push / push.sum(1, keepdims=True),
                        (~padding) / (~padding).sum(1, keepdims=True))
    np.testing.assert_allclose(importance, expected, atol=1e-12)

    run_cli("train-classifier", "--data", REVIEWS, "--out", tmp_path / "bag", *SMALL, "--n-blocks", "0",
            "--tokenizer", "words+pairs", "--pooling", "mean")
    model, tokenizer, classes = load_classifier(tmp_path / "bag")
    assert isinstance(tokenizer, WordPairVocab)
    answer = classify_texts(model, tokenizer, classes, ["The kettle broke. Avoid it."])[0]
    assert answer["label"] in classes and abs(sum(w for _, w in answer["attention"]) - 1) < 1e-6


def test_verdict_says_when_the_baseline_wins():
    assert verdict({"model": {"macro_f1": 0.648}, "bow": {"macro_f1": 0.75}})["winner"] == "bag-of-words"
    assert verdict({"model": {"macro_f1": 0.8}, "bow": {"macro_f1": 0.75}})["winner"] == "model"
    assert verdict({"model": {"macro_f1": 0.75}, "bow": {"macro_f1": 0.75}})["winner"] == "tie"


def test_a_negative_time_box_is_an_error_naming_the_flag(tmp_path):
    with pytest.raises(ValueError, match="--auto-seconds -1"):
        run_cli("train-classifier", "--data", REVIEWS, "--out", tmp_path / "x", *SMALL, "--auto-seconds", "-1")


def test_bag_of_words_chosen_end_to_end_and_classify_works_on_the_run(tmp_path, capsys):
    results, task = train_small(tmp_path / "bow", "--auto-seconds", "0")  # 0: no contest, the first candidate
    choice = results["auto"]
    assert choice["candidates"] == [] and choice["seconds"] is None
    assert choice["chosen"] == auto.BOW_NAME and task["classifier"] == "bow" and task["model"] is None
    assert results["model"]["kind"] == "bag-of-words" and results["verdict"]["note"] == auto.CHOSEN_BOW
    assert results["model"]["macro_f1"] == results["bow"]["macro_f1"]  # the same model as the baseline
    assert not (tmp_path / "bow" / "best.ckpt").exists()
    assert auto.CHOSEN_BOW in capsys.readouterr().out
    model, tokenizer, classes = load_classifier(tmp_path / "bow")
    assert isinstance(model, BagOfWordsClassifier) and tokenizer is None
    answer = classify_texts(model, tokenizer, classes, ["Terrible, it broke. Avoid.", "Great value, love it"])
    assert [a["label"] for a in answer] == ["neg", "pos"]
    assert abs(sum(w for _, w in answer[0]["attention"]) - 1) < 1e-6
    run_cli("classify", tmp_path / "bow", "Great value, love it")
    assert capsys.readouterr().out.startswith("pos\t")


def test_an_ensemble_run_classifies_with_the_mean_of_its_parts(tmp_path):
    train_small(tmp_path / "both", "--classifier", "neural+bow", "--n-blocks", "0", "--tokenizer", "words+pairs",
                "--pooling", "mean")
    model, tokenizer, classes = load_classifier(tmp_path / "both")
    assert isinstance(model, Ensemble) and tokenizer is None
    texts = ["Terrible, it broke.", "Great value, love it"]
    network, bow = model.parts
    expected = (network.predict_proba(texts) + BagOfWordsClassifier.load(tmp_path / "both" / "bow.json")
                .predict_proba(texts)) / 2
    got = np.array([[a["probabilities"][c] for c in classes] for a in classify_texts(model, None, classes, texts)])
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_resume_reuses_the_saved_choice(tmp_path, monkeypatch):
    out = tmp_path / "run"
    config = ClassifierTaskConfig(data=str(REVIEWS), epochs=3, vocab_size=300, d_model=16, n_heads=2, progress=False,
                                  classifier="neural", tokenizer="words")  # a contest between two networks
    first = train_review_classifier(out, config)
    assert len(first["auto"]["candidates"]) == 2
    (out / "results.json").unlink()  # as if the final training had stopped before its end

    def no_contest(*args):
        raise AssertionError("the contest ran again on --resume")

    monkeypatch.setattr(auto, "choose", no_contest)
    again = train_review_classifier(out, config, resume=True)
    assert {k: v for k, v in again["auto"].items()} == first["auto"]
    assert again["model"] == first["model"]
