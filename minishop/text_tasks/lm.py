"""Train the product-description LM on a shop catalog, measure it against n-gram baselines, and generate.

    from minishop.text_tasks import train_description_lm, load_text_lm, generate_text
    results = train_description_lm("runs/lm")              # the bundled shop, a couple of minutes on a CPU
    model, tokenizer = load_text_lm("runs/lm")
    print(generate_text(model, tokenizer, "category: electronics > headphones | brand: Zenith |", top_p=0.9))

The catalog's products are split (seeded) into training and validation products; the BPE tokenizer is
learned from the training products only, and the model, a unigram LM and a bigram LM are all scored by
perplexity on the same validation tokens, so the three numbers compare directly.
The run folder holds best.ckpt / last.ckpt / metrics.jsonl (from minishop.train), tokenizer.json,
task.json (what is needed to rebuild the model) and results.json.
"""

import os
from dataclasses import asdict, dataclass

from minishop import backend
from minishop import text_metrics
from minishop.models.text_lm import TextLM
from minishop.tensor import no_grad
from minishop.text_tasks import corpus
from minishop.text_tasks.runs import load_run, write_json
from minishop.tokenizers import BPETokenizer
from minishop.train import TrainConfig, train

np = backend.np

SAMPLE_PROMPTS = ("category: electronics > headphones | brand: Zenith |",
                  "category: home > coffee makers | brand: Bramble |",
                  "category: sports > running shoes | brand: Corvid |")


@dataclass
class LMTaskConfig:
    """Sizes and training settings of the description LM (defaults: a couple of minutes on a laptop CPU)."""

    vocab_size: int = 1024
    d_model: int = 128
    n_blocks: int = 3
    n_heads: int = 4
    max_len: int = 160  # the longest shop document is ~130 tokens: none is cut
    dropout: float = 0.1
    epochs: int = 12
    batch_size: int = 16
    lr: float = 3e-3
    warmup_steps: int = 30
    valid_fraction: float = 0.1
    seed: int = 0


def _loss_batches(sequences, batch_size, pad_id):
    """batches(rng) for minishop.train: shuffled, right-padded (B, T) id arrays."""

    def batches(rng):
        return [corpus.pad_right([sequences[i] for i in index], pad_id)[0]
                for index in corpus.batch_indices(len(sequences), batch_size, rng)]

    return batches


def evaluate_lm(model, sequences, pad_id, batch_size=32):
    """{"perplexity", "loss"} of the model on `sequences`, per predicted token (every token after <bos>)."""
    model.eval()
    total, count = 0.0, 0
    with no_grad():
        for index in corpus.batch_indices(len(sequences), batch_size):
            ids, padding = corpus.pad_right([sequences[i] for i in index], pad_id)
            n_targets = int((~padding[:, 1:]).sum())
            total += float(model.loss(ids, pad_id).item()) * n_targets  # the loss is a mean over targets
            count += n_targets
    return {"perplexity": text_metrics.perplexity(total, count), "loss": total / count}


def train_description_lm(out_dir, config=None, shop_folder=None, progress=True):
    """Train the LM on the shop catalog at `shop_folder` (default: bundled); write the run to `out_dir`.

    Returns the results dict also saved as out_dir/results.json:
    {"model": {"perplexity", "loss"}, "unigram": {"perplexity"}, "bigram": {"perplexity", "lambda"},
     "data": {...counts...}, "samples": [{"prompt", "text"}, ...]}.
    """
    config = config or LMTaskConfig()
    os.makedirs(out_dir, exist_ok=True)
    items = corpus.shop_products(shop_folder)
    valid_products, train_products = corpus.split_indices(len(items), [config.valid_fraction], config.seed)
    train_texts = corpus.product_documents(items.iloc[np.sort(train_products)])
    valid_texts = corpus.product_documents(items.iloc[np.sort(valid_products)])

    tokenizer = BPETokenizer.train(train_texts, config.vocab_size)
    tokenizer.save(os.path.join(out_dir, "tokenizer.json"))
    pad_id = tokenizer.special_tokens["<pad>"]
    train_set = corpus.encode_texts(tokenizer, train_texts, config.max_len)
    valid_set = corpus.encode_texts(tokenizer, valid_texts, config.max_len)

    unigram = text_metrics.UnigramLM(tokenizer.vocab_size).fit(train_set.sequences)
    bigram = text_metrics.best_bigram(train_set.sequences, valid_set.sequences, tokenizer.vocab_size)

    backend.manual_seed(config.seed)
    model = TextLM(tokenizer.vocab_size, config.d_model, config.n_blocks, config.n_heads, config.max_len,
                   config.dropout)
    write_json(os.path.join(out_dir, "task.json"), {"task": "text-lm", "model": model.config, "train": asdict(config)})
    train_config = TrainConfig(epochs=config.epochs, lr=config.lr, optimizer="adamw", weight_decay=0.01,
                               warmup_steps=config.warmup_steps, schedule="cosine", monitor="perplexity",
                               mode="min", seed=config.seed, progress=progress)
    run = train(model, _loss_batches(train_set.sequences, config.batch_size, pad_id),
                lambda m, ids: m.loss(ids, pad_id), train_config,
                evaluate=lambda m: evaluate_lm(m, valid_set.sequences, pad_id),
                out_dir=out_dir)

    results = {
        "model": evaluate_lm(model, valid_set.sequences, pad_id),
        "unigram": {"perplexity": unigram.perplexity(valid_set.sequences)},
        "bigram": {"perplexity": bigram.perplexity(valid_set.sequences), "lambda": bigram.lam},
        "data": {"products_train": len(train_products), "products_valid": len(valid_products),
                 "documents_train": len(train_texts), "documents_valid": len(valid_texts),
                 "tokens_train": sum(len(s) - 1 for s in train_set.sequences),
                 "tokens_valid": sum(len(s) - 1 for s in valid_set.sequences),
                 "truncated_documents": train_set.truncated + valid_set.truncated,
                 "vocab_size": tokenizer.vocab_size},
        "training": {"epochs_run": run.epochs_run, "best_epoch": run.best_epoch, "seconds": run.seconds},
        "samples": [{"prompt": prompt,
                     "text": generate_text(model, tokenizer, prompt, temperature=0.8, top_p=0.9, seed=i)}
                    for i, prompt in enumerate(SAMPLE_PROMPTS)],
    }
    write_json(os.path.join(out_dir, "results.json"), results)
    return results


def load_text_lm(path):
    """(model, tokenizer) from a run folder, or from a checkpoint file inside one (default best.ckpt)."""
    model, tokenizer, _ = load_run(path, "text-lm", TextLM)
    return model, tokenizer


def generate_text(model, tokenizer, prompt, max_new_tokens=100, greedy=False, temperature=1.0, top_k=None,
                  top_p=None, seed=0):
    """The prompt followed by the model's continuation, as text (generation stops at <eos>)."""
    prompt_ids = [tokenizer.special_tokens["<bos>"]] + tokenizer.encode(prompt, allowed_special="none",
                                                                        disallowed_special="text")
    new_ids = model.generate(prompt_ids, max_new_tokens, greedy=greedy, temperature=temperature, top_k=top_k,
                             top_p=top_p, eos_id=tokenizer.special_tokens["<eos>"], seed=seed)
    return prompt + tokenizer.decode(new_ids)
