"""TextLM: a GPT-style language model over BPE tokens that writes product descriptions.

The model is the engine's `Transformer` with a causal mask (nanoGPT's design, Radford et al. 2019):

    ids (B, T) -> token embedding + learned position -> n pre-LN blocks -> LayerNorm -> h (B, T, D)
    logits = h @ Eᵀ (B, T, V)       # tied output: the input embedding E scores the next token too

trained to predict token t+1 from tokens 0..t with cross-entropy (padding ignored):

    loss = mean_t -log softmax(logits[:, t])[ids[:, t + 1]]

Generation appends one token at a time. Run naively, step n re-reads all n previous tokens: O(n²) work
for n tokens. But a token's key and value vectors never change once computed (the causal mask stops
them from seeing later tokens), so the attention layers keep them in a **key/value cache**
(minishop.nn.attention.KVCache) and each new token costs only its own position: one query against the
cached keys. TextLM itself has no attention code; it hands the cache to its Transformer.
"""

from minishop import backend
from minishop import functional as F
from minishop.nn import Module, Transformer
from minishop.tensor import no_grad
from minishop.text.sampling import choose_next_token


class TextLM(Module):
    """A causal transformer LM with tied input/output embeddings; see the module docstring."""

    def __init__(self, vocab_size, d_model=128, n_blocks=3, n_heads=4, max_len=160, dropout=0.1, d_ff=None):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, d_model=d_model, n_blocks=n_blocks, n_heads=n_heads,
                           max_len=max_len, dropout=dropout, d_ff=d_ff)
        self.max_len = max_len
        self.transformer = Transformer(vocab_size, d_model, n_blocks, n_heads, max_len, dropout=dropout,
                                       causal=True, norm_first=True, positional="learned",
                                       tie_weights=True, d_ff=d_ff)

    def forward(self, ids, cache=None):  # ids (B, T)
        """Next-token logits (B, T, V) at every position. Right padding needs no mask: under the causal
        mask a real token never looks at the padding after it.

        With a cache from new_cache(), ids are the tokens after the cached ones (generation, under
        no_grad()); the result equals forward(all tokens so far)[:, -T:] at the cost of T positions.
        """
        return self.transformer.logits(self.transformer(ids, cache=cache))  # (B, T, V)

    def loss(self, ids, pad_id):
        """Mean next-token cross-entropy over a batch of right-padded sequences ids (B, T)."""
        xp = backend.xp()
        ids = backend.asarray(ids)
        inputs, targets = ids[:, :-1], ids[:, 1:]  # (B, T-1) each: predict token t+1 from 0..t
        targets = xp.where(targets == pad_id, -100, targets)  # padding is not a prediction
        return F.cross_entropy(self(inputs), targets, ignore_index=-100)

    def new_cache(self, batch_size=1):
        """An empty key/value cache: per block, room for the keys and values (B, H, max_len, d_head)."""
        return self.transformer.new_cache(batch_size)

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
        cache = self.new_cache() if use_cache else None
        new_ids = []
        next_input = ids  # with the cache: the prompt first (one prefill), then one token per step
        for _ in range(room):
            with no_grad():
                if use_cache:
                    logits = self(np.asarray([next_input]), cache=cache)  # (1, T_new, V)
                else:
                    logits = self(np.asarray([ids + new_ids]))  # (1, T, V): the whole text again
            last = backend.to_numpy(logits.data[0, -1]).astype(np.float64)  # (V,)
            token = choose_next_token(last, rng, greedy, temperature, top_k, top_p)
            if token == eos_id:
                break
            new_ids.append(token)
            next_input = [token]
        self.train(was_training)
        return new_ids
