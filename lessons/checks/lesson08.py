"""Checks for lesson 8 (the transformer block and the recommender), and the library's pieces it falls back on.

Every expected value comes from minishop: `functional.layer_norm`, `nn.TransformerBlock`, `recsys.make_batch`,
`recsys.SequentialRecommender` (same weights -> same scores) and a training loop built from the library's
forward pass and `optim.Adam`. The learner's LayerNorm, block, forward pass and loop must also work on
minishop Tensors, because lesson 13 trains the model they make up.

The `library_*` functions are the fallbacks `use()` returns for a piece that has not passed its check.
"""

import math

import numpy as np

import minishop
import minishop.functional as F
import minishop.nn as nn
import minishop.optim as optim
from minishop import Tensor
from minishop.nn.attention import attention_mask
from minishop.recsys import SequentialRecommender, make_batch

from . import check_close, check_function, quiz, use
from .lesson05 import library_multi_head_attention, mha_params
from .lesson07 import check_piece, library_adam_step

# ------------------------------------------------------------------------------ the library's pieces


def library_layer_norm(x, gamma, beta, eps=1e-5):
    """minishop.functional.layer_norm: (x - mean) / sqrt(biased var + eps) * gamma + beta over the last axis."""
    return F.layer_norm(x, gamma, beta, eps)


def make_self_attention(multi_head_attention):
    """A block's causal self-attention around lesson 5's multi_head_attention(x, params, n_heads, mask)."""

    def self_attention(h, mha, padding):  # h (B, T, D); padding bool (B, T), True at padding
        T = h.shape[1]
        mask = attention_mask(T, T, causal=True, key_padding_mask=padding, score_ndim=3)  # (B, T, T)
        return multi_head_attention(h, mha_params(mha), mha.n_heads, mask=mask)  # (B, T, D)

    return self_attention


def library_pre_ln_block(x, block, padding):
    """minishop.nn.TransformerBlock's forward (pre-LN, causal): x (B, T, D), padding bool (B, T)."""
    return block(x, key_padding_mask=padding)


def library_sasrec_scores(model, items):
    """SequentialRecommender's scores of every item after every position: (B, T, n_items + 1)."""
    return model.item_scores(model(items))


def ce_loss_of_batch(score_fn, model, batch):
    """Full softmax cross-entropy over the batch's real positions, with the scores of `score_fn`."""
    scores = score_fn(model, batch.items)  # (B, T, n_items + 1)
    flat = scores.reshape(-1, scores.shape[-1])[batch.positions]  # (N, n_items + 1)
    return F.cross_entropy(flat, batch.targets.reshape(-1)[batch.positions])


