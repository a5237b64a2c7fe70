"""Models out: `minishop export RUN --to torch` writes weights that load into the benches' PyTorch SASRec
(strict names, Linear weights (out, in)) and score every item as minishop does."""

import json
import os
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
import safetensors  # noqa: E402

from minishop.cli import main  # noqa: E402
from minishop.export import linear_weight_names  # noqa: E402
from minishop.recsys.training import load_recommender  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from torch_reference import SASRec  # noqa: E402


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    run = str(root / "run")
    # d_model 24 with 3 heads: every Linear is square, so an untransposed weight would still load
    assert main(["train", "--out", run, "--epochs", "1", "--d-model", "24", "--n-blocks", "2", "--n-heads", "3",
                 "--max-len", "12", "--eval-every", "1", "--quiet"]) == 0
    path = str(root / "shop.safetensors")
    assert main(["export", run, "--to", "torch", "--out", path]) == 0
    return run, path


@pytest.mark.slow
def test_the_export_loads_into_the_pytorch_reference_and_scores_the_same(exported):
    run, path = exported
    model, _ = load_recommender(run)
    state = safetensors_torch.load_file(path)
    with safetensors.safe_open(path, framework="pt") as file:  # the config travels in the metadata
        config = json.loads(file.metadata()["config"])
    reference = SASRec(**config).eval()
    reference.load_state_dict(state, strict=True)
    histories = [[5, 9, 31, 2], [7], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]]
    padded = model.pad_histories(histories)  # (B, T) left-padded, the last max_len items
    ours = np.asarray(model.score(histories))[:, 1:]
    with torch.no_grad():
        theirs = reference.score(torch.from_numpy(padded)).numpy()[:, 1:]
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_exactly_the_linear_weights_are_transposed(exported):
    run, path = exported
    model, _ = load_recommender(run)
    state = safetensors_torch.load_file(path)
    transposed = linear_weight_names(model)
    assert len(transposed) == 2 * 6  # q, k, v, out, fc1, fc2 in each of the two blocks
    for name, parameter in model.named_parameters():
        expected = parameter.data.T if name in transposed else parameter.data
        np.testing.assert_array_equal(state[name].numpy(), expected)


def test_export_to_a_folder_is_a_clear_error(exported, tmp_path, capsys):
    run, _ = exported
    assert main(["export", run, "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
