"""fit_recommender's validation protocol: early stopping can follow the full-ranking or the paper's sampled NDCG@10."""

import json
import os

import pytest

from minishop.data import prepare
from minishop.eval import evaluate
from minishop.recsys.training import RecommenderConfig, fit_recommender


@pytest.fixture(scope="module")
def shop():
    return prepare()


def tiny_config(**changes):
    settings = dict(d_model=16, n_blocks=1, n_heads=1, max_len=10, dropout=0.0, epochs=1, eval_every=1,
                    valid_users=200, batch_size=256, progress=False)
    settings.update(changes)
    return RecommenderConfig(**settings)


@pytest.mark.parametrize("protocol", ["full", "sampled"])
def test_validation_follows_the_chosen_protocol(shop, tmp_path, protocol):
    model, result = fit_recommender(shop, tiny_config(valid_protocol=protocol), out_dir=str(tmp_path))
    with open(os.path.join(tmp_path, "metrics.jsonl"), encoding="utf-8") as file:
        records = [json.loads(line) for line in file]
    validated = [r for r in records if "valid_NDCG@10" in r]
    assert [r["valid_protocol"] for r in validated] == [protocol]
    expected = evaluate(model, shop.split, stage="valid", protocol=protocol, ks=(10,), users=200, seed=0,
                        progress=False)["NDCG@10"]
    assert validated[0]["valid_NDCG@10"] == pytest.approx(expected, rel=1e-12)
    assert result.best_metric == pytest.approx(expected, rel=1e-12)


def test_an_unknown_validation_protocol_fails_before_training(shop):
    with pytest.raises(ValueError, match="valid_protocol='paper'.*'full' or 'sampled'"):
        fit_recommender(shop, tiny_config(valid_protocol="paper"))


def test_weight_averaging_reaches_the_training_loop_and_the_returned_model(shop, tmp_path):
    model, result = fit_recommender(shop, tiny_config(epochs=2, average_from=1), out_dir=str(tmp_path))
    with open(os.path.join(tmp_path, "metrics.jsonl"), encoding="utf-8") as file:
        records = [json.loads(line) for line in file]
    assert [r["averaged_epochs"] for r in records] == [1, 2]
    assert os.path.exists(os.path.join(tmp_path, "average.ckpt"))
    returned = evaluate(model, shop.split, stage="valid", protocol="full", ks=(10,), users=200, seed=0,
                        progress=False)["NDCG@10"]
    assert returned == pytest.approx(result.best_metric, rel=1e-12)  # the model handed back is the one validated
