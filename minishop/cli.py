"""The `minishop` command: train, evaluate and query the recommender from a shell.

    minishop train --out runs/shop                 # the bundled shop, ~1 minute on a laptop CPU
    minishop evaluate runs/shop                    # test metrics of a run (its best.ckpt), both protocols
    minishop recommend runs/shop --user u00042 -k 10

    minishop train-lm --out runs/lm && minishop generate runs/lm --prompt "category: home > heaters |"
    minishop train-classifier --out runs/reviews && minishop classify runs/reviews "Great kettle."
    minishop report runs/shop                      # runs/shop/report.png (minishop.plots)
    minishop export runs/shop --to torch --out shop.safetensors   # (minishop.export)
    minishop download amazon-games && minishop train --data amazon-games   # (minishop.data.registry)

The parser is built from the two task packages: minishop.recsys.cli adds the recommender's commands,
minishop.text.cli the language tasks'; export and report, which take a run of any task, and download are
here. Each subcommand is a small function taking the parsed arguments. A user's mistake ends in a message
and exit code 2, never a traceback: every argument is checked before data is read.
"""

import argparse
import os
import sys

import minishop
from minishop import backend, distributed
from minishop.config import check_writable, resolved_device
from minishop.recsys.cli import add_recommender_commands
from minishop.text.cli import add_text_commands


def main(argv=None):
    """Entry point of the console script: parse the arguments and run the chosen subcommand."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_process_settings(args)
        backend.set_num_threads(args.threads)
        backend.tune_malloc()  # keep freed arrays for reuse between training steps (opt-in: see its docstring)
        if getattr(args, "procs", 1) > 1:  # this same command as N MPI ranks, started by mpiexec
            return distributed.launch(args.procs, sys.argv[1:] if argv is None else argv)
        distributed.init_from_launcher(resolved_device(args))  # under mpiexec: NCCL between GPUs, else MPI
        return args.func(args) or 0
    except (ValueError, KeyError, OSError, RuntimeError) as error:  # OSError: a file; RuntimeError: no GPU, diverged
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"minishop {args.command}: error: {message}", file=sys.stderr)
        distributed.world().abort(2)  # with several ranks, stop the others too (they would wait for this one)
        return 2


def add_export_command(subparsers):
    """`minishop export RUN --to torch --out FILE`: a trained model's weights in PyTorch's layout."""
    export = subparsers.add_parser(
        "export", help="write a trained model's weights for PyTorch (safetensors, Linear weights (out, in))",
        description="Write the weights of a run's best model as a PyTorch state_dict in a safetensors file: "
                    "Linear weights transposed to (out, in), names as in minishop, the model config in the "
                    "metadata (see minishop/export.py).")
    export.add_argument("checkpoint", help="a run folder of train, train-lm or train-classifier, or a .ckpt in one")
    export.add_argument("--to", choices=["torch"], default="torch", help="the target library (torch)")
    export.add_argument("--out", required=True, help="the file to write, e.g. model.safetensors")
    export.set_defaults(func=run_export)


def run_export(args):
    """Load the run's model (whichever task) and write it with minishop.export.export_torch."""
    from minishop import runs
    from minishop.export import export_torch

    check_writable(args.out, "--out")
    folder, checkpoint = runs.run_paths(args.checkpoint)
    if os.path.exists(os.path.join(folder, "task.json")):
        from minishop.text.training import load_classifier, load_text_lm

        task = runs.read_json(os.path.join(folder, "task.json"))["task"]
        model = (load_text_lm if task == "text-lm" else load_classifier)(args.checkpoint)[0]
    else:
        from minishop.recsys.training import load_recommender

        model = load_recommender(checkpoint)[0]
    export_torch(model, args.out)
    print(f"wrote {args.out}: {len(list(model.named_parameters()))} arrays, Linear weights as (out, in)")


