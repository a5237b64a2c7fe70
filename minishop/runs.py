"""Run folders: what one training run leaves on disk, for every task.

    DIR/config.json    the full resolved settings, written FIRST (what --resume restores)
    DIR/best.ckpt, last.ckpt, metrics.jsonl   written by the training loop (minishop.train) as it goes
    DIR/items.json, users.json, data.json     the recommender's id maps and the data's fingerprint
    DIR/task.json      a text task and its model config
    DIR/tokenizer.json a text task's BPE tokenizer, in HuggingFace `tokenizers` JSON (words.json: a word vocabulary)
    DIR/results.json   the figures printed at the end, written LAST: a folder without it is unfinished

open_run_folder() checks a folder before any data is read (a run is never overwritten by accident, and
--resume needs a run to continue); building() removes what a failed run wrote, unless it can be resumed.
write_run() writes the last step of every training command; load_task_run() rebuilds a text task's model.
"""

import json
import os
from contextlib import contextmanager

from minishop import distributed
from minishop.checkpoint import load_checkpoint
from minishop.tokenizers import BPETokenizer
from minishop.train import AVERAGE, BEST, LAST, LOG

CONFIG, RESULTS = "config.json", "results.json"
RUN_FILES = (CONFIG, BEST, LAST, AVERAGE, LOG, "items.json", "users.json", "data.json", "task.json",
             "tokenizer.json", "tokenizer.json.vocab.txt", "words.json", "bow.json", "auto.json", RESULTS, "report.png")


def open_run_folder(out_dir, resume=False, overwrite=False, can_resume=True):
    """Check the run folder `out_dir` before anything is loaded or trained.

    A new run refuses a folder that already holds files unless overwrite (then the run files listed in
    RUN_FILES are deleted, nothing else); resume needs a run to continue (its last.ckpt).
    """
    if out_dir is None:
        return
    if resume and overwrite:
        raise ValueError(f"--resume and --overwrite {out_dir}: choose one (continue the run, or replace it)")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"--out {out_dir}: is a file, expected a run folder")
    if resume:
        if not os.path.exists(os.path.join(out_dir, LAST)):
            raise FileNotFoundError(f"--resume {out_dir}: no run to continue there (no {LAST}); "
                                    "start a new run without --resume")
        return
    if distributed.world().rank != 0:  # rank 0 alone checks and writes: the others would see its new files
        return
    present = sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []
    if present and not overwrite:
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        resume_hint = ", --resume to continue it" if can_resume else ""
        raise ValueError(f"--out {out_dir}: the folder is not empty ({shown}); pass --overwrite to replace "
                         f"the run there{resume_hint}, or choose another folder")
    for name in set(present) & set(RUN_FILES):
        os.remove(os.path.join(out_dir, name))


def saved_config(out_dir):
    """The settings of the run in out_dir (its config.json, written when it started): what --resume restores."""
    open_run_folder(out_dir, resume=True)  # a clear error when there is no run to continue
    return read_json(os.path.join(out_dir, CONFIG))


@contextmanager
def building(out_dir):
    """Run the body; if it fails, delete what it wrote in out_dir, unless a last.ckpt makes it resumable.

    A resumable failed run keeps its files but has no results.json, so it never looks finished.
    """
    existed = out_dir is not None and os.path.isdir(out_dir)
    try:
        yield
    except BaseException:
        if out_dir is not None and distributed.world().rank == 0 and not os.path.exists(os.path.join(out_dir, LAST)):
            for name in RUN_FILES:
                if os.path.exists(os.path.join(out_dir, name)):
                    os.remove(os.path.join(out_dir, name))
            if not existed and os.path.isdir(out_dir) and not os.listdir(out_dir):
                os.rmdir(out_dir)
        raise


def run_paths(path):
    """(run folder, checkpoint file) for a run folder (its best.ckpt) or a checkpoint file inside one.

    A folder whose run has not finished (a last.ckpt but no results.json) is an error saying how to finish it.
    """
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, LAST)) and not os.path.exists(os.path.join(path, RESULTS)):
            raise FileNotFoundError(f"{path}: the run there has not finished (no {RESULTS}); finish it with "
                                    f"--resume, or pass one of its .ckpt files")
        return path, os.path.join(path, BEST)
    if os.path.isfile(path):
        return os.path.dirname(os.path.abspath(path)), path
    raise FileNotFoundError(f"{path}: no such run folder or checkpoint file")


def write_run(out_dir, tokenizer=None, **documents):
    """Write the end of a run into out_dir: the tokenizer (if given: a BPETokenizer as tokenizer.json in
    HuggingFace's format, anything else with its own save() as words.json), then NAME.json for each NAME=value."""
    if distributed.world().rank != 0:  # trained on several ranks (minishop.distributed): rank 0 alone writes
        return
    os.makedirs(out_dir, exist_ok=True)
    if tokenizer is not None:
        if isinstance(tokenizer, BPETokenizer):
            tokenizer.save(os.path.join(out_dir, "tokenizer.json"), format="hf")
        else:
            tokenizer.save(os.path.join(out_dir, "words.json"))
    for name, value in documents.items():
        write_json(os.path.join(out_dir, f"{name}.json"), value)


def write_json(path, value):
    """Write `value` as indented JSON."""
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file, indent=2)


def read_json(path):
    """Read a JSON file of a run folder, with a clear error when it is missing."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: missing; is this a run folder written by minishop train, train-lm or "
                                "train-classifier?")
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def load_task_run(path, task_name, model_class, load_tokenizer=BPETokenizer.load):
    """(model in eval mode, tokenizer, task description) from a run folder or a checkpoint file inside one.

    task_name is what task.json must say ("text-lm", "review-classifier"); model_class is built from its
    "model" config and given the checkpoint's weights; load_tokenizer reads tokenizer.json (or words.json).
    """
    folder, checkpoint = run_paths(path)
    task = read_json(os.path.join(folder, "task.json"))
    if task.get("task") != task_name:
        raise ValueError(f"{folder}/task.json: this run is a {task.get('task')!r}, not a {task_name!r} run")
    model = model_class(**task["model"])
    load_checkpoint(checkpoint, model)
    words = os.path.join(folder, "words.json")
    tokenizer_file = words if os.path.exists(words) else os.path.join(folder, "tokenizer.json")
    return model.eval(), load_tokenizer(tokenizer_file), task
