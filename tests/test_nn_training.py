"""End to end: a tiny transformer learns a toy next-token task, and its loss falls far below the start."""

import numpy as np

import minishop
from minishop import nn, optim
import minishop.functional as F


def test_tiny_transformer_learns_a_repeating_pattern():
    minishop.manual_seed(0)
    pattern = np.array([3, 1, 4, 1, 5, 9, 2, 6])  # the next token depends on more than the current one
    rng = np.random.default_rng(0)
    model = nn.Transformer(vocab_size=10, d_model=16, n_blocks=2, n_heads=2, max_len=12, dropout=0.0)
    optimizer = optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    losses = []
    for step in range(80):
        starts = rng.integers(0, len(pattern), size=8)
        windows = np.stack([np.roll(pattern, -start) for start in starts])  # (8, 8)
        sequences = np.concatenate([windows, windows[:, :4]], axis=1)  # (8, 12), wraps around
        inputs, targets = sequences[:, :-1], sequences[:, 1:]
        loss = F.cross_entropy(model.logits(model(inputs)), targets)
        optimizer.zero_grad()
        loss.backward()
        optim.clip_grad_norm(model.parameters(), 1.0)
        optimizer.lr = optim.warmup_cosine(step, 1e-2, warmup_steps=5, total_steps=80)
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 2.0  # about ln(10) at the start
    assert np.mean(losses[-5:]) < 0.1 * losses[0], losses[::10]
