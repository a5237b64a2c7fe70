"""minishop.train: the shared training loop (resume, divergence, early stopping, logs, schedules)."""

import json
import math
import os

import numpy as np
import pytest

import minishop
from minishop.checkpoint import load_checkpoint
from minishop.recsys.objectives import bce_loss, make_batch
from minishop.recsys.model import SequentialRecommender
from minishop.optim import WeightAverage
from minishop.train import TrainConfig, TrainingDiverged, learning_rate, train

N_ITEMS = 31
# learnable histories: each user walks up the catalogue from a random start (next item = item + 1)
HISTORIES = [[1 + (start + k) % N_ITEMS for k in range(3 + u % 7)]
             for u, start in enumerate(np.random.default_rng(0).integers(0, N_ITEMS, size=40))]


def new_model():
    minishop.manual_seed(11)
    return SequentialRecommender(N_ITEMS, d_model=8, n_blocks=1, n_heads=2, max_len=6, dropout=0.3)


def batches(rng):
    """Shuffled batches of 16 histories with BCE negatives: both draw from rng, dropout from the backend rng."""
    order = rng.permutation(len(HISTORIES))
    return [make_batch([HISTORIES[i] for i in order[s:s + 16]], N_ITEMS, 6, "bce", rng)
            for s in range(0, len(order), 16)]


def scores_of(model):
    return minishop.to_numpy(model.score(HISTORIES[:5])).copy()


def config(**changes):
    values = dict(epochs=4, lr=1e-2, warmup_steps=3, eval_every=1, patience=0, progress=False, seed=5)
    values.update(changes)
    return TrainConfig(**values)


def fake_evaluate(model):
    """A deterministic metric of the weights (no randomness used), so best.ckpt tracking is exercised."""
    return {"NDCG@10": float(np.tanh(np.abs(model.item_embedding.weight.numpy()).mean()))}


def test_resume_reproduces_the_uninterrupted_run_exactly(tmp_path):
    straight = new_model()
    full = train(straight, batches, bce_loss, config(), evaluate=fake_evaluate, out_dir=str(tmp_path / "a"))

    interrupted = new_model()
    train(interrupted, batches, bce_loss, config(epochs=2), evaluate=fake_evaluate, out_dir=str(tmp_path / "b"))
    resumed = new_model()  # a fresh process would rebuild the model from scratch, then resume
    minishop.manual_seed(999)  # whatever happened to the random state in between must not matter
    rest = train(resumed, batches, bce_loss, config(), evaluate=fake_evaluate, out_dir=str(tmp_path / "b"),
                 resume=True)

    assert rest.epochs_run == 4
    assert [r["train_loss"] for r in rest.history] == [r["train_loss"] for r in full.history]
    np.testing.assert_array_equal(scores_of(resumed), scores_of(straight))
    log_a = [json.loads(line) for line in open(tmp_path / "a" / "metrics.jsonl")]
    log_b = [json.loads(line) for line in open(tmp_path / "b" / "metrics.jsonl")]
    assert [r["train_loss"] for r in log_a] == [r["train_loss"] for r in log_b]
    assert len(log_b) == 4


def test_training_lowers_the_loss_and_writes_the_run_folder(tmp_path):
    model = new_model()
    result = train(model, batches, bce_loss, config(epochs=6), evaluate=fake_evaluate, out_dir=str(tmp_path))
    losses = [record["train_loss"] for record in result.history]
    assert losses[-1] < losses[0] - 0.05
    assert sorted(os.listdir(tmp_path)) == ["best.ckpt", "last.ckpt", "metrics.jsonl"]
    records = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["epoch"] for r in records] == [1, 2, 3, 4, 5, 6]
    for key in ("train_loss", "lr", "seconds", "steps_per_s", "examples_per_s", "valid_NDCG@10", "step"):
        assert key in records[0]
    assert records[-1]["step"] == 6 * 3  # 40 histories in batches of 16: 3 steps per epoch
    best = max(records, key=lambda r: r["valid_NDCG@10"])
    assert result.best_epoch == best["epoch"] and result.best_metric == best["valid_NDCG@10"]
    saved = load_checkpoint(str(tmp_path / "best.ckpt"), new_model())
    assert saved["epoch"] == best["epoch"]


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    calls = {"n": 0}

    def loss_that_explodes(model, batch):
        calls["n"] += 1
        loss = bce_loss(model, batch)
        return loss * float("nan") if calls["n"] == 5 else loss  # the 2nd step of epoch 2

    model = new_model()
    with pytest.raises(TrainingDiverged, match=r"became nan at epoch 2, step 2.*last\.ckpt still holds .* \(1\)"):
        train(model, batches, loss_that_explodes, config(), out_dir=str(tmp_path))
    after_epoch_1 = new_model()
    saved = load_checkpoint(str(tmp_path / "last.ckpt"), after_epoch_1)
    assert saved["train_state"]["epoch"] == 1
    assert all(np.isfinite(p.numpy()).all() for p in after_epoch_1.parameters())
    assert len(open(tmp_path / "metrics.jsonl").readlines()) == 1


def test_infinite_loss_without_out_dir_also_stops():
    def infinite(model, batch):
        return bce_loss(model, batch) * float("inf")

    with pytest.raises(TrainingDiverged, match="became inf at epoch 1, step 1.*no checkpoint was written"):
        train(new_model(), batches, infinite, config())


