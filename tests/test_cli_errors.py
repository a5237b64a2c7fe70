"""Every user error is a message, never a traceback: each command over a table of bad inputs exits with
code 2 and a message naming the argument or the file, before any data is read."""

import os
import subprocess
import sys

import pytest

from minishop.cli import main


@pytest.fixture(scope="module")
def places(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / "folder").mkdir()
    (root / "config.toml").write_text("epochs = 3\nbatch_size = 'many'\n")
    (root / "run").mkdir()
    (root / "run" / "best.ckpt").write_bytes(b"not a checkpoint")
    (root / "ratings.txt").write_text("1 1\n1 2\nnot a number\n")
    return root


# (command line with {root} for the fixture's folder, what the message must name)
BAD = [
    ("train --batch-size 0", "--batch-size 0"),
    ("train --epochs 0", "--epochs 0"),
    ("train --lr -1", "--lr -1"),
    ("train --dropout 1.5", "--dropout 1.5"),
    ("train --n-heads 3", "--n-heads 3"),
    ("train --eval-every 0", "--eval-every 0"),
    ("train --device tpu", "--device"),
    ("train --loss mse", "--loss"),
    ("train --batch-size x", "--batch-size"),
    ("train --data {root}/folder --format sasrec", "folder"),
    ("train --data {root}/missing.txt --format sasrec", "missing.txt"),
    ("train --data {root}/ratings.txt --format sasrec --out {root}/out", "line 3"),
    ("train --config {root}/config.toml", "line 2"),
    ("train --config {root}/folder", "folder"),
    ("train --resume", "--resume"),
    ("train --out {root}/never --resume", "no run to continue"),
    ("--threads 0 train", "--threads"),
    ("train --procs 0", "--procs"),
    ("evaluate {root}/nowhere", "nowhere"),
    ("evaluate {root}/run/best.ckpt", "best.ckpt"),
    ("evaluate {root}/folder", "folder"),
    ("recommend {root}/run --user u1 -k 0", "-k 0"),
    ("recommend {root}/run --user u1 --reasons -1", "--reasons -1"),
    ("recommend {root}/run --users {root}/folder", "--users"),
    ("recommend {root}/run --user u1 --out {root}/recs.csv", "--out"),
    ("recommend {root}/run", "--user"),
    ("recommend {root}/run --users {root}/config.toml --out {root}/folder", "--out {root}/folder: is a folder"),
    ("evaluate {root}/run --json {root}/nowhere/results.json", "--json"),
    ("export {root}/run --out {root}/folder", "is a folder"),
    ("report {root}/folder", "metrics.jsonl"),
    ("train-lm --epochs 0 --out {root}/lm", "--epochs 0"),
    ("train-lm --vocab-size 10 --out {root}/lm", "--vocab-size 10"),
    ("train-lm --out {root}/run", "not empty"),
    ("generate {root}/run --prompt x --top-p 2", "--top-p 2"),
    ("generate {root}/run --prompt x --top-p 0", "--top-p 0"),
    ("generate {root}/run --prompt x --top-k 0", "--top-k 0"),
    ("generate {root}/run --prompt x --temperature 0", "--temperature 0"),
    ("generate {root}/run --prompt x --max-new-tokens -1", "--max-new-tokens -1"),
    ("generate {root}/folder --prompt x", "folder"),
    ("train-classifier --batch-size 0 --out {root}/c", "--batch-size 0"),
    ("train-classifier --test-fraction 1 --out {root}/c", "--test-fraction 1"),
    ("train-classifier --data {root}/folder --out {root}/c", "folder"),
    ("classify {root}/run --top-tokens -1 text", "--top-tokens -1"),
    ("classify {root}/folder text", "folder"),
]


@pytest.mark.parametrize("line, named", BAD, ids=[line for line, _ in BAD])
def test_a_bad_input_is_a_message_naming_it_with_exit_code_2(line, named, places, capsys):
    try:
        code = main(line.format(root=places).split())
    except SystemExit as exit:  # argparse's own errors: a bad choice, a missing or mistyped value
        code = exit.code
    error = capsys.readouterr().err
    assert code == 2, error
    assert named.format(root=places) in error, error
    assert "Traceback" not in error
    assert not os.path.exists(places / "lm") and not os.path.exists(places / "c")  # no half-made run folders


@pytest.mark.parametrize("environment, named", [({"MINISHOP_BACKEND": "cupy"}, "MINISHOP_BACKEND=cupy"),
                                                ({"MINISHOP_BACKEND": "tpu"}, "MINISHOP_BACKEND=tpu"),
                                                ({"MINISHOP_THREADS": "many"}, "MINISHOP_THREADS")])
def test_a_bad_environment_is_a_message_too(environment, named, tmp_path):
    if environment.get("MINISHOP_BACKEND") == "cupy":
        try:
            import cupy  # noqa: F401
            pytest.skip("cupy is installed here: MINISHOP_BACKEND=cupy is not an error")
        except ImportError:
            pass
    command = [sys.executable, "-m", "minishop.cli", "train-lm", "--epochs", "1", "--out", str(tmp_path / "lm")]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, **environment))
    assert result.returncode == 2, result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "lm").exists()
