"""Settings in one place: the model-size config every task shares, and command-line flags made from dataclasses.

    from minishop.config import ModelConfig, add_config_flags, config_from_args

    @dataclass
    class MyTaskConfig(ModelConfig):           # the six sizes, then the task's own settings
        epochs: int = 10                       # help for shared names comes from HELP below
        loss: str = setting("ce", "the loss", choices=("ce", "bce"))

    add_config_flags(parser, MyTaskConfig)     # --d-model, --n-blocks, ..., --epochs, --loss, --config
    config = config_from_args(MyTaskConfig, parser.parse_args())

A setting is named once: its field in a dataclass, with one default and one help text. The flags, their
`--help` (which shows that default) and the keys a --config file may hold all come from the same field.
Settings stack in this order: the dataclass defaults < the --config file (JSON or TOML) < the flags
the user typed. Flags are added with default=argparse.SUPPRESS, so an untyped flag leaves no trace in
the parsed arguments and cannot overwrite a value from the file.
"""

import argparse
import json
import os
import re
from dataclasses import MISSING, dataclass, field, fields

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as the package tomli (a dependency there)
    import tomli as tomllib


def setting(default, help, choices=None):
    """A dataclass field with its help text (and, optionally, the values it allows)."""
    return field(default=default, metadata={"help": help} if choices is None else {"help": help, "choices": choices})


@dataclass
class ModelConfig:
    """The sizes of a transformer, shared by the recommender, the description LM and the review classifier.

    The defaults are the recommender's; a task config that extends this class restates only the sizes
    in which it differs (their help stays here), and its model class's default arguments equal them
    (tests/test_cli_config.py checks class defaults == config defaults == parsed command-line defaults).
    """

    d_model: int = setting(64, "model width D: embedding and hidden size")
    n_blocks: int = setting(2, "transformer blocks")
    n_heads: int = setting(2, "attention heads (must divide d_model)")
    max_len: int = setting(50, "longest sequence read, in items or tokens (longer ones are cut, and counted)")
    dropout: float = setting(0.2, "dropout probability")
    norm_first: bool = setting(True, "post-LayerNorm blocks (the original transformer) instead of pre-LN")

    TRAINING = {}  # a task's fixed training choices (optimizer, schedule, monitor, ...): not settings

    def train_config(self):
        """The minishop.train.TrainConfig of this task: each of its settings that this config has a field
        of the same name for (epochs, lr, patience, ...), then the task's fixed choices in TRAINING."""
        from minishop.train import TrainConfig

        names = {config_field.name for config_field in fields(TrainConfig)} & {f.name for f in fields(self)}
        return TrainConfig(**{name: getattr(self, name) for name in names}, **self.TRAINING)


# Help for the settings several task configs share; a field's own help (setting(...)) takes precedence.
HELP = {
    "epochs": "maximum passes over the training data (early stopping may end sooner)",
    "batch_size": "examples per optimizer step",
    "lr": "peak learning rate (after warm-up)",
    "weight_decay": "decoupled weight decay (AdamW) or L2 penalty (Adam)",
    "warmup_steps": "optimizer steps of linear learning-rate warm-up",
    "clip_grad_norm": "clip the gradients' global norm to this (0 = no clipping)",
    "patience": "evaluations without improvement before stopping (0 = never)",
    "average_from": "from this epoch on, validate and keep the running mean of the end-of-epoch weights "
                    "(stochastic weight averaging; 0 = off)",
    "valid_fraction": "share of the data held out for validation",
    "seed": "random seed: data split, initial weights, shuffling, dropout",
    "device": "numpy = CPU, cupy = GPU (default: the active backend, numpy unless $MINISHOP_BACKEND says cupy)",
    "progress": "no progress bars nor per-epoch lines",
}
HELP.update({config_field.name: config_field.metadata["help"] for config_field in fields(ModelConfig)})
CHOICES = {"device": ("numpy", "cupy")}
FLAGS = {"progress": "--quiet", "norm_first": "--post-ln"}  # switches named for what they turn on; a bool's
# help (above) says what its switch does


def flag_name(config_field):
    """The command-line flag of a field: --the-field-name, or the switch's name in FLAGS."""
    return FLAGS.get(config_field.name) or "--" + config_field.name.replace("_", "-")


def _default(config_field):
    if config_field.default_factory is not MISSING:
        return config_field.default_factory()
    return config_field.default


