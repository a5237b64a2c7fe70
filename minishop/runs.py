"""Run folders of the text tasks: where the checkpoint, tokenizer and task description live.

    DIR/best.ckpt      the best weights (minishop.train)      DIR/tokenizer.json  the tokenizer
    DIR/task.json      the task and the model's config         DIR/results.json    the figures
"""

import json
import os

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
