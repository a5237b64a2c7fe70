"""A look at a run: one PNG with its training curve, its validation curve, and the model against its baselines.

    minishop report runs/shop                  # writes runs/shop/report.png and prints where it is
    from minishop.plots import plot_run        # in a notebook: plot_run("runs/shop") returns the figure

It reads only the run folder: metrics.jsonl (one record per epoch, from minishop.train) and results.json
(the figures printed at the end of training). The comparison panel shows what each task compares:

    recommender        NDCG@10 of the model and the three baselines, full ranking and sampled protocol
    description LM     perplexity of the model, the bigram and the unigram LM (lower is better)
    review classifier  macro-F1 and accuracy of the transformer and bag-of-words

Needs matplotlib: pip install 'minishop[report]'.
"""

import json
import os

from minishop import runs


def read_history(folder):
    """The per-epoch records of metrics.jsonl (a list of dicts), with a clear error when it is missing."""
    path = os.path.join(folder, "metrics.jsonl")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: missing; is {folder} a run folder of minishop train, train-lm or "
                                "train-classifier?")
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def comparison(results):
    """(title, {group: {name: value}}) of the figures a task's results.json compares."""
    if "itemknn" in results:  # the recommender: {"model": {"full": {...}, "sampled": {...}}, "popular": ...}
        return "test NDCG@10 (higher is better)", {
            protocol: {name: scores[protocol]["NDCG@10"] for name, scores in results.items()
                       if isinstance(scores, dict) and isinstance(scores.get(protocol), dict)}
            for protocol in ("full", "sampled")}
    if "unigram" in results:  # the description LM
        return "validation perplexity (lower is better)", {
            "perplexity": {name: results[name]["perplexity"] for name in ("model", "bigram", "unigram")}}
    if "bow" in results:  # the review classifier
        return "held-out test (higher is better)", {
            metric: {name: results[name][metric] for name in ("model", "bow")} for metric in ("macro_f1", "accuracy")}
    raise ValueError("results.json: not the results of a recommender, description LM or review classifier run")


def plot_run(folder):
    """A matplotlib figure of the run in `folder`: loss, validation metrics, and the comparison."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display needed: the figure is saved to a file
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise RuntimeError("minishop report needs matplotlib: pip install 'minishop[report]'") from None
    history = read_history(folder)
    title, groups = comparison(runs.read_json(os.path.join(folder, runs.RESULTS)))
    figure, (loss_axes, valid_axes, bar_axes) = plt.subplots(1, 3, figsize=(15, 4))
    epochs = [record["epoch"] for record in history]
    loss_axes.plot(epochs, [record["train_loss"] for record in history], marker="o")
    loss_axes.set(title="training loss", xlabel="epoch", ylabel="mean loss per step")
    names = sorted({name for record in history for name, value in record.items() if name.startswith("valid_")
                    and isinstance(value, float) and name != "valid_loss"})  # metrics, not counts nor labels
    for name in names:
        points = [(record["epoch"], record[name]) for record in history if name in record]
        valid_axes.plot(*zip(*points), marker="o", label=name[len("valid_"):])
    valid_axes.set(title="validation", xlabel="epoch")
    for axes in (loss_axes, valid_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    if names:
        valid_axes.legend()
    _bars(bar_axes, groups, title)
    figure.suptitle(os.path.basename(os.path.abspath(folder)))
    figure.tight_layout()
    return figure


def _bars(axes, groups, title):
    """Grouped bars: one group per protocol or metric, one bar per model."""
    models = list(next(iter(groups.values())))
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        positions = [g + i * width for g in range(len(groups))]
        values = [groups[group].get(model, 0.0) for group in groups]
        axes.bar(positions, values, width, label=model)
    axes.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], list(groups))
    axes.set(title=title)
    axes.legend(fontsize="small")


def write_report(folder, out=None):
    """Save plot_run(folder) as a PNG (default: folder/report.png); returns its path."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{folder}: no such run folder")
    out = out or os.path.join(folder, "report.png")
    figure = plot_run(folder)
    figure.savefig(out, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(figure)
    return out
