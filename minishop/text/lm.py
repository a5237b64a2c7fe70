"""TextLM: a GPT-style language model over BPE tokens that writes product descriptions.

The model is the engine's `Transformer` with a causal mask (nanoGPT's design, Radford et al. 2019):

    ids (B, T) -> token embedding + learned position -> n pre-LN blocks -> LayerNorm -> h (B, T, D)
    logits = h @ Eᵀ (B, T, V)       # tied output: the input embedding E scores the next token too

trained to predict token t+1 from tokens 0..t with cross-entropy (padding ignored):

    loss = mean_t -log softmax(logits[:, t])[ids[:, t + 1]]

Generation appends one token at a time. Run naively, step n re-reads all n previous tokens: O(n²) work
for n tokens. But a token's key and value vectors never change once computed (the causal mask stops
them from seeing later tokens), so we keep them in a **key/value cache** and each new token costs only
its own position: one query against the cached keys. `forward_cached` below is that step, written with the
very weights of the engine's blocks (MultiHeadAttention has no cache of its own), and a test checks that
it gives the same logits as the full forward pass.
"""

import math

from minishop import backend
from minishop import functional as F
from minishop.nn.attention import MASKED_SCORE
from minishop.text.sampling import choose_next_token
from minishop.nn import Module, Transformer
from minishop.tensor import Tensor, no_grad



class TextLM(Module):
    """A causal transformer LM with tied input/output embeddings; see the module docstring."""

    def __init__(self, vocab_size, d_model=128, n_blocks=3, n_heads=4, max_len=128, dropout=0.1, d_ff=None):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, d_model=d_model, n_blocks=n_blocks, n_heads=n_heads,
                           max_len=max_len, dropout=dropout, d_ff=d_ff)
        self.max_len = max_len
        self.transformer = Transformer(vocab_size, d_model, n_blocks, n_heads, max_len, dropout=dropout,
                                       causal=True, norm_first=True, positional="learned",
                                       tie_weights=True, d_ff=d_ff)

    def forward(self, ids):  # ids (B, T)
        """Next-token logits (B, T, V) at every position. Right padding needs no mask: under the causal
        mask a real token never looks at the padding after it."""
        return self.transformer.logits(self.transformer(ids))  # (B, T, V)

    def loss(self, ids, pad_id):
        """Mean next-token cross-entropy over a batch of right-padded sequences ids (B, T)."""
        xp = backend.xp()
        ids = backend.asarray(ids)
        inputs, targets = ids[:, :-1], ids[:, 1:]  # (B, T-1) each: predict token t+1 from 0..t
        targets = xp.where(targets == pad_id, -100, targets)  # padding is not a prediction
        return F.cross_entropy(self(inputs), targets, ignore_index=-100)

    # ---- the key/value cache ---------------------------------------------------------------------

    def new_cache(self):
        """An empty cache: per block, the keys and values (B, H, T_seen, d_head) of every token so far."""
        n_blocks = len(self.transformer.blocks)
        return {"length": 0, "keys": [None] * n_blocks, "values": [None] * n_blocks}

    def forward_cached(self, ids, cache):  # ids (B, T_new): the tokens after the cache's last position
        """Logits (B, T_new, V) of new tokens, attending to the cached ones; appends their keys/values.

        Equal to forward(all tokens so far)[:, -T_new:] (a test checks it), at the cost of T_new positions.
        Pre-LN blocks only; no gradient is recorded.
        """
        xp = backend.xp()
        model = self.transformer
        start, n_new = cache["length"], ids.shape[-1]
        if start + n_new > self.max_len:
            raise ValueError(f"forward_cached: {start} cached + {n_new} new tokens exceed max_len={self.max_len}")
        with no_grad():
            x = model.token_embedding(backend.asarray(ids)) + model.position_embedding.weight[start : start + n_new]
            # query i sits at position start + i and may see keys 0 .. start + i
            query_at = xp.arange(start, start + n_new)[:, None]  # (T_new, 1)
            key_at = xp.arange(start + n_new)[None, :]  # (1, T_all)
            hidden_mask = key_at > query_at  # (T_new, T_all) True = may not look
            for index, block in enumerate(model.blocks):
                attention = block.attention
                h = block.norm1(x)  # (B, T_new, D)
                q = _split_heads(attention.q_proj(h), attention.n_heads)  # (B, H, T_new, d_head)
                k = _split_heads(attention.k_proj(h), attention.n_heads)  # (B, H, T_new, d_head)
                v = _split_heads(attention.v_proj(h), attention.n_heads)  # (B, H, T_new, d_head)
                if cache["keys"][index] is not None:
                    k = F.concatenate([cache["keys"][index], k], axis=2)  # (B, H, T_all, d_head)
                    v = F.concatenate([cache["values"][index], v], axis=2)
                cache["keys"][index], cache["values"][index] = k, v
                scores = (q @ k.transpose(0, 1, 3, 2)) * (1.0 / math.sqrt(attention.d_head))  # (B, H, T_new, T_all)
                weights = F.softmax(scores.masked_fill(hidden_mask, MASKED_SCORE), axis=-1)
                mixed = _merge_heads(weights @ v)  # (B, T_new, D)
                x = x + attention.out_proj(mixed)
                x = x + block.feed_forward(block.norm2(x))  # (B, T_new, D)
            logits = model.logits(model.final_norm(x))  # (B, T_new, V)
        cache["length"] = start + n_new
        return logits

    # ---- generation ------------------------------------------------------------------------------

    def generate(self, prompt_ids, max_new_tokens=60, greedy=False, temperature=1.0, top_k=None, top_p=None,
                 eos_id=None, seed=0, use_cache=True):
        """Continue `prompt_ids` (a list of ids) by up to `max_new_tokens` tokens; returns the new ids.

        Stops early after `eos_id` (not included in the result) or when the sequence reaches max_len.
        A prompt longer than max_len - 1 keeps its last max_len - 1 tokens. The same seed gives the same
        text; use_cache=False re-runs the whole sequence each step (slower, same result).
        """
        np = backend.np
        if not prompt_ids:
            raise ValueError("generate: prompt_ids is empty; start from at least one token (e.g. <bos>)")
        rng = np.random.default_rng(seed)
        ids = list(prompt_ids)[-(self.max_len - 1):]
        room = min(max_new_tokens, self.max_len - len(ids))
        was_training = self.training
        self.eval()
        cache = self.new_cache()
        new_ids = []
        next_input = ids
        for _ in range(room):
            if use_cache:
                logits = self.forward_cached(np.asarray([next_input]), cache)  # (1, T_new, V)
            else:
                with no_grad():
                    logits = self(backend.asarray(np.asarray([ids + new_ids])))  # (1, T, V)
            last = backend.to_numpy(logits.data[0, -1]).astype(np.float64)  # (V,)
            token = choose_next_token(last, rng, greedy, temperature, top_k, top_p)
            if token == eos_id:
                break
            new_ids.append(token)
            next_input = [token]
        self.train(was_training)
        return new_ids


def _split_heads(x, n_heads):  # (B, T, D) -> (B, H, T, d_head)
    B, T, D = x.shape
    return x.reshape(B, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)


def _merge_heads(x):  # (B, H, T, d_head) -> (B, T, D)
    B, H, T, d_head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * d_head)
