"""One place for each setting: model classes, task configs and training commands agree, and a --config file
(JSON or TOML) sits between the defaults and the flags typed."""

import inspect
import json
from dataclasses import fields

import pytest

from minishop.cli import build_parser, main
from minishop.config import ModelConfig, config_from_args
from minishop.recsys.model import SequentialRecommender
from minishop.recsys.training import RecommenderConfig
from minishop.text.classifier import ReviewClassifier
from minishop.text.lm import TextLM
from minishop.text.training import ClassifierTaskConfig, LMTaskConfig

TASKS = [("train", RecommenderConfig, SequentialRecommender),
         ("train-lm", LMTaskConfig, TextLM),
         ("train-classifier", ClassifierTaskConfig, ReviewClassifier)]
SIZES = [f.name for f in fields(ModelConfig)]


def parsed_config(command, config_class, *argv):
    return config_from_args(config_class, build_parser().parse_args([command, *argv]))


@pytest.mark.parametrize("command, config_class, model_class", TASKS)
def test_model_defaults_equal_config_defaults_equal_command_defaults(command, config_class, model_class):
    signature = inspect.signature(model_class).parameters
    config = config_class()
    for name in SIZES:
        if name in signature and getattr(config, name) is not None:  # None: chosen from the data (the
            # classifier's n_blocks and max_len); TextLM is pre-LN only and has no norm_first
            assert signature[name].default == getattr(config, name), f"{model_class.__name__}({name}=...)"
    assert {"d_model", "n_blocks", "n_heads", "max_len", "dropout"} <= set(signature)
    assert parsed_config(command, config_class) == config


