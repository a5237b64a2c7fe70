"""SGD, Adam and AdamW follow torch.optim's trajectories; clip_grad_norm matches torch; state round trips."""

import numpy as np
import pytest

from minishop import optim
from minishop.nn import Parameter

torch = pytest.importorskip("torch", reason="PyTorch is the reference; CI installs torch==2.13.0")

SHAPES = [(3, 4), (5,), (2, 3, 2)]


def gradient_of(values, index):
    """A fixed non-linear 'loss gradient' of a parameter's current values, so each step depends on the last."""
    return np.sin(3 * values) + 0.5 * values ** 3 + 0.1 * (index + 1)


def make_pair(seed=0):
    rng = np.random.default_rng(seed)
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    ours = [Parameter(value.copy()) for value in initial]
    theirs = [torch.from_numpy(value.copy()).requires_grad_() for value in initial]
    return ours, theirs


def run_steps(ours, our_optimizer, theirs, their_optimizer, n_steps):
    for _ in range(n_steps):
        for index, (p, t) in enumerate(zip(ours, theirs)):
            p.grad = gradient_of(p.data, index)
            t.grad = torch.from_numpy(gradient_of(t.detach().numpy(), index))
        our_optimizer.step()
        their_optimizer.step()


def assert_same(ours, theirs, label):
    for index, (p, t) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{label}: parameter {index}")


CASES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), lambda t: torch.optim.SGD(t, lr=0.1)),
    "sgd-momentum-decay": (lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01),
                           lambda t: torch.optim.SGD(t, lr=0.05, momentum=0.9, weight_decay=0.01)),
    "sgd-nesterov": (lambda p: optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02),
                     lambda t: torch.optim.SGD(t, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    "adam": (lambda p: optim.Adam(p, lr=0.01, betas=(0.8, 0.95)),
             lambda t: torch.optim.Adam(t, lr=0.01, betas=(0.8, 0.95))),
    "adam-l2": (lambda p: optim.Adam(p, lr=0.01, weight_decay=0.1),
                lambda t: torch.optim.Adam(t, lr=0.01, weight_decay=0.1)),
    "adamw": (lambda p: optim.AdamW(p, lr=0.02, weight_decay=0.3),
              lambda t: torch.optim.AdamW(t, lr=0.02, weight_decay=0.3)),
}


@pytest.mark.parametrize("case", CASES)
def test_trajectory_matches_torch(float64, case):
    make_ours, make_theirs = CASES[case]
    ours, theirs = make_pair()
    run_steps(ours, make_ours(ours), theirs, make_theirs(theirs), n_steps=7)
    assert_same(ours, theirs, case)
    assert not np.allclose(ours[0].data, make_pair()[0][0].data)  # the parameters did move


@pytest.mark.parametrize("case", ["sgd-nesterov", "adamw"])
def test_state_dict_resumes_identically(float64, case):
    make_ours, make_theirs = CASES[case]
    ours, theirs = make_pair(seed=1)
    our_optimizer, their_optimizer = make_ours(ours), make_theirs(theirs)
    run_steps(ours, our_optimizer, theirs, their_optimizer, n_steps=3)

    resumed = make_ours(ours)  # a fresh optimizer over the same parameters, then its state restored
    resumed.load_state_dict(our_optimizer.state_dict())
    assert resumed.step_count == 3
    run_steps(ours, resumed, theirs, their_optimizer, n_steps=4)
    assert_same(ours, theirs, case + " after resuming")


def test_load_state_dict_rejects_foreign_state(float64):
    ours, _ = make_pair()
    adam = optim.Adam(ours)
    for p in ours:
        p.grad = np.ones(p.shape)
    adam.step()
    with pytest.raises(ValueError, match="saved by 'Adam', not 'SGD'"):
        optim.SGD(ours, momentum=0.9).load_state_dict(adam.state_dict())
    state = adam.state_dict()
    state["buffers"]["1.exp_avg"] = np.zeros((4,))
    with pytest.raises(ValueError, match=r"buffer '1.exp_avg' has shape \(4,\), expected \(5,\)"):
        optim.Adam(ours).load_state_dict(state)
    state = adam.state_dict()
    del state["buffers"]["2.exp_avg_sq"]
    with pytest.raises(ValueError, match=r"parameters \[2\] lack some of the buffers"):
        optim.Adam(ours).load_state_dict(state)
    state = adam.state_dict()
    state["hyperparameters"]["parameters"] = []  # must not overwrite arbitrary attributes
    with pytest.raises(ValueError, match=r"unknown hyperparameters \['parameters'\]"):
        optim.Adam(ours).load_state_dict(state)


def test_parameters_without_gradient_are_left_alone(float64):
    ours, _ = make_pair()
    before = ours[1].data.copy()
    ours[0].grad = np.ones(SHAPES[0])
    optim.Adam(ours, lr=0.1).step()
    np.testing.assert_array_equal(ours[1].data, before)


@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(float64, max_norm):
    ours, theirs = make_pair(seed=2)
    for index, (p, t) in enumerate(zip(ours, theirs)):
        p.grad = gradient_of(p.data, index)
        t.grad = torch.from_numpy(gradient_of(t.detach().numpy(), index))
    total = optim.clip_grad_norm(ours, max_norm)
    total_t = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert total == pytest.approx(total_t.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    if max_norm < total:
        clipped = np.sqrt(sum((p.grad ** 2).sum() for p in ours))
        assert clipped == pytest.approx(max_norm, rel=1e-5)