def library_train_loop(model, score_fn, step_fn, histories, epochs, lr, batch_size=128, seed=0):
    """The plain loop of lesson 8 with the library's optimizer: returns the loss of every step."""
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(histories))
        for start in range(0, len(histories), batch_size):
            chosen = [histories[i] for i in order[start:start + batch_size]]
            batch = make_batch(chosen, model.n_items, model.max_len, "ce", rng)
            loss = ce_loss_of_batch(score_fn, model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


# ------------------------------------------------------------------------------------------ checks


def _on_tensors(name, fn, *args):
    """Call fn on Tensor arguments; a TypeError means it used NumPy functions that Tensors do not have."""
    try:
        return fn(*args)
    except TypeError as error:
        raise AssertionError(
            f"{name}: it works on NumPy arrays but failed on minishop Tensors ({error}). Write it with the "
            "operations both share (.mean(axis=..., keepdims=True), +, -, *, /, ** 0.5), so that it can train."
        ) from None


def check_layer_norm(layer_norm):
    """On arrays against functional.layer_norm; on Tensors, the output and the gradient of x and gamma."""
    rng = np.random.default_rng(80)
    x = (rng.standard_normal((3, 5, 7)) * 3 + 1).astype(np.float32)  # (B, T, D): not yet normalised
    gamma, beta = rng.standard_normal(7).astype(np.float32), rng.standard_normal(7).astype(np.float32)

    def on_tensors(x, gamma, beta):
        xt, gt = Tensor(x, requires_grad=True), Tensor(gamma, requires_grad=True)
        out = _on_tensors("layer_norm", layer_norm, xt, gt, Tensor(beta))
        if out is None:
            return None
        if not isinstance(out, Tensor):
            raise AssertionError("layer_norm: on Tensor inputs it must return a Tensor (no .numpy() inside)")
        (out * Tensor(np.arange(out.data.size, dtype=np.float32).reshape(out.shape) / 50)).sum().backward()
        return np.concatenate([out.data.ravel(), xt.grad.ravel(), gt.grad.ravel()])

    return check_piece(
        "layer_norm", layer_norm,
        lambda case, *args: layer_norm(*args) if case == "arrays" else on_tensors(*args),
        [(("arrays", x, gamma, beta), F.layer_norm(Tensor(x), Tensor(gamma), Tensor(beta)).numpy()),
         (("arrays", x[0, :3, :4], np.ones(4, np.float32), np.zeros(4, np.float32)),
          F.layer_norm(Tensor(x[0, :3, :4])).numpy()),
         (("tensors", x, gamma, beta), _layer_norm_reference(x, gamma, beta))],
        points=2, atol=1e-4, rtol=1e-4,
        hints=("The mean and the variance are taken over the LAST axis, per position, keeping that axis "
               "(keepdims=True) so that they broadcast back.",
               "The variance is the biased one: the mean of the squared deviations, divided by D (not D - 1).",
               "eps goes inside the square root; gamma scales and beta shifts after normalising. Use ** 0.5 for "
               "the square root: it works on arrays and on Tensors."),
    )


def _layer_norm_reference(x, gamma, beta):
    """Output, d/dx and d/dgamma of functional.layer_norm under the same weighted sum as the check."""
    xt, gt = Tensor(x, requires_grad=True), Tensor(gamma, requires_grad=True)
    out = F.layer_norm(xt, gt, Tensor(beta))
    (out * Tensor(np.arange(out.data.size, dtype=np.float32).reshape(out.shape) / 50)).sum().backward()
    return np.concatenate([out.data.ravel(), xt.grad.ravel(), gt.grad.ravel()])


def check_post_ln_block(post_ln_block):
    """The post-LN block on (B, T, D) arrays against TransformerBlock(norm_first=False)."""
    rng = np.random.default_rng(81)
    minishop.manual_seed(81)
    block = nn.TransformerBlock(8, n_heads=2, d_ff=32, causal=True, norm_first=False)
    inputs = [rng.standard_normal(shape).astype(np.float32) for shape in ((2, 5, 8), (3, 4, 8))]
    return check_function(
        "post_ln_block", post_ln_block,
        [((x, block), block(Tensor(x)).numpy()) for x in inputs],
        points=2, atol=1e-4, rtol=1e-4,
        hints=("Post-LN normalises AFTER each residual sum: the LayerNorm wraps x + sublayer(x).",
               "Two steps, attention then feed-forward; the second step starts from the output of the first."),
    )


def check_inputs_and_targets(inputs_and_targets):
    """One history's (2, T) inputs and targets against a row of make_batch's batch, T columns wide."""
    rng = np.random.default_rng(82)
    long_history = list(range(101, 131))  # 30 items: forces make_batch's batch to be T columns wide

    def from_make_batch(history, T):
        batch = make_batch([history, long_history], 200, max_len=T, objective="ce", rng=rng)
        return np.stack([batch.items[0], batch.targets[0]])  # (2, T)

    cases = [([5, 9, 2], 6), (list(range(40, 52)), 6), ([7, 8], 4), ([3], 5)]
    return check_function(
        "inputs_and_targets", inputs_and_targets,
        [((h, T), from_make_batch(h, T)) for h, T in cases],
        points=2, atol=0, rtol=0,
        hints=("Keep only the newest T + 1 items; the newest item must end up in the last column.",
               "Inputs and targets are the same padded sequence shifted by one position.",
               "Padding goes on the LEFT, and a target whose input is padding has nothing to predict from: 0."),
    )


def _tiny_block_case(seed, B=2, T=5, D=12, H=3):
    rng = np.random.default_rng(seed)
    minishop.manual_seed(seed)
    block = nn.TransformerBlock(D, n_heads=H, d_ff=D, causal=True, norm_first=True, drop_attention_output=False)
    x = rng.standard_normal((B, T, D)).astype(np.float32)  # (B, T, D)
    padding = np.zeros((B, T), dtype=bool)
    padding[0, :2] = True  # row 0 is left-padded
    return x, block, padding


def check_pre_ln_block(pre_ln_block):
    """A pre-LN, causal block on Tensors against TransformerBlock(norm_first=True); gradients must reach it."""

    def run(fn, seed):
        x, block, padding = _tiny_block_case(seed)
        out = _on_tensors("pre_ln_block", fn, Tensor(x), block, padding)
        if out is None:
            return None
        if not isinstance(out, Tensor):
            raise AssertionError("pre_ln_block: it must return a Tensor (no .numpy() inside), so that it trains")
        out.sum().backward()
        if block.norm1.weight.grad is None or block.attention.q_proj.weight.grad is None:
            raise AssertionError("pre_ln_block: no gradient reached block.norm1 or the attention: use the block's "
                                 "own LayerNorm weights and projections")
        keep = ~padding  # only real positions are compared
        return out.data[keep]

    return check_piece(
        "pre_ln_block", pre_ln_block, lambda seed: run(pre_ln_block, seed),
        [((seed,), run(library_pre_ln_block, seed)) for seed in (83, 84)],
        points=3, atol=1e-4, rtol=1e-4,
        hints=("Pre-LN: each sub-layer reads LayerNorm(x) and its output is ADDED to x (x is never normalised "
               "in place).",
               "Use block.norm1 for the attention step and block.norm2 for the feed-forward step, with their "
               ".weight and .bias as gamma and beta.",
               "self_attention(h, block.attention, padding) builds the causal mask and calls lesson 5's "
               "multi-head attention; the feed-forward is feed_forward(h, block.feed_forward)."),
    )


def tiny_recommender(seed=85, n_items=37, d_model=12, n_blocks=2, n_heads=3, max_len=7):
    """A small untrained SequentialRecommender with sizes that all differ (no dropout)."""
    minishop.manual_seed(seed)
    return SequentialRecommender(n_items, d_model=d_model, n_blocks=n_blocks, n_heads=n_heads,
                                 max_len=max_len, dropout=0.0)


def check_sasrec_scores(sasrec_scores):
    """Same weights -> same scores as SequentialRecommender, at every real position."""
    model = tiny_recommender()
    items = np.array([[0, 0, 0, 4, 17, 9], [3, 30, 30, 8, 1, 37], [0, 5, 6, 7, 8, 9]])  # (B, T) left-padded

    def run(fn):
        scores = _on_tensors("sasrec_scores", fn, model, items)
        if scores is None:
            return None
        return (scores.data if isinstance(scores, Tensor) else np.asarray(scores))[items != 0]  # (N, n_items + 1)

    expected = library_sasrec_scores(model, items).data[items != 0]
    return check_piece(
        "sasrec_scores", sasrec_scores, lambda _: run(sasrec_scores), [((items,), expected)],
        points=4, atol=1e-4, rtol=1e-4,
        hints=("Item embeddings are scaled by sqrt(D) before the position vectors are added.",
               "Positions are counted from the RIGHT end of a max_len window: a T-column batch uses positions "
               "max_len - T .. max_len - 1.",
               "After the blocks comes model.final_norm; the scores are H @ Eᵀ with the SAME item table E "
               "(tied weights), one column per item including column 0."),
    )


def check_softmax_cross_entropy(softmax_cross_entropy):
    """Against functional.cross_entropy, on random logits and on rows with scores near ±1000."""
    rng = np.random.default_rng(86)
    logits, columns = rng.standard_normal((9, 11)) * 4, rng.integers(0, 11, size=9)
    big = np.array([[1000.0, 0.0, -1000.0], [3.0, 1003.0, 2.0]])
    return check_function(
        "softmax_cross_entropy", softmax_cross_entropy,
        [((z, c), F.cross_entropy(Tensor(z), c).item()) for z, c in ((logits, columns), (big, np.array([0, 2])))],
        points=2, atol=1e-5, rtol=1e-5,
        hints=("A score of 1000 overflows exp(): subtract each row's maximum first (it cancels in the softmax).",
               "-log softmax(z)[c] = log Σ_j exp(z_j) - z_c; average that over the rows."),
    )


def check_initial_ce(expected_initial_ce, measured_loss):
    """The learner's formula for the untrained CE loss against the measured loss of an untrained model."""
    return check_close(
        "expected_initial_ce", expected_initial_ce, measured_loss, points=1, atol=0.05, rtol=0,
        hints=("With all scores equal, what probability does the softmax give each of the n_items items?",
               "The loss is minus the natural log of that probability."),
    )


def _train_loop_case(seed=87, n_users=150, n_items=40):
    rng = np.random.default_rng(seed)
    histories = [list(rng.integers(1, n_items + 1, size=rng.integers(2, 12))) for _ in range(n_users)]
    return histories, dict(seed=seed, n_items=n_items, d_model=8, n_blocks=1, n_heads=1, max_len=6)


def check_train_loop(train_loop):
    """Two epochs of the learner's loop against the same loop with optim.Adam: the same loss at every step."""
    histories, sizes = _train_loop_case()
    expected = library_train_loop(tiny_recommender(**sizes), library_sasrec_scores, None, histories, 2, 0.01, 64, 3)

    def run(_):
        losses = train_loop(tiny_recommender(**sizes), library_sasrec_scores, library_adam_step,
                            histories, 2, 0.01, 64, 3)
        return None if losses is None else np.asarray(losses, dtype=np.float64)

    if expected[-1] >= expected[0]:
        raise RuntimeError("check_train_loop: the reference loss did not go down; the check's settings are wrong")
    return check_piece(
        "train_loop", train_loop, run, [((0,), np.asarray(expected))],
        points=4, atol=1e-5, rtol=1e-4,
        hints=("Each epoch: a fresh permutation from the loop's own rng, then batches of batch_size histories "
               "in that order, built by make_batch(..., 'ce', rng).",
               "Before backward(), clear every parameter's .grad: gradients ADD UP across calls.",
               "Keep one m and one v per parameter and one step counter t (from 1) for the whole run; "
               "p.data, m, v = step_fn(p.data, p.grad, m, v, t, lr)."),
    )



def attention_piece():
    """Lesson 5's multi_head_attention(x, params, n_heads, mask): yours if it passed there, else the library's."""
    return use("multi_head_attention", library_multi_head_attention)

def check_quiz(answers):
    """Lesson 8's quiz: one letter per question."""
    return quiz("quiz08", answers, {1: "b", 2: "a", 3: "b", 4: "b"}, points=2,
                hints=("Each question matches a part of the lesson: the block picture (1), histories as "
                       "sentences (2), the SASRec figure (3), your training loop (4).",))
