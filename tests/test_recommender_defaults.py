"""Settings chosen from the data (minishop.recsys.defaults): each rule follows the shape it names, and a
setting the user gave is never changed."""

import json

from minishop.data.splits import leave_one_out
from minishop.recsys.defaults import FROM_DATA, choose
from minishop.recsys.training import RecommenderConfig


def split_of(n_users, length, n_items):
    """n_users histories of `length` items each (+2 held out), cycling through n_items items."""
    sequences = {user: [1 + (user * 7 + t) % n_items for t in range(length + 2)] for user in range(1, n_users + 1)}
    return leave_one_out(sequences, n_items=n_items)


def test_long_dense_histories_get_a_long_window_small_batches_and_light_dropout():
    config, chosen = choose(RecommenderConfig(), split_of(n_users=300, length=250, n_items=100))
    assert set(chosen) == set(FROM_DATA)
    assert config.max_len == 200 and chosen["max_len"]["value"] == 200  # capped at 200
    assert config.batch_size == 32  # 6,400 positions / 200
    assert config.dropout == 0.2  # 750 interactions per item: dense
    assert config.epochs == 400 and config.eval_every == 12  # 10 steps an epoch: 4,000 steps, every 120
    assert config.patience == 5  # 300 validation users: noisy
    assert "250 items" in chosen["max_len"]["why"]


def test_short_histories_of_rare_items_get_a_short_window_and_heavy_dropout():
    config, _ = choose(RecommenderConfig(), split_of(n_users=6000, length=7, n_items=5000))
    assert config.max_len == 10 and config.batch_size == 128 and config.dropout == 0.5
    assert config.epochs == 86 and config.eval_every == 3 and config.patience == 3  # 47 steps an epoch


def test_a_setting_given_is_kept_and_not_reported_as_chosen():
    given = RecommenderConfig(max_len=30, dropout=0.1, epochs=3, batch_size=64, eval_every=1, patience=0)
    config, chosen = choose(given, split_of(n_users=300, length=250, n_items=100))
    assert config == given and chosen == {}
    config, chosen = choose(RecommenderConfig(max_len=30), split_of(n_users=300, length=250, n_items=100))
    assert config.max_len == 30 and "max_len" not in chosen and config.batch_size == 128  # 6,400 / 30, capped


def test_a_run_keeps_the_k_core_it_chose_so_evaluate_prepares_the_same_data(tmp_path):
    from minishop.cli import main
    from minishop.recsys.training import train_recommender
    path = tmp_path / "clicks.csv"  # 60 sessions of 4 clicks over 50 products: a 5-core would empty it
    path.write_text("user,item,timestamp\n" + "".join(
        f"s{s},p{(s * 3 + j) % 50},2024-01-01T00:{s:02d}:0{j}\n" for s in range(60) for j in range(4)))
    folder = str(tmp_path / "run")
    settings = dict(data=str(path), format="csv", epochs=2, d_model=8, n_blocks=1, n_heads=1, progress=False)
    run = train_recommender(RecommenderConfig(**settings), out_dir=folder, log=lambda _: None)
    assert run.config.min_user_count == 3 and run.prepared.k_core == 3
    saved = json.load(open(tmp_path / "run" / "config.json"))
    results = json.load(open(tmp_path / "run" / "results.json"))
    assert saved["min_user_count"] == 3 and saved["max_len"] == run.config.max_len
    assert results["from_data"]["min_user_count"]["value"] == 3 and "5-core keeps" in results["from_data"][
        "min_user_count"]["why"]
    assert main(["evaluate", folder, "--json", str(tmp_path / "again.json"), "--no-baselines"]) == 0
    again = json.load(open(tmp_path / "again.json"))
    assert again["model"]["full"]["NDCG@10"] == results["model"]["full"]["NDCG@10"]
    assert main(["train", "--out", folder, "--resume", "--epochs", "3", "--quiet"]) == 0  # the record survives
    assert json.load(open(tmp_path / "run" / "results.json"))["from_data"] == results["from_data"]
