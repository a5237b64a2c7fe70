"""Run folders you can rely on: a killed run resumes with --resume alone to the very same results; a run is
never overwritten by accident; --resume needs a run; a failed run leaves nothing that looks finished."""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minishop.checkpoint import load_checkpoint
from minishop.cli import main
from minishop.config import add_config_flags
from minishop.eval import text_metrics
from minishop.recsys.training import load_recommender

# Small batches make many steps per epoch, so the kill lands inside an epoch; four epochs of a tiny model.
TINY = ["--epochs", "4", "--batch-size", "16", "--d-model", "16", "--n-blocks", "1", "--n-heads", "2",
        "--max-len", "20", "--eval-every", "1", "--lr", "0.003", "--patience", "0", "--quiet"]


def train_command(folder, *flags):
    return [sys.executable, "-m", "minishop.cli", "--threads", "1", "train", "--out", folder, *flags]


def epochs_logged(folder):
    path = os.path.join(folder, "metrics.jsonl")
    return len(open(path).readlines()) if os.path.exists(path) else 0


def without_timing(records):
    timing = {"seconds", "steps_per_s", "examples_per_s"}
    return [{name: value for name, value in record.items() if name not in timing} for record in records]


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_with_resume_alone_to_identical_results(tmp_path):
    straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")
    subprocess.run(train_command(straight, *TINY), check=True, capture_output=True)

    process = subprocess.Popen(train_command(killed, *TINY), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while epochs_logged(killed) < 2 and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)  # into the third epoch
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed: make it longer"
    assert 2 <= epochs_logged(killed) < 4 and not os.path.exists(os.path.join(killed, "results.json"))
    assert main(["evaluate", killed]) == 2  # an unfinished run does not pass for a finished one
    before = open(os.path.join(killed, "metrics.jsonl")).readlines()

    resumed = subprocess.run(train_command(killed, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    after = open(os.path.join(killed, "metrics.jsonl")).readlines()
    assert after[:len(before)] == before  # the epochs done before the kill were kept (timings too), not redone

    assert json.load(open(os.path.join(killed, "results.json"))) == json.load(open(os.path.join(straight, "results.json")))
    assert json.load(open(os.path.join(killed, "config.json"))) == json.load(open(os.path.join(straight, "config.json")))
    logs = [[json.loads(line) for line in open(os.path.join(folder, "metrics.jsonl"))] for folder in (straight, killed)]
    assert without_timing(logs[0]) == without_timing(logs[1])
    model_a, _ = load_recommender(straight)
    model_b, _ = load_recommender(killed)
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        assert (a == b).all(), name


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("runs") / "shop")
    assert main(["train", "--out", folder, *TINY[:1], "1", *TINY[2:]]) == 0
    return folder


@pytest.mark.slow
def test_resume_with_a_conflicting_flag_is_an_error_that_names_it(finished_run, capsys):
    assert main(["train", "--out", finished_run, "--resume", "--lr", "0.01"]) == 2
    error = capsys.readouterr().err
    assert "--lr 0.01 conflicts with the run's lr = 0.003" in error and "config.json" in error
    assert main(["train", "--out", finished_run, "--resume", "--lr", "0.003", "--quiet"]) == 0  # agreeing is fine


@pytest.mark.slow
def test_training_into_a_run_folder_refuses_without_overwrite(finished_run, capsys):
    before = open(os.path.join(finished_run, "results.json")).read()
    assert main(["train", "--out", finished_run, *TINY]) == 2
    error = capsys.readouterr().err
    assert f"--out {finished_run}: the folder is not empty" in error and "--overwrite" in error
    assert open(os.path.join(finished_run, "results.json")).read() == before


def test_resume_on_a_folder_without_a_run_is_an_error(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "new"), "--resume"]) == 2
    assert "no run to continue" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "new")


def test_a_run_that_fails_leaves_no_folder(tmp_path, capsys):
    folder = tmp_path / "failed"
    bad_data = tmp_path / "empty.txt"
    bad_data.write_text("")
    assert main(["train", "--out", str(folder), "--data", str(bad_data), "--format", "sasrec", *TINY]) == 2
    assert "empty.txt" in capsys.readouterr().err
    assert not folder.exists()


@pytest.mark.slow
def test_overwrite_replaces_the_run(tmp_path):
    folder = str(tmp_path / "shop")
    one_epoch = [*TINY[:1], "1", *TINY[2:]]
    assert main(["train", "--out", folder, *one_epoch]) == 0
    assert main(["train", "--out", folder, "--overwrite", *one_epoch, "--seed", "3"]) == 0
    assert json.load(open(os.path.join(folder, "config.json")))["seed"] == 3
    assert load_checkpoint(os.path.join(folder, "best.ckpt"), load_recommender(folder)[0])["epoch"] == 1


