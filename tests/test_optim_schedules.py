"""Learning-rate schedules: warm-up then cosine, and step decay (against torch's StepLR)."""

import math

import pytest

from minishop import optim


def test_warmup_cosine_key_points():
    lr = lambda step: optim.warmup_cosine(step, max_lr=0.3, warmup_steps=4, total_steps=14, min_lr=0.01)
    assert [lr(s) for s in range(4)] == pytest.approx([0.075, 0.15, 0.225, 0.3])  # linear warm-up
    assert lr(4) == pytest.approx(0.3)  # peak, then cosine
    assert lr(9) == pytest.approx(0.01 + 0.29 * 0.5)  # half-way down: the mean of max and min
    assert lr(6) == pytest.approx(0.01 + 0.29 * 0.5 * (1 + math.cos(math.pi * 0.2)))
    assert lr(14) == pytest.approx(0.01) and lr(100) == pytest.approx(0.01)  # stays at min_lr
    values = [lr(s) for s in range(4, 15)]
    assert all(a > b for a, b in zip(values, values[1:]))  # strictly decreasing after the warm-up
    with pytest.raises(ValueError, match="warmup_steps"):
        optim.warmup_cosine(0, 0.1, warmup_steps=20, total_steps=10)


def test_step_decay_matches_torch_step_lr():
    torch = pytest.importorskip("torch", reason="PyTorch is the reference; CI installs torch==2.13.0")
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.3)
    for step in range(11):
        assert optim.step_decay(step, 0.5, step_size=3, gamma=0.3) == pytest.approx(
            optimizer.param_groups[0]["lr"], rel=1e-12)
        optimizer.step()
        scheduler.step()
    with pytest.raises(ValueError, match="step_size"):
        optim.step_decay(1, 0.1, step_size=0)
