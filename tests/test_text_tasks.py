"""The text tasks end to end on fixtures: corpus helpers, the four CLI commands and their run folders."""

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pytest

from minishop.text_cli import add_text_commands
from minishop.text_tasks import corpus, load_text_lm
from minishop.tokenizers import BPETokenizer

FIXTURES = Path(__file__).parent / "fixtures" / "text"
TINY_CLASSIFIER = ["--epochs", "3", "--vocab-size", "300", "--d-model", "16", "--n-blocks", "1", "--n-heads", "2",
                   "--max-len", "24", "--no-progress"]


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


def test_train_classifier_cli_writes_results_and_classify_uses_them(tmp_path, capsys):
    out = tmp_path / "run"
    run_cli("train-classifier", "--data", FIXTURES / "sentences.tsv", "--format", "tsv", "--out", out,
            *TINY_CLASSIFIER)
    results = json.loads((out / "results.json").read_text())
    for name in ("model", "bow"):
        assert 0.0 <= results[name]["accuracy"] <= 1.0 and 0.0 <= results[name]["macro_f1"] <= 1.0
        assert np.array(results[name]["confusion_matrix"]).sum() == 12  # 20% of 60 held out
    assert results["data"]["test"] == 12 and results["bow"]["accuracy"] == 1.0  # the fixture is easy for words
    assert "bag-of-words" in capsys.readouterr().out
    assert {"best.ckpt", "tokenizer.json", "task.json", "metrics.jsonl"} <= {p.name for p in out.iterdir()}

    run_cli("classify", out, "The mug is wonderful. I love it.", "The cable is useless.")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split("\t")[0] in ("0", "1") and "probabilities: 0 " in printed[1]
    assert "most attended:" in printed[2] and len(printed) == 6


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
            "--d-model", "16", "--n-blocks", "1", "--n-heads", "2", "--max-len", "48", "--no-progress")
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