def _help(config_class, config_field):
    text = config_field.metadata.get("help") or HELP.get(config_field.name)
    if text is None:
        raise TypeError(f"{config_class.__name__}.{config_field.name}: no help text; give it with setting(...) "
                        "or add it to minishop.config.HELP")
    return text


def add_config_flags(parser, config_class, skip=()):
    """One flag per field of `config_class` (except `skip`), plus --config FILE; --help shows each default.

    A bool field becomes a switch that flips its default (--quiet sets progress = False).
    """
    for config_field in fields(config_class):
        if config_field.name in skip:
            continue
        default, text = _default(config_field), _help(config_class, config_field)
        flag, name = flag_name(config_field), config_field.name
        if isinstance(default, bool):
            parser.add_argument(flag, dest=name, action="store_false" if default else "store_true",
                                default=argparse.SUPPRESS, help=f"{text} (sets {name} = {not default})")
            continue
        value_type = float if config_field.type is float else (int if config_field.type is int else str)
        shown = "" if "default" in text else f" (default: {default})"
        parser.add_argument(flag, dest=name, type=value_type, default=argparse.SUPPRESS,
                            choices=config_field.metadata.get("choices") or CHOICES.get(name), help=text + shown)
    parser.add_argument("--config", metavar="FILE", default=None,
                        help=f"JSON or TOML file of settings (keys as in {config_class.__name__}); "
                             "flags typed on the command line override it")


def add_run_flags(parser):
    """--overwrite and --resume, for a run folder (--out) that already holds a run."""
    parser.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last.ckpt, with its saved settings (--epochs "
                             "and --patience may be raised when the learning rate has no cosine schedule)")


def config_from_args(config_class, args, saved=None, source="config.json"):
    """config_class from its defaults, then args.config (a JSON or TOML file), then the flags typed; checked.

    With `saved` (the settings of a run being resumed, read from `source`), those replace the defaults,
    and a setting from the file or the flags that differs from them is an error naming it: a resumed run
    continues the run that was started. Only the settings in RESUMABLE may change, and the length ones
    (epochs, patience) only when the schedule does not depend on the number of epochs (not "cosine").
    """
    values = read_config_file(args.config, config_class) if getattr(args, "config", None) else {}
    names = {config_field.name for config_field in fields(config_class)}
    values.update({name: value for name, value in vars(args).items() if name in names})
    if saved is not None:
        check_settings(saved, config_class, source)
        by_name = {config_field.name: config_field for config_field in fields(config_class)}
        for name, value in values.items():
            if value == saved.get(name, _default(by_name[name])):
                continue
            if name not in RESUMABLE:
                raise ValueError(f"--resume: {flag_name(by_name[name])} {value!r} conflicts with the run's "
                                 f"{name} = {saved.get(name)!r} ({source}); leave it out to continue the run "
                                 "as it was started, or start a new run with --overwrite")
            if name in LENGTHS and config_class.TRAINING.get("schedule") == "cosine":
                raise ValueError(f"--resume: {flag_name(by_name[name])} {value!r}: this task's learning rate "
                                 f"follows a cosine over all {saved.get('epochs')} epochs ({source}), so more "
                                 "epochs would change the steps already taken; start a new run with --overwrite")
        values = dict(saved, **values)
    config = config_class(**values)
    check_ranges(config)
    return config


RESUMABLE = {"progress", "epochs", "patience"}  # settings a resumed run may change: they do not change the
LENGTHS = {"epochs", "patience"}  # steps already taken (these two only when the schedule ignores the length)

# The values each setting accepts: (lowest, highest, whether the lowest itself is allowed); None = no bound.
RANGES = {
    "d_model": (1, None, True), "n_blocks": (0, None, True), "n_heads": (1, None, True), "max_len": (1, None, True),
    "dropout": (0, 1, True), "epochs": (1, None, True), "batch_size": (1, None, True), "lr": (0, None, False),
    "weight_decay": (0, None, True), "warmup_steps": (0, None, True), "clip_grad_norm": (0, None, True),
    "eval_every": (1, None, True), "patience": (0, None, True), "average_from": (0, None, True),
    "valid_users": (1, None, True), "n_negatives": (1, None, True), "min_user_count": (0, None, True),
    "valid_fraction": (0, 1, False), "test_fraction": (0, 1, False), "seed": (0, None, True),
    "vocab_size": (256, None, True), "min_word_count": (1, None, True), "word_dropout": (0, 1, True),
    "label_smoothing": (0, 1, True),
}