def test_resume_on_changed_data_is_an_error_and_evaluate_notes_the_change(tmp_path, capsys):
    data = tmp_path / "ratings.txt"
    data.write_text("".join(f"{user} {item}\n" for user in range(1, 40) for item in range(user % 25 + 1, user % 25 + 6)))
    folder = str(tmp_path / "run")
    flags = ["--data", str(data), "--format", "sasrec", "--epochs", "1", "--d-model", "8", "--n-blocks", "1",
             "--n-heads", "1", "--max-len", "5", "--quiet"]
    assert main(["train", "--out", folder, *flags]) == 0
    with open(data, "a") as file:
        file.write("40 1\n40 2\n40 3\n")
    capsys.readouterr()
    assert main(["train", "--out", folder, "--resume"]) == 2
    assert "the data differs from the run's" in capsys.readouterr().err
    assert main(["evaluate", folder, "--no-baselines"]) == 0
    assert f"note: {data} changed since training (data.json)" in capsys.readouterr().out


REVIEWS = str(Path(__file__).parent / "fixtures" / "text" / "small_reviews.tsv")
CLASSIFIER = ["train-classifier", "--data", REVIEWS, "--epochs", "4", "--vocab-size", "300", "--d-model", "16",
              "--n-blocks", "1", "--n-heads", "2", "--max-len", "24", "--tokenizer", "bpe", "--pooling", "mean",
              "--patience", "0", "--quiet"]  # every setting typed: no automatic choice before training


def test_an_interrupted_text_run_resumes_with_resume_alone_to_the_same_results(tmp_path, monkeypatch, capsys):
    straight, interrupted = str(tmp_path / "straight"), str(tmp_path / "interrupted")
    assert main([*CLASSIFIER, "--out", straight]) == 0
    calls = {"n": 0}
    real_macro_f1 = text_metrics.macro_f1

    def interrupted_at_the_third_validation(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as Ctrl-C during epoch 3: last.ckpt holds epoch 2
        return real_macro_f1(*args)

    monkeypatch.setattr(text_metrics, "macro_f1", interrupted_at_the_third_validation)
    with pytest.raises(KeyboardInterrupt):
        main([*CLASSIFIER, "--out", interrupted])
    monkeypatch.setattr(text_metrics, "macro_f1", real_macro_f1)
    assert epochs_logged(interrupted) == 2 and not os.path.exists(os.path.join(interrupted, "results.json"))

    assert main(["train-classifier", "--out", interrupted, "--resume", "--epochs", "9"]) == 2
    assert "--epochs 9: this task's learning rate follows a cosine over all 4 epochs" in capsys.readouterr().err
    before = open(os.path.join(interrupted, "metrics.jsonl")).readlines()
    assert main(["train-classifier", "--out", interrupted, "--resume"]) == 0
    assert open(os.path.join(interrupted, "metrics.jsonl")).readlines()[:2] == before  # kept, not redone
    results = [json.load(open(os.path.join(folder, "results.json"))) for folder in (straight, interrupted)]
    for result in results:
        result.pop("training")  # wall times
    assert results[0] == results[1]
    logs = [[json.loads(line) for line in open(os.path.join(folder, "metrics.jsonl"))]
            for folder in (straight, interrupted)]
    assert without_timing(logs[0]) == without_timing(logs[1])


@pytest.mark.slow
def test_resume_may_raise_the_epochs_when_the_schedule_is_constant(tmp_path, capsys):
    folder = str(tmp_path / "shop")
    assert main(["train", "--out", folder, *TINY[:1], "1", *TINY[2:]]) == 0
    first = open(os.path.join(folder, "metrics.jsonl")).readlines()
    assert main(["train", "--out", folder, "--resume", "--epochs", "2", "--patience", "2"]) == 0
    after = open(os.path.join(folder, "metrics.jsonl")).readlines()
    assert len(first) == 1 and len(after) == 2 and after[0] == first[0]  # epoch 1 kept, epoch 2 trained on
    saved = json.load(open(os.path.join(folder, "config.json")))
    assert (saved["epochs"], saved["patience"]) == (2, 2)  # a later --resume continues the longer run


def test_resume_refuses_more_epochs_under_a_cosine_schedule(tmp_path):
    from dataclasses import asdict

    from minishop.config import config_from_args
    from minishop.text.training import ClassifierTaskConfig

    parser = argparse.ArgumentParser()
    add_config_flags(parser, ClassifierTaskConfig)
    saved = asdict(ClassifierTaskConfig(epochs=4))
    with pytest.raises(ValueError, match=r"--epochs 8: .* cosine over all 4 epochs .*config.json"):
        config_from_args(ClassifierTaskConfig, parser.parse_args(["--epochs", "8"]), saved=saved)
    assert config_from_args(ClassifierTaskConfig, parser.parse_args(["--quiet"]), saved=saved).epochs == 4