@pytest.mark.parametrize("command, config_class, model_class", TASKS)
def test_every_training_command_has_the_same_flag_names(command, config_class, model_class, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines where it likes
    for flag in ("--d-model", "--n-blocks", "--n-heads", "--max-len", "--dropout", "--epochs", "--lr", "--seed",
                 "--device", "--quiet", "--config", "--threads", "--out"):
        assert flag in text, f"{command} has no {flag}"
    assert f"hidden size (default: {config_class().d_model})" in text  # --help shows the dataclass's own default
    assert "--blocks " not in text and "--heads " not in text and "--no-progress" not in text


def test_threads_is_taken_before_or_after_the_command():
    parser = build_parser()
    assert parser.parse_args(["train-lm", "--threads", "3"]).threads == 3
    assert parser.parse_args(["--threads", "2", "train-classifier"]).threads == 2


def test_the_flags_set_their_fields():
    config = parsed_config("train", RecommenderConfig, "--n-blocks", "3", "--n-heads", "4", "--post-ln", "--quiet",
                           "--loss", "bce", "--valid-users", "7", "--lr", "0.01", "--device", "numpy")
    assert (config.n_blocks, config.n_heads, config.norm_first, config.progress) == (3, 4, False, False)
    assert (config.loss, config.valid_users, config.lr) == ("bce", 7, 0.01)
    config = parsed_config("train-classifier", ClassifierTaskConfig, "--pooling", "mean+max", "--post-ln", "--seed", "5")
    assert (config.pooling, config.norm_first, config.seed) == ("mean+max", False, 5)


@pytest.mark.parametrize("suffix, text", [
    (".json", '{\n  "d_model": 32,\n  "epochs": 7,\n  "progress": false\n}\n'),
    (".toml", "# settings\nd_model = 32\nepochs = 7\nprogress = false\n"),
])
@pytest.mark.parametrize("command, config_class, model_class", TASKS)
def test_defaults_then_the_config_file_then_the_flags_typed(command, config_class, model_class, suffix, text,
                                                           tmp_path):
    path = tmp_path / f"settings{suffix}"
    path.write_text(text)
    config = parsed_config(command, config_class, "--config", str(path), "--epochs", "3")
    assert config.d_model == 32 and config.progress is False  # from the file
    assert config.epochs == 3  # the flag typed wins over the file
    assert config.n_blocks == config_class().n_blocks  # neither: the default
    # a flag left at its default does not overwrite the file
    assert parsed_config(command, config_class, "--config", str(path)).epochs == 7


def test_an_unknown_key_names_the_file_and_its_line(tmp_path, capsys):
    path = tmp_path / "settings.toml"
    path.write_text("d_model = 32\n\nn_block = 3\n")
    assert main(["train-lm", "--config", str(path)]) == 2
    error = capsys.readouterr().err
    assert f"--config {path}: line 3: unknown setting(s) ['n_block']" in error and "'n_blocks'" in error


def test_a_value_of_the_wrong_type_names_the_key_and_what_was_expected(tmp_path, capsys):
    path = tmp_path / "settings.json"
    path.write_text('{"epochs": 2,\n "d_model": "64"}')
    assert main(["train-classifier", "--config", str(path)]) == 2
    assert f"--config {path}: line 2: d_model = '64': expected a int" in capsys.readouterr().err


@pytest.mark.parametrize("name, text, expected", [
    ("bad.json", '{"d_model": 32,\n "epochs": }', "line 2: not valid JSON"),
    ("bad.toml", "d_model = 32\nepochs = \n", "not valid TOML"),
    ("list.json", "[1, 2]", "expected an object of settings"),
])
def test_a_malformed_config_file_is_a_clear_error(name, text, expected, tmp_path, capsys):
    path = tmp_path / name
    path.write_text(text)
    assert main(["train", "--config", str(path)]) == 2
    error = capsys.readouterr().err
    assert f"--config {path}" in error and expected in error and "Traceback" not in error


def test_the_lm_refuses_post_ln_settings_it_cannot_honour(tmp_path):
    from minishop.text.training import train_description_lm
    with pytest.raises(ValueError, match="pre-LN only"):
        train_description_lm(str(tmp_path), LMTaskConfig(norm_first=False))


def test_a_missing_config_file_names_the_flag(tmp_path, capsys):
    missing = tmp_path / "nope.toml"
    assert main(["train", "--config", str(missing)]) == 2
    error = capsys.readouterr().err
    assert f"--config {missing}: no such file or directory" in error and "Errno" not in error


@pytest.mark.parametrize("typed, in_file, environment, expected", [
    ([], "numpy", None, "numpy"),          # the file's device, with $MINISHOP_BACKEND unset
    ([], "cupy", None, "cupy"),            # ... even one this machine has no GPU for: NCCL would be chosen
    (["--device", "numpy"], "cupy", None, "numpy"),  # the flag typed wins over the file
    ([], None, None, "numpy"),             # neither: the active backend
])
def test_the_device_is_resolved_as_the_config_resolves_it(typed, in_file, environment, expected, tmp_path,
                                                          monkeypatch):
    """The command line chooses how ranks talk (NCCL for cupy, MPI for numpy) from the device the training
    will use: the --device typed, else the --config file's, else the active backend."""
    from minishop import cli

    monkeypatch.delenv("MINISHOP_BACKEND", raising=False)
    argv = ["train", *typed]
    if in_file:
        (tmp_path / "settings.toml").write_text(f'device = "{in_file}"\n')
        argv += ["--config", str(tmp_path / "settings.toml")]
    args = build_parser().parse_args(argv)
    assert cli.resolved_device(args) == expected
    assert config_from_args(RecommenderConfig, args).device in (expected, None)  # the config agrees (None = active)
    chosen = []

    def stop_after_choosing(device):
        chosen.append(device)
        raise RuntimeError("stopped before training")

    monkeypatch.setattr(cli.distributed, "init_from_launcher", stop_after_choosing)
    assert main(argv) == 2 and chosen == [expected]


def test_evaluate_and_recommend_default_to_the_active_backend():
    parser = build_parser()
    assert parser.parse_args(["evaluate", "runs/x"]).device is None  # None: leave the backend as it is
    assert parser.parse_args(["recommend", "runs/x", "--user", "U1"]).device is None
