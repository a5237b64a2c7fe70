"""Benchmark the BPE tokenizer: training time and encoding throughput, side by side in one run with
the naive trainer (recount every pair after every merge) and HuggingFace `tokenizers` (Rust) as the ceiling.

    python bench/tokenizer.py                      # the bundled shop: product descriptions + reviews
    python bench/tokenizer.py --naive-vocab 4000   # run the naive trainer at full size too (minutes)
    python bench/tokenizer.py --text-file big.txt  # any UTF-8 text file, one document per line

Speed is not asserted anywhere: compare the ratios printed here, measured in the same process.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import pandas as pd

from minishop.tokenizers import DEFAULT_SPECIAL_TOKENS, SPLIT_PATTERN, BPETokenizer, train_naive

REPO = Path(__file__).resolve().parent.parent


def shop_corpus(shop_dir):
    """Product descriptions and non-empty review texts of the bundled shop."""
    products = pd.read_csv(shop_dir / "products.csv")
    with open(shop_dir / "reviews.jsonl", encoding="utf-8") as f:
        reviews = [json.loads(line)["text"] for line in f if line.strip()]
    return [t for t in products["description"].dropna()] + [t for t in reviews if t]


def timed(fn, repeats=1):
    """(median seconds, last result) of calling fn() `repeats` times."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def hf_tokenizer():
    """A HuggingFace byte-level BPE with the same GPT-4 split pattern and special tokens as ours."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    return tok


def bench_hf(texts, vocab_size, repeats):
    """Rust training time, encode_batch (all cores) and single-text encode loop times."""
    try:
        from tokenizers import pre_tokenizers, trainers
    except ImportError:
        return None
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(DEFAULT_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok = hf_tokenizer()
    train_s, _ = timed(lambda: tok.train_from_iterator(texts, trainer))
    batch_s, encodings = timed(lambda: tok.encode_batch(texts), repeats)
    loop_s, _ = timed(lambda: [tok.encode(t) for t in texts], repeats)
    # encode_batch_fast (tokenizers >= 0.20) skips the character offsets: the fairest comparison with ours
    fast_s = timed(lambda: tok.encode_batch_fast(texts), repeats)[0] if hasattr(tok, "encode_batch_fast") else None
    n_tokens = sum(len(e.ids) for e in encodings)
    return {"train_s": train_s, "batch_s": batch_s, "loop_s": loop_s, "fast_s": fast_s, "vocab": tok.get_vocab_size(), "tokens": n_tokens}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shop-dir", type=Path, default=REPO / "data" / "shop", help="bundled shop folder (default: data/shop)")
    parser.add_argument("--text-file", type=Path, help="benchmark on this UTF-8 file (one document per line) instead")
    parser.add_argument("--vocab", type=int, default=4000, help="vocabulary size for our trainer and HF (default 4000)")
    parser.add_argument(
        "--naive-vocab", type=int, default=512,
        help="vocabulary size for the naive-vs-fast comparison (default 512; the naive trainer needs ~0.1-1 s per "
        "merge, so its full-size time is extrapolated unless this equals --vocab)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="encoding runs per measurement; the median is kept")
    args = parser.parse_args()

    if args.text_file:
        texts = [line for line in args.text_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        texts = shop_corpus(args.shop_dir)
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    mb = n_bytes / 1e6
    print(f"corpus: {len(texts):,} texts, {mb:.2f} MB")

    # --- training: ours at full size, ours and naive at the comparison size
    fast_s, tok = timed(lambda: BPETokenizer.train(texts, args.vocab, progress=True))
    n_merges = len(tok.merges)
    print(f"ours  train vocab {args.vocab}: {fast_s:7.2f} s  ({n_merges} merges learned, vocab_size {tok.vocab_size})")
    small_merges = args.naive_vocab - 256 - len(DEFAULT_SPECIAL_TOKENS)
    small_s, small_tok = timed(lambda: BPETokenizer.train(texts, args.naive_vocab))
    naive_s, naive_merges = timed(lambda: train_naive(texts, small_merges))
    same = [pair for pair, _ in naive_merges] == small_tok.merges
    print(f"ours  train vocab {args.naive_vocab}: {small_s:7.2f} s")
    print(f"naive train vocab {args.naive_vocab}: {naive_s:7.2f} s  -> ours is {naive_s / small_s:,.0f}x faster; "
          f"merges identical: {same}")
    if len(naive_merges) < n_merges:
        estimate = naive_s / max(len(naive_merges), 1) * n_merges
        print(f"naive train vocab {args.vocab}: ~{estimate:7.0f} s  (extrapolated from {len(naive_merges)} merges, "
              f"per-merge cost x {n_merges}) -> ours is ~{estimate / fast_s:,.0f}x faster")

    # --- encoding: cold cache (fresh tokenizer) and warm cache (second pass)
    cold_s, _ = timed(lambda: BPETokenizer(tok.merges).encode_batch(texts), args.repeats)
    warm_s, ids = timed(lambda: tok.encode_batch(texts), args.repeats)
    n_tokens = sum(map(len, ids))
    print(f"ours  encode: cold cache {mb / cold_s:6.2f} MB/s, warm cache {mb / warm_s:6.2f} MB/s, "
          f"{n_tokens:,} tokens, {n_bytes / n_tokens:.2f} bytes/token")

    hf = bench_hf(texts, args.vocab, args.repeats)
    if hf is None:
        print("HF tokenizers not installed: no Rust ceiling")
        return
    print(f"HF    train vocab {args.vocab}: {hf['train_s']:7.2f} s  (vocab {hf['vocab']}) -> ours takes "
          f"{fast_s / hf['train_s']:.1f}x as long")
    print(f"HF    encode: encode_batch {mb / hf['batch_s']:6.2f} MB/s, one-by-one {mb / hf['loop_s']:6.2f} MB/s, "
          f"{hf['tokens']:,} tokens")
    if hf["fast_s"] is not None:
        print(f"HF    encode: encode_batch_fast {mb / hf['fast_s']:6.2f} MB/s (no offsets)")
    best_s = min(s for s in (hf["batch_s"], hf["loop_s"], hf["fast_s"]) if s is not None)
    print(f"encoding, our time / HF's best time: {cold_s / best_s:.2f}x (cold cache), "
          f"{warm_s / best_s:.2f}x (warm cache)  [target: <= 10x]")


if __name__ == "__main__":
    main()
