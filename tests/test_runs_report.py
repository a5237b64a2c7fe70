"""`minishop report RUN`: one PNG whose curves are the run's metrics.jsonl and whose bars are its results.json."""

import json

import pytest

pytest.importorskip("matplotlib")

from minishop.cli import main  # noqa: E402
from minishop.plots import plot_run  # noqa: E402

HISTORY = [{"epoch": 1, "train_loss": 5.9, "valid_NDCG@10": 0.10, "valid_protocol": "full", "valid_n_users": 9},
           {"epoch": 2, "train_loss": 5.1, "valid_NDCG@10": 0.21, "valid_protocol": "full", "valid_n_users": 9},
           {"epoch": 3, "train_loss": 4.7, "valid_NDCG@10": 0.26, "valid_protocol": "full", "valid_n_users": 9}]


def scores(full, sampled):
    return {"full": {"NDCG@10": full}, "sampled": {"NDCG@10": sampled}}


RECOMMENDER = {"model": scores(0.52, 0.67), "popular": scores(0.08, 0.21), "markov": scores(0.44, 0.59),
               "itemknn": scores(0.38, 0.57)}
CLASSIFIER = {"model": {"macro_f1": 0.71, "accuracy": 0.80}, "bow": {"macro_f1": 0.66, "accuracy": 0.78},
              "data": {"examples": 10}}


def run_folder(tmp_path, results):
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(record) + "\n" for record in HISTORY))
    (tmp_path / "results.json").write_text(json.dumps(results))
    return tmp_path


def test_report_writes_a_png_and_says_where(tmp_path, capsys):
    folder = run_folder(tmp_path, RECOMMENDER)
    assert main(["report", str(folder)]) == 0
    assert f"report written to {folder / 'report.png'}" in capsys.readouterr().out
    assert (folder / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("results, bars", [
    (RECOMMENDER, [0.52, 0.67, 0.08, 0.21, 0.44, 0.59, 0.38, 0.57]),  # model full, sampled; popular ...
    (CLASSIFIER, [0.71, 0.80, 0.66, 0.78]),  # model macro-F1, accuracy; bag-of-words ...
])
def test_the_figure_draws_the_runs_own_numbers(tmp_path, results, bars):
    figure = plot_run(run_folder(tmp_path, results))
    loss_axes, valid_axes, bar_axes = figure.axes
    assert list(loss_axes.lines[0].get_ydata()) == [5.9, 5.1, 4.7]
    assert [line.get_label() for line in valid_axes.lines] == ["NDCG@10"]  # no counts nor labels plotted
    assert list(valid_axes.lines[0].get_ydata()) == [0.10, 0.21, 0.26]
    assert [patch.get_height() for patch in bar_axes.patches] == pytest.approx(bars)


def test_a_folder_without_a_run_is_a_clear_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "metrics.jsonl: missing" in capsys.readouterr().err
