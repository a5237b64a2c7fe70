"""The classifier's automatic settings: the contest on an inner split, its time box, typed flags that switch
it off, the word-pair tokenizer and the plain verdict against bag-of-words."""

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from minishop.text import auto, classify_texts, load_classifier
from minishop.text.cli import add_text_commands
from minishop.text.classifier import ReviewClassifier
from minishop.text.training import ClassifierTaskConfig, load_tokenizer, verdict
from minishop.text.word_pairs import WordPairVocab
from minishop.train import TrainResult

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
    assert choice["by_contest"] == ["tokenizer", "n_blocks", "pooling"]
    assert choice["by_rule"] == ["max_len", "average_from"]
    assert [c["name"] for c in choice["candidates"]] == [auto.describe(s) for _, s in auto.CANDIDATES]
    assert choice["inner"] == {"train": 48, "valid": 16, "words": choice["inner"]["words"]}  # 64 non-test rows
    best = max(choice["candidates"], key=lambda c: c["macro_f1"])
    assert choice["chosen"] == best["name"]
    for name, value in best["settings"].items():  # the winner's settings are the ones trained
        assert task["train"][name] == value and choice["settings"][name] == value
    assert task["train"]["max_len"] == choice["settings"]["max_len"] == task["model"]["max_len"]
    assert task["train"]["average_from"] == choice["settings"]["average_from"] == (task["train"]["n_blocks"] == 0)
    assert all(c["epochs_run"] <= choice["epochs_each"] <= 3 for c in choice["candidates"])
    out = capsys.readouterr().out
    assert "<- chosen" in out and best["name"] in out and "on macro-F1" in out

    again, _ = train_small(tmp_path / "b")  # the same seed: the same contest, the same choice
    assert without_seconds(again["auto"]) == without_seconds(choice)
    assert again["model"] == results["model"]


def test_a_typed_flag_switches_its_choice_off(tmp_path):
    results, task = train_small(tmp_path / "bag", "--n-blocks", "0")
    choice = results["auto"]
    assert choice["by_contest"] == ["tokenizer", "pooling"] and task["train"]["n_blocks"] == 0
    assert all(c["settings"]["n_blocks"] == 0 for c in choice["candidates"]) and len(choice["candidates"]) == 2
    assert "n_blocks" not in choice["settings"]

    results, task = train_small(tmp_path / "typed", "--n-blocks", "1", "--tokenizer", "bpe", "--pooling", "max",
                                "--max-len", "20", "--average-from", "2")
    choice = results["auto"]
    assert choice["by_contest"] == [] and choice["by_rule"] == [] and choice["candidates"] == []
    assert (task["train"]["n_blocks"], task["train"]["tokenizer"], task["train"]["pooling"]) == (1, "bpe", "max")
    assert task["train"]["max_len"] == 20 and task["train"]["average_from"] == 2


def test_the_contest_uses_only_non_test_examples_and_picks_the_best_score_the_cheaper_on_a_tie():
    parts = {"train": np.arange(0, 70), "valid": np.arange(70, 80), "test": np.arange(80, 100)}
    texts = ["word " * 5] * 100
    seen = []

    def fake_fit(config, train_index, valid_index):
        seen.append((config, set(train_index.tolist()), set(valid_index.tolist())))
        score = {"words+pairs": 0.8, "bpe": 0.8}[config.tokenizer]  # a tie
        return TrainResult(history=[{"epoch": 1, "valid_macro_f1": score, "valid_accuracy": score}],
                           best_metric=score, best_epoch=1, epochs_run=1, stopped_early=False, seconds=0.0)

    config = ClassifierTaskConfig(progress=False)
    chosen, record = auto.choose(texts, parts, config, fake_fit)
    assert len(seen) == 2
    for candidate, train_index, valid_index in seen:
        assert not (train_index | valid_index) & set(range(80, 100))  # never the test part
        assert train_index | valid_index == set(range(80)) and not train_index & valid_index
        assert len(valid_index) == 20  # INNER_VALID of the 80 non-test examples
        assert candidate.epochs == record["epochs_each"] <= config.epochs
    assert (chosen.tokenizer, chosen.n_blocks, chosen.pooling) == ("words+pairs", 0, "mean")  # tie: the cheaper
    assert record["chosen"] == auto.describe(auto.CANDIDATES[0][1])

    def transformer_better(config, train_index, valid_index):
        run = fake_fit(config, train_index, valid_index)
        run.history[0]["valid_macro_f1"] += 0.01 * (config.n_blocks > 0)
        return run

    chosen, record = auto.choose(texts, parts, config, transformer_better)
    assert chosen.n_blocks == 2 and record["chosen"] == auto.describe(auto.CANDIDATES[1][1])


def test_the_time_box_counts_work_and_leaves_out_the_dearest_candidate():
    candidates = auto.candidates_for(ClassifierTaskConfig())
    n_words = 10_000
    per_epoch = [auto.estimated_seconds_per_epoch(s, n_words) for _, s in candidates]
    assert len(candidates) == 2 and per_epoch[0] < per_epoch[1]  # cheapest first
    epochs, kept, left_out = auto.contest_epochs(candidates, n_words, ClassifierTaskConfig(auto_seconds=1e6))
    assert epochs == 20 and kept == candidates and left_out == []  # capped by the run's epochs
    epochs, kept, _ = auto.contest_epochs(candidates, n_words, ClassifierTaskConfig(auto_seconds=sum(per_epoch) * 3.5))
    assert epochs == 3 and kept == candidates
    budget = sum(per_epoch) * 1.5  # the transformer no longer fits two epochs
    epochs, kept, left_out = auto.contest_epochs(candidates, n_words, ClassifierTaskConfig(auto_seconds=budget))
    assert kept == candidates[:1] and left_out == [candidates[1][0]]


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
    assert replace(ClassifierTaskConfig(), auto_seconds=0).auto_seconds == 0
