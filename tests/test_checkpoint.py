"""Checkpoints: identical model and optimizer after a round trip; atomic writes; clear errors for bad files."""

import os

import numpy as np
import pytest
import safetensors.numpy

import minishop
from minishop import checkpoint, nn, optim
from minishop.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
import minishop.functional as F

IDS = np.array([[0, 2, 5, 5, 1], [3, 3, 1, 4, 2]])
CONFIG = {"vocab_size": 6, "d_model": 8, "n_blocks": 2, "n_heads": 2, "max_len": 7}


def make_model():
    return nn.Transformer(**CONFIG, dropout=0.0)


def train_one_step(model, optimizer):
    loss = F.cross_entropy(model.logits(model(IDS[:, :-1])), IDS[:, 1:])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def test_round_trip_restores_outputs_and_resumes_training_identically(tmp_path):
    minishop.manual_seed(1)
    model = make_model()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        train_one_step(model, optimizer)
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model, optimizer, config=CONFIG)

    minishop.manual_seed(99)  # different initial weights, replaced by the loaded ones
    restored = make_model()
    restored_optimizer = optim.Adam(restored.parameters(), lr=0.5)
    assert load_checkpoint(path, restored, restored_optimizer) == CONFIG
    np.testing.assert_array_equal(restored(IDS).data, model(IDS).data)
    assert restored_optimizer.lr == 0.01 and restored_optimizer.step_count == 3

    for _ in range(2):  # both continue the same way, bit for bit
        assert train_one_step(restored, restored_optimizer) == train_one_step(model, optimizer)
    for (name, a), (_, b) in zip(model.named_parameters(), restored.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert model.token_embedding.weight.dtype == np.float32


def test_model_only_checkpoint_and_optimizer_mismatch(tmp_path):
    minishop.manual_seed(2)
    model = make_model()
    path = tmp_path / "weights.safetensors"
    save_checkpoint(path, model)
    assert load_checkpoint(path, make_model()) == {}
    with pytest.raises(CheckpointError, match="holds no optimizer state"):
        load_checkpoint(path, make_model(), optim.Adam(model.parameters()))
    smaller = nn.Transformer(**{**CONFIG, "n_blocks": 1})
    with pytest.raises(CheckpointError, match=r"weights.safetensors: does not fit this model.*unexpected keys"):
        load_checkpoint(path, smaller)


def test_save_is_atomic_a_failed_write_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    minishop.manual_seed(3)
    model = make_model()
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model, config={"version": 1})
    before = path.read_bytes()

    def crash(source, target):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(checkpoint.os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(path, make_model(), config={"version": 2})
    assert path.read_bytes() == before  # the old checkpoint is untouched...
    assert os.listdir(tmp_path) == ["model.safetensors"]  # ...and no temporary file is left behind
    monkeypatch.undo()
    assert load_checkpoint(path, make_model()) == {"version": 1}


def test_truncated_and_foreign_files_give_clear_errors(tmp_path):
    minishop.manual_seed(4)
    model = make_model()
    good = tmp_path / "good.safetensors"
    save_checkpoint(good, model, optim.SGD(model.parameters()), config=CONFIG)
    data = good.read_bytes()

    cut_in_data = tmp_path / "cut_in_data.safetensors"
    cut_in_data.write_bytes(data[: len(data) - 100])
    with pytest.raises(CheckpointError, match="cut_in_data.safetensors: array data is unreadable"):
        load_checkpoint(cut_in_data, make_model())

    cut_in_header = tmp_path / "cut_in_header.safetensors"
    cut_in_header.write_bytes(data[:50])
    with pytest.raises(CheckpointError, match="cut_in_header.safetensors: header claims"):
        load_checkpoint(cut_in_header, make_model())

    tiny = tmp_path / "tiny.bin"
    tiny.write_bytes(b"abc")
    with pytest.raises(CheckpointError, match="tiny.bin: 3 bytes is too short"):
        load_checkpoint(tiny, make_model())

    text = tmp_path / "notes.txt"
    text.write_text("these are not the weights you are looking for\n" * 20)
    with pytest.raises(CheckpointError, match="notes.txt"):
        load_checkpoint(text, make_model())

    foreign = tmp_path / "foreign.safetensors"  # a valid safetensors file, but not one of ours
    safetensors.numpy.save_file({"w": np.zeros((2, 2), dtype=np.float32)}, str(foreign))
    with pytest.raises(CheckpointError, match="foreign.safetensors: not a minishop checkpoint"):
        load_checkpoint(foreign, make_model())


def test_a_checkpoint_gets_the_usual_file_mode_not_mkstemps_0600(tmp_path):
    import os

    from minishop.checkpoint import save_checkpoint
    from minishop.nn import Linear

    mask = os.umask(0o022)
    try:
        path = tmp_path / "model.ckpt"
        save_checkpoint(str(path), Linear(3, 2))
        assert (path.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(mask)
