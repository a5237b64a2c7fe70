"""Run folders: what one training run leaves on disk, for every task.

    DIR/best.ckpt, last.ckpt, metrics.jsonl   written by the training loop (minishop.train) as it goes
    DIR/config.json    the recommender's settings            DIR/task.json       a text task and its model config
    DIR/tokenizer.json a text task's tokenizer               DIR/results.json    the figures printed at the end

write_run() writes the last step of every training command; load_run() rebuilds a text task's model.
"""

import json
import os

from minishop import distributed
from minishop.checkpoint import load_checkpoint
from minishop.tokenizers import BPETokenizer
from minishop.train import BEST


def run_paths(path):
    """(run folder, checkpoint file) for a run folder (its best.ckpt) or a checkpoint file inside one."""
    if os.path.isdir(path):
        return path, os.path.join(path, BEST)
    if os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path)), path
    raise FileNotFoundError(f"{path}: no such run folder or checkpoint file")


def write_run(out_dir, tokenizer=None, **documents):
    """Write the end of a run into out_dir: tokenizer.json (if given), then NAME.json for each NAME=value."""
    if distributed.world().rank != 0:  # trained on several ranks (minishop.distributed): rank 0 alone writes
        return
    os.makedirs(out_dir, exist_ok=True)
    if tokenizer is not None:
        tokenizer.save(os.path.join(out_dir, "tokenizer.json"))
    for name, value in documents.items():
        write_json(os.path.join(out_dir, f"{name}.json"), value)


def write_json(path, value):
    """Write `value` as indented JSON."""
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=2)


def read_json(path):
    """Read a JSON file of a run folder, with a clear error when it is missing."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: missing; a run folder written by minishop train-lm / train-classifier "
                                "holds task.json, tokenizer.json and best.ckpt")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def load_run(path, task_name, model_class, load_tokenizer=BPETokenizer.load):
    """(model in eval mode, tokenizer, task description) from a run folder or a checkpoint file inside one.

    task_name is what task.json must say ("text-lm", "review-classifier"); model_class is built from its
    "model" config and given the checkpoint's weights; load_tokenizer reads tokenizer.json.
    """
    folder, checkpoint = run_paths(path)
    task = read_json(os.path.join(folder, "task.json"))
    if task.get("task") != task_name:
        raise ValueError(f"{folder}/task.json: this run is a {task.get('task')!r}, not a {task_name!r} run")
    model = model_class(**task["model"])
    load_checkpoint(checkpoint, model)
    return model.eval(), load_tokenizer(os.path.join(folder, "tokenizer.json")), task
