"""The text tasks end to end on fixtures: corpus helpers, the four CLI commands and their run folders."""

import argparse
import functools
import importlib.util
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from minishop.text.cli import add_text_commands
from minishop.text import classify_texts, corpus, load_classifier, load_text_lm
from minishop.text.training import drop_words
from minishop.tokenizers import BPETokenizer
from minishop.tokenizers.words import WordVocab

FIXTURES = Path(__file__).parent / "fixtures" / "text"
BENCH = Path(__file__).parent.parent / "bench" / "text_tasks.py"
TINY_CLASSIFIER = ["--epochs", "3", "--vocab-size", "300", "--d-model", "16", "--n-blocks", "1", "--n-heads", "2",
                   "--max-len", "24", "--tokenizer", "bpe", "--pooling", "mean", "--quiet"]  # all typed: no contest


def run_cli(*argv):
    parser = argparse.ArgumentParser(prog="minishop")
    add_text_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return args.func(args)


def test_encode_counts_truncation_and_pad_right_marks_padding():
    tokenizer = BPETokenizer.train(["a cosy lamp", "a red mug"], vocab_size=270)
    encoded = corpus.encode_texts(tokenizer, ["a cosy lamp <eos>", "mug"], max_len=6)
    bos, eos = tokenizer.special_tokens["<bos>"], tokenizer.special_tokens["<eos>"]
    assert encoded.truncated == 1 and len(encoded.sequences[0]) == 6
    assert encoded.sequences[0][0] == bos and eos not in encoded.sequences[0]  # "<eos>" in text stays text
    assert encoded.sequences[1][-1] == eos
    ids, padding = corpus.pad_right([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert padding.tolist() == [[False, False, False], [False, True, True]]


def test_split_indices_is_a_seeded_partition():
    test, valid, train = corpus.split_indices(50, [0.2, 0.1], seed=3)
    assert (len(test), len(valid), len(train)) == (10, 5, 35)
    assert sorted(np.concatenate([test, valid, train]).tolist()) == list(range(50))
    assert corpus.split_indices(50, [0.2, 0.1], seed=3)[0].tolist() == test.tolist()


def test_drop_words_replaces_real_tokens_after_bos_at_the_given_rate():
    rng = np.random.default_rng(0)
    ids = rng.integers(10, 50, size=(300, 23))
    padding = np.arange(23)[None, :] >= rng.integers(2, 24, size=300)[:, None]  # (B, T) ragged lengths
    dropped = drop_words(ids, padding, 0.3, unk_id=3, rng=np.random.default_rng(1))
    changed = dropped != ids
    assert np.all(dropped[changed] == 3) and not changed[:, 0].any() and not changed[padding].any()
    share = changed.sum() / (~padding[:, 1:]).sum()  # of the real tokens after <bos>
    assert 0.27 < share < 0.33
    assert np.array_equal(drop_words(ids, padding, 0.0, 3, np.random.default_rng(2)), ids)
    everything = drop_words(ids, padding, 1.0 - 1e-12, 3, np.random.default_rng(3))
    assert np.all(everything[:, 1:][~padding[:, 1:]] == 3) and np.array_equal(everything[padding], ids[padding])
    assert np.array_equal(ids, np.random.default_rng(0).integers(10, 50, size=(300, 23)))  # input untouched


def test_train_classifier_cli_writes_results_and_classify_uses_them(tmp_path, capsys):
    out = tmp_path / "run"
    run_cli("train-classifier", "--data", FIXTURES / "sentences.tsv", "--format", "tsv", "--out", out,
            *TINY_CLASSIFIER)
    results = json.loads((out / "results.json").read_text())
    for name in ("model", "bow"):
        assert 0.0 <= results[name]["accuracy"] <= 1.0 and 0.0 <= results[name]["macro_f1"] <= 1.0
        assert np.array(results[name]["confusion_matrix"]).sum() == 12  # 20% of 60 held out
    assert results["data"]["test"] == 12 and results["bow"]["accuracy"] == 1.0  # the fixture is easy for words
    task = json.loads((out / "task.json").read_text())
    assert task["model"]["pooling"] == "mean" and task["train"]["word_dropout"] == 0.1  # the defaults
    assert "bag-of-words" in capsys.readouterr().out
    assert {"best.ckpt", "tokenizer.json", "task.json", "metrics.jsonl"} <= {p.name for p in out.iterdir()}

    run_cli("classify", out, "The mug is wonderful. I love it.", "The cable is useless.")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split("\t")[0] in ("0", "1") and "probabilities: 0 " in printed[1]
    assert "leaned on:" in printed[2] and len(printed) == 6


def test_train_classifier_cli_reads_csv_columns(tmp_path):
    out = tmp_path / "csv"
    run_cli("train-classifier", "--data", FIXTURES / "reviews.csv", "--format", "csv", "--text-column", "review",
            "--label-column", "stars", "--out", out, *TINY_CLASSIFIER)
    results = json.loads((out / "results.json").read_text())
    assert results["model"]["classes"] == ["1", "2", "4", "5"] and results["data"]["test"] == 8


def test_train_classifier_cli_reports_malformed_file_line(tmp_path):
    with pytest.raises(ValueError, match=r"malformed_no_tab.tsv:3:"):
        run_cli("train-classifier", "--data", FIXTURES / "malformed_no_tab.tsv", "--out", tmp_path, *TINY_CLASSIFIER)


def test_train_lm_cli_then_generate(tmp_path, capsys):
    out = tmp_path / "lm"
    run_cli("train-lm", "--shop", FIXTURES / "shop", "--out", out, "--epochs", "2", "--vocab-size", "300",
            "--d-model", "16", "--n-blocks", "1", "--n-heads", "2", "--max-len", "48", "--quiet")
    results = json.loads((out / "results.json").read_text())
    for name in ("model", "unigram", "bigram"):
        assert math.isfinite(results[name]["perplexity"]) and results[name]["perplexity"] > 1
    assert results["data"]["products_valid"] == 1 and results["data"]["documents_train"] == 22
    assert len(results["samples"]) == 3 and "unigram" in capsys.readouterr().out

    prompt = "category: home > heaters | brand: Ember |"
    run_cli("generate", out, "--prompt", prompt, "--top-k", "5", "--samples", "2", "--max-new-tokens", "10")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 2 and lines[0].startswith(prompt)
    model, tokenizer = load_text_lm(out / "best.ckpt")
    assert model.config["d_model"] == 16 and tokenizer.vocab_size == 300


def test_loading_the_wrong_kind_of_run_is_a_clear_error(tmp_path):
    (tmp_path / "task.json").write_text(json.dumps({"task": "review-classifier"}))
    with pytest.raises(ValueError, match="not a 'text-lm' run"):
        load_text_lm(tmp_path)
    with pytest.raises(FileNotFoundError, match="no such run folder"):
        load_text_lm(tmp_path / "missing")


def test_train_classifier_with_attention_pooling_and_no_blocks_records_its_options(tmp_path):
    out = tmp_path / "small"
    run_cli("train-classifier", "--data", FIXTURES / "small_reviews.tsv", "--out", out, *TINY_CLASSIFIER,
            "--word-dropout", "0.25", "--pooling", "attention", "--n-blocks", "0")
    task = json.loads((out / "task.json").read_text())
    assert task["model"]["pooling"] == "attention" and task["model"]["n_blocks"] == 0
    assert task["train"]["word_dropout"] == 0.25
    assert task["classes"] == ["neg", "pos"]
    model, tokenizer, classes = load_classifier(out)
    assert model.pool_query.shape == (16,) and np.any(model.pool_query.data != 0)  # trained away from the mean
    answer = classify_texts(model, tokenizer, classes, ["The kettle is useless. Returned it."])[0]
    weights = np.array([weight for _, weight in answer["attention"]])
    assert len(weights) > 5 and abs(weights.sum() - 1) < 1e-6 and weights.std() > 0  # not the uniform mean


def test_train_classifier_with_words_and_mean_max_pooling_saves_and_reloads_the_word_vocabulary(tmp_path):
    out = tmp_path / "words"
    run_cli("train-classifier", "--data", FIXTURES / "small_reviews.tsv", "--out", out, *TINY_CLASSIFIER,
            "--tokenizer", "words", "--min-word-count", "2", "--pooling", "mean+max", "--average-from", "1")
    task = json.loads((out / "task.json").read_text())
    assert task["train"]["tokenizer"] == "words" and task["model"]["pooling"] == "mean+max"
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert task["train"]["average_from"] == 1
    assert [r["averaged_epochs"] for r in records] == list(range(1, len(records) + 1))  # averaged from epoch 1
    model, tokenizer, classes = load_classifier(out)
    assert isinstance(tokenizer, WordVocab) and model.head.weight.shape == (32, 2)
    training_words = [line.split("\t")[0] for line in (FIXTURES / "small_reviews.tsv").read_text().splitlines()]
    seen_twice = WordVocab.train(training_words, min_count=2).words
    assert set(tokenizer.words) <= set(seen_twice) and "kettle" in tokenizer.words  # learned from training only
    assert tokenizer.vocab_size == task["model"]["vocab_size"]
    answer = classify_texts(model, tokenizer, classes, ["The kettle is useless. Returned it."])[0]
    tokens = [token for token, _ in answer["attention"]]  # one per word, or <unk> for a word not kept
    expected = ["<bos>", "the", "kettle", "is", "useless", "returned", "it"]
    assert tokens[0] == "<bos>" and len(tokens) == 7 and all(t in (e, "<unk>") for t, e in zip(tokens, expected))
    assert set(answer["probabilities"]) == {"neg", "pos"}


def _bench_module():
    spec = importlib.util.spec_from_file_location("bench_text_tasks", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_small_sets_compares_over_seeds_and_skips_missing_files(tmp_path, capsys, monkeypatch):
    bench = _bench_module()
    monkeypatch.setattr(bench, "ClassifierTaskConfig", functools.partial(
        bench.ClassifierTaskConfig, epochs=2, vocab_size=300, d_model=16, n_blocks=1, n_heads=2, max_len=24))
    missing = tmp_path / "absent.tsv"
    report = bench.bench_small_sets(str(tmp_path), [str(FIXTURES / "small_reviews.tsv"), str(missing)], n_seeds=2)
    printed = capsys.readouterr().out
    assert f"{missing}: not found, skipped" in printed
    assert "small labelled set small_reviews: 80 examples, 2 seeds" in printed
    assert re.search(r"chosen >= bag-of-words in [012] of 2 seeds", printed)
    assert "chosen (transformer)" in printed  # labelled by the model the runs chose
    runs = report["small_reviews"]
    assert [run["seed"] for run in runs] == [0, 1] and list(report) == ["small_reviews"]
    for run in runs:
        assert run["chosen"] == "transformer"
        assert 0 <= run["model_macro_f1"] <= 1 and run["bow_accuracy"] > 0.7  # the fixture is easy for words
    seed_dirs = [json.loads((tmp_path / f"small-small_reviews-seed{s}" / "task.json").read_text()) for s in (0, 1)]
    assert [d["train"]["seed"] for d in seed_dirs] == [0, 1]
    assert all(d["train"]["tokenizer"] == bench.SMALL_SET_OPTIONS["tokenizer"] == "words" for d in seed_dirs)
    assert all(d["train"]["average_from"] == bench.SMALL_SET_OPTIONS["average_from"] == 2 for d in seed_dirs)
    assert "options {'tokenizer': 'words'" in printed and runs[0]["options"] == bench.SMALL_SET_OPTIONS
    monkeypatch.setenv("MINISHOP_LABELLED_SETS", os.pathsep.join(["a.tsv", "b.tsv"]))
    assert bench.labelled_set_paths(None) == ["a.tsv", "b.tsv"] and bench.labelled_set_paths("c.tsv,d") == ["c.tsv", "d"]


def test_bench_cache_reports_both_speeds_and_checks_the_tokens_agree(tmp_path, capsys):
    """The --only cache mode runs (no speed is asserted: timing lives in bench/README.md, not in tests)."""
    report = _bench_module().bench_cache(str(tmp_path), n_tokens=4, repeats=1, prompt_length=3)
    assert report["cached_tokens_per_s"] > 0 and report["uncached_tokens_per_s"] > 0
    assert report["ratio"] == report["cached_tokens_per_s"] / report["uncached_tokens_per_s"]
    assert "generation of 4 tokens after a 3-token prompt" in capsys.readouterr().out