def add_report_command(subparsers):
    """`minishop report RUN`: a PNG of a run's curves and its comparison with the baselines."""
    report = subparsers.add_parser(
        "report", help="a PNG of a run: loss and validation curves, the model against its baselines",
        description="Draw a finished run's training loss, validation metrics and test comparison into one PNG "
                    "(default RUN/report.png) and print where it is. Needs matplotlib (minishop[report]).")
    report.add_argument("run", help="a run folder of train, train-lm or train-classifier")
    report.add_argument("--out", help="the PNG to write (default: RUN/report.png)")
    report.set_defaults(func=run_report)


def run_report(args):
    from minishop.plots import write_report

    print(f"report written to {write_report(args.run, args.out)}")


def add_download_command(subparsers):
    """`minishop download NAME`: a public data set of minishop.data.registry into the cache."""
    from minishop.data import registry

    download = subparsers.add_parser(
        "download", help="download a public data set of the registry into the cache (then: train --data NAME)",
        description="Download a data set of minishop.data.registry into the cache ($MINISHOP_CACHE, else "
                    "~/.cache/minishop) and print its path; a file already there is kept. Without NAME: the "
                    "table of data sets, their licenses and sources.")
    download.add_argument("name", nargs="?", choices=sorted(registry.REGISTRY), help="the data set")
    download.add_argument("--force", action="store_true", help="download again even if the file is in the cache")
    download.set_defaults(func=run_download)


def run_download(args):
    from minishop.data import registry

    if args.name is None:
        print(registry.describe())
        return
    print(f"{args.name}: {registry.download(args.name, force=args.force)} (train on it: "
          f"minishop train --data {args.name})")


def check_process_settings(args):
    """The settings every command shares, checked before anything runs: threads, processes, the backend."""
    if backend.environment_error():  # $MINISHOP_BACKEND named a backend that cannot start
        raise ValueError(backend.environment_error())
    if args.threads is None or args.threads < 1:
        shown = os.environ.get("MINISHOP_THREADS") if args.threads is None else args.threads
        raise ValueError(f"--threads (or $MINISHOP_THREADS) {shown}: expected a whole number, 1 or more")
    if getattr(args, "procs", 1) < 1:
        raise ValueError(f"--procs {args.procs}: expected 1 or more")


def threads_from_environment():
    """$MINISHOP_THREADS as an int (default 1), or None when it is not a whole number (reported later)."""
    text = os.environ.get("MINISHOP_THREADS", "1")
    return int(text) if text.strip().isdigit() else None


THREADS = ("BLAS threads for NumPy's matrix products (default 1, or $MINISHOP_THREADS). Our models' small matmuls "
           "gain little from more, and a multi-threaded BLAS slows down ~10x when another program is busy on the "
           "same cores.")


PROCS = ("data-parallel training on N processes (default 1): runs this command under `mpiexec -n N`, each rank "
         "computing its share of every batch (the batch size stays the global one). Needs pip install "
         "'minishop[dist]'. On a cluster, start `mpiexec -n N minishop train ...` yourself instead.")


def build_parser():
    """The argument parser with every subcommand: the recommender's, then the language tasks'."""
    parser = argparse.ArgumentParser(
        prog="minishop", description="A from-scratch transformer recommender for e-commerce (NumPy/CuPy).")
    parser.add_argument("--threads", type=int, default=threads_from_environment(), help=THREADS)
    parser.add_argument("--version", action="version", version=f"minishop {minishop.__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_recommender_commands(subparsers)
    add_text_commands(subparsers)
    add_export_command(subparsers)
    add_report_command(subparsers)
    add_download_command(subparsers)
    for command in subparsers.choices.values():  # `minishop train --threads 2` as well as `minishop --threads 2 train`
        command.add_argument("--threads", type=int, default=argparse.SUPPRESS, help=THREADS)
    for name in ("train", "train-lm", "train-classifier"):
        subparsers.choices[name].add_argument("--procs", type=int, default=1, help=PROCS)
    return parser


if __name__ == "__main__":
    sys.exit(main())
