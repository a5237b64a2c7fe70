"""The `minishop` command: train -> evaluate -> recommend on the bundled shop with a tiny model."""

import json
import os
import re
from types import SimpleNamespace

import pytest

import minishop
import minishop.recsys.cli

from minishop.cli import build_parser, main

TINY = ["--epochs", "2", "--d-model", "16", "--n-blocks", "1", "--n-heads", "2", "--max-len", "20",
        "--eval-every", "1", "--lr", "0.003", "--quiet"]
NAMES = {"model", "popular", "markov", "itemknn"}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("cli") / "shop")
    assert main(["train", "--out", folder] + TINY) == 0
    return folder


@pytest.mark.slow
def test_train_writes_the_run_folder_and_results_json(run_folder, capsys):
    assert sorted(os.listdir(run_folder)) == ["best.ckpt", "config.json", "data.json", "items.json", "last.ckpt",
                                               "metrics.jsonl", "results.json", "users.json"]
    results = json.load(open(os.path.join(run_folder, "results.json")))
    assert set(results) == NAMES | {"verdict", "from_data"}
    for protocol in ("full", "sampled"):  # says plainly whether a baseline wins, under each protocol
        model, best = results["model"][protocol]["NDCG@10"], max(results[name][protocol]["NDCG@10"] for name in NAMES
                                                                 if name != "model")
        assert ("does NOT beat" in results["verdict"][protocol]) == (model <= best)
    # the settings left out were chosen from the data, and say why; the ones typed (TINY) were not
    assert set(results["from_data"]) == {"batch_size", "dropout", "patience"}
    assert all(entry["why"] for entry in results["from_data"].values())
    for name in NAMES:
        assert set(results[name]) == {"full", "sampled"}
        for protocol in ("full", "sampled"):
            scores = results[name][protocol]
            assert scores["protocol"] == protocol and scores["stage"] == "test"
            for metric in ("NDCG@10", "HR@10", "MRR@10", "NDCG@5", "HR@20", "coverage@10", "popularity@10"):
                assert 0.0 <= scores[metric] <= 1.0
    config = json.load(open(os.path.join(run_folder, "config.json")))
    assert config["d_model"] == 16 and config["n_blocks"] == 1 and config["loss"] == "ce"
    assert len(open(os.path.join(run_folder, "metrics.jsonl")).readlines()) == 2


@pytest.mark.slow
def test_evaluate_reproduces_the_training_results(run_folder, tmp_path, capsys):
    out = str(tmp_path / "again.json")
    assert main(["evaluate", run_folder, "--json", out]) == 0
    printed = capsys.readouterr().out
    assert "full NDCG@10" in printed and "sampled NDCG@10" in printed and "itemknn" in printed
    again = json.load(open(out))
    first = json.load(open(os.path.join(run_folder, "results.json")))
    assert again["model"]["full"]["NDCG@10"] == pytest.approx(first["model"]["full"]["NDCG@10"], abs=1e-9)
    assert again["model"]["sampled"]["HR@10"] == pytest.approx(first["model"]["sampled"]["HR@10"], abs=1e-9)


def test_evaluate_under_mpiexec_writes_its_json_from_rank_0_only(run_folder, tmp_path, monkeypatch):
    out = tmp_path / "rank1.json"
    rank_1 = SimpleNamespace(world=lambda: SimpleNamespace(rank=1, world_size=2))  # what the command asks
    monkeypatch.setattr(minishop.recsys.cli, "distributed", rank_1)
    assert main(["evaluate", run_folder, "--json", str(out), "--no-baselines"]) == 0
    assert not out.exists()


@pytest.mark.slow
def test_recommend_prints_titles_scores_and_a_reason(run_folder, capsys):
    assert main(["recommend", os.path.join(run_folder, "best.ckpt"), "--user", "U00007", "-k", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    ranked = [line for line in lines if re.match(r"\s*\d+\. ", line)]
    assert len(ranked) == 4 and all(re.search(r"\(score -?\d+\.\d\d\)$", line) for line in ranked)
    assert not any(re.match(r"\s*\d+\. P\d+", line) for line in ranked)  # product titles, not raw ids
    assert re.match(r"because you (viewed|added to cart|bought) ", lines[-1])
    assert re.search(r"\(score drops by [\d.e+-]+ without it\)$", lines[-1])


@pytest.mark.slow
def test_recommend_names_an_unknown_user(run_folder, capsys):
    assert main(["recommend", run_folder, "--user", "nobody"]) == 2
    error = capsys.readouterr().err
    assert "user 'nobody' is not in this run's data" in error
    assert "None" not in error  # index 0 is padding, never offered as an example user


@pytest.mark.slow
def test_score_refuses_a_history_with_no_known_item(run_folder):
    run = minishop.load_run(run_folder)
    known = run.item_ids[1]
    assert run.score([[known]]).shape == (1, len(run.item_ids))
    with pytest.raises(ValueError, match=r"score: history 1 \[\] \(empty\) holds no item this model knows"):
        run.score([[known], []])
    with pytest.raises(ValueError, match=r"score: history 0 \['nope'\] holds no item"):
        run.score([["nope"]])
    assert run.recommend(history=["nope"])["items"] == []  # recommend answers no items instead


def test_threads_option_limits_the_blas_threads(capsys):
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    before = max(blas_threads())
    try:
        assert build_parser().parse_args(["evaluate", "somewhere"]).threads == int(os.environ.get("MINISHOP_THREADS", "1"))
        assert main(["--threads", "1", "evaluate", "no/such/run"]) == 2  # fails after setting the threads
        assert blas_threads() == {1}
    finally:
        minishop.set_num_threads(before)


def test_a_config_file_with_a_typo_fails_loudly(tmp_path, capsys):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"d_model": 8, "epoch": 3}))
    assert main(["train", "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown setting(s) ['epoch']" in err and str(config) in err


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    assert "train" in text and "evaluate" in text and "recommend" in text
