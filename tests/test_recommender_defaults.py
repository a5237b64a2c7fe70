"""Settings chosen from the data (minishop.recsys.defaults): each rule follows the shape it names, and a
setting the user gave is never changed."""

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