def test_early_stopping_follows_the_monitored_metric(tmp_path):
    values = iter([0.3, 0.5, 0.4, 0.45, 0.2, 0.9, 0.9])

    def evaluate(model):
        return {"NDCG@10": next(values)}

    result = train(new_model(), batches, bce_loss, config(epochs=7, patience=3), evaluate=evaluate,
                   out_dir=str(tmp_path))
    assert result.stopped_early and result.epochs_run == 5  # epochs 3, 4, 5 did not beat 0.5
    assert result.best_epoch == 2 and result.best_metric == 0.5
    with pytest.raises(KeyError, match="HR@10"):
        train(new_model(), batches, bce_loss, config(monitor="HR@10"), evaluate=lambda m: {"NDCG@10": 1.0})


def test_learning_rate_warms_up_then_stays_or_follows_a_cosine():
    constant = config(lr=1.0, warmup_steps=4)
    assert [learning_rate(constant, s, 20) for s in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    cosine = config(lr=1.0, warmup_steps=4, schedule="cosine")
    assert learning_rate(cosine, 4, 20) == 1.0
    assert math.isclose(learning_rate(cosine, 12, 20), 0.5)
    assert learning_rate(cosine, 19, 20) < 0.01
    with pytest.raises(ValueError, match="schedule"):
        learning_rate(config(schedule="linear"), 0, 10)


def test_a_cosine_schedule_needs_batches_with_a_length():
    def generator_batches(rng):
        yield from batches(rng)

    with pytest.raises(ValueError, match="needs the number of steps"):
        train(new_model(), generator_batches, bce_loss, config(schedule="cosine"))
    result = train(new_model(), generator_batches, bce_loss, config(epochs=1))  # constant: fine
    assert result.history[0]["step"] == 3


# ---- weight averaging (average_from) ---------------------------------------------------------------

def weights_of(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_weight_average_keeps_the_running_mean_and_puts_the_raw_weights_back():
    model = new_model()
    average = WeightAverage(model.parameters())
    seen = []
    for step in range(3):
        for p in model.parameters():
            p.data = p.data + (step + 1) * 0.1  # three different weight vectors
        seen.append(weights_of(model))
        average.update()
    raw = weights_of(model)
    with average.applied():
        for inside, *versions in zip(weights_of(model), *seen):
            np.testing.assert_allclose(inside, np.mean(versions, axis=0), rtol=1e-6, atol=1e-7)
    for after, before in zip(weights_of(model), raw):
        np.testing.assert_array_equal(after, before)
    assert average.count == 3


def test_average_from_hands_back_the_mean_of_the_end_of_epoch_weights_without_changing_training():
    end_of_epoch = []

    def recording(model):
        def batches_recording(rng):  # called at the start of each epoch: the weights are the last epoch's
            end_of_epoch.append(weights_of(model))
            return batches(rng)
        return batches_recording

    plain = new_model()
    plain_run = train(plain, recording(plain), bce_loss, config())
    end_of_epoch = end_of_epoch[1:] + [weights_of(plain)]  # the weights after epochs 1, 2, 3, 4

    averaged = new_model()
    averaged_run = train(averaged, batches, bce_loss, config(average_from=2))
    assert [r["train_loss"] for r in averaged_run.history] == [r["train_loss"] for r in plain_run.history]
    assert [r.get("averaged_epochs") for r in averaged_run.history] == [None, 1, 2, 3]
    for got, *versions in zip(weights_of(averaged), *end_of_epoch[1:]):  # epochs 2, 3, 4
        np.testing.assert_allclose(got, np.mean(versions, axis=0), rtol=1e-5, atol=1e-7)


def test_with_averaging_validation_and_best_ckpt_see_the_averaged_weights(tmp_path):
    plain = new_model()
    train(plain, batches, bce_loss, config(epochs=3))
    averaged = new_model()
    seen = []

    def evaluate(model):
        seen.append(weights_of(model))
        return {"NDCG@10": float(len(seen))}  # always improving: the best is the last evaluation

    train(averaged, batches, bce_loss, config(epochs=3, average_from=3), evaluate=evaluate, out_dir=str(tmp_path))
    for validated, final in zip(seen[-1], weights_of(plain)):  # a mean over epoch 3 alone = epoch 3's weights
        np.testing.assert_allclose(validated, final, rtol=1e-6, atol=1e-7)
    assert not np.allclose(seen[0][0], seen[-1][0])
    best = new_model()
    load_checkpoint(str(tmp_path / "best.ckpt"), best)
    for saved, validated in zip(weights_of(best), seen[-1]):
        np.testing.assert_array_equal(saved, validated)
    assert sorted(os.listdir(tmp_path)) == ["average.ckpt", "best.ckpt", "last.ckpt", "metrics.jsonl"]


def test_resume_with_weight_averaging_reproduces_the_uninterrupted_run(tmp_path):
    # no evaluate: each run hands back its averaged weights, so a wrongly restored mean shows in the scores
    straight = new_model()
    train(straight, batches, bce_loss, config(epochs=5, average_from=2), out_dir=str(tmp_path / "a"))
    interrupted = new_model()
    train(interrupted, batches, bce_loss, config(epochs=3, average_from=2), out_dir=str(tmp_path / "b"))
    resumed = new_model()
    rest = train(resumed, batches, bce_loss, config(epochs=5, average_from=2), out_dir=str(tmp_path / "b"),
                 resume=True)
    assert rest.history[-1]["averaged_epochs"] == 4
    np.testing.assert_array_equal(scores_of(resumed), scores_of(straight))