def check_ranges(config):
    """Raise ValueError naming the flag for a setting outside its range (RANGES), or a width that the heads
    do not divide; called before any data is read."""
    for config_field in fields(config):
        value = getattr(config, config_field.name)
        if config_field.name not in RANGES or value is None or isinstance(value, bool):
            continue
        low, high, low_allowed = RANGES[config_field.name]
        too_low = value < low if low_allowed else value <= low
        if too_low or (high is not None and value >= high):
            expected = (f"{'>=' if low_allowed else '>'} {low}" + ("" if high is None else f" and < {high}"))
            raise ValueError(f"{flag_name(config_field)} {value!r}: expected a value {expected}")
    if getattr(config, "d_model", 0) % max(getattr(config, "n_heads", 1), 1):
        raise ValueError(f"--n-heads {config.n_heads}: must divide --d-model {config.d_model}")


def read_config_file(path, config_class):
    """The settings in a JSON file (a .json name, or text starting with "{") or a TOML file, checked against
    config_class's fields.

    A missing file, a syntax error, an unknown key or a value of the wrong type names the file (and --config),
    the line and what was expected.
    """
    values, text = _read_values(path)
    check_settings(values, config_class, f"--config {path}", text)
    return values


def _read_values(path):
    """(the settings of the --config file at path as a dict, its text), unchecked; a clear error if unreadable."""
    try:
        with open(path, "rb") as file:
            raw = file.read()
    except OSError as error:
        raise FileNotFoundError(f"--config {path}: {(error.strerror or str(error)).lower()}") from None
    try:
        is_json = str(path).endswith(".json") or raw.lstrip().startswith(b"{")
        values = json.loads(raw) if is_json else tomllib.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"--config {path}: line {error.lineno}: not valid JSON: {error.msg}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"--config {path}: not valid TOML: {error}") from None
    if not isinstance(values, dict):
        raise ValueError(f"--config {path}: expected an object of settings, found {type(values).__name__}")
    return values, raw.decode("utf-8", errors="replace")


def check_writable(path, name):
    """A file to write: not a folder, and in a folder that exists (checked before any work is done)."""
    if path is None:
        return
    if os.path.isdir(path):
        raise ValueError(f"{name} {path}: is a folder, expected a file name")
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise FileNotFoundError(f"{name} {path}: the folder {os.path.dirname(os.path.abspath(path))} does not exist")


def check_settings(values, config_class, source, text=""):
    """Raise ValueError naming `source` (and the line of `text` where the key is) for an unknown key or a
    value of the wrong type."""
    known = {config_field.name: config_field for config_field in fields(config_class)}
    for name, value in values.items():
        where = f"{source}{_line_of(name, text)}"
        if name not in known:
            raise ValueError(f"{where}: unknown setting(s) [{name!r}]; expected some of {sorted(known)}")
        expected = type(_default(known[name])) if _default(known[name]) is not None else known[name].type
        if not _fits(value, expected):
            raise ValueError(f"{where}: {name} = {value!r}: expected a {getattr(expected, '__name__', expected)}")


def _fits(value, expected):
    if value is None or expected in (tuple, list):
        return True
    if expected is bool:
        return isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected) if isinstance(expected, type) else True


def _line_of(name, text):
    """': line N' for the first line of `text` where `name` appears as a key, else ''."""
    pattern = re.compile(rf'^\s*"?{re.escape(name)}"?\s*[:=]|[{{,]\s*"{re.escape(name)}"\s*:')
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return f": line {number}"
    return ""


def resolved_device(args):
    """The device a command will run on, found as its config will find it: the --device typed, else the
    --config file's, else (with --resume) the run's saved one, else the active backend ($MINISHOP_BACKEND).

    The command line needs it before the config is built, to choose how the ranks of a distributed run
    talk (NCCL between GPUs, MPI between CPUs).
    """
    from minishop import backend

    device = getattr(args, "device", None)
    if device is None and getattr(args, "config", None):
        device = _read_values(args.config)[0].get("device")
    if device is None and getattr(args, "resume", False) and getattr(args, "out", None):
        saved = os.path.join(args.out, "config.json")
        if os.path.exists(saved):
            with open(saved, encoding="utf-8") as file:
                device = json.load(file).get("device")
    return device or backend.backend_name()
