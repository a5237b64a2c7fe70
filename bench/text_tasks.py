"""Benchmark of the language tasks: the figures quoted in the closing note of the text-tasks issue.

    python bench/text_tasks.py                       # LM + both review targets on the bundled shop
    python bench/text_tasks.py --data reviews.tsv    # also a labelled file of your own (80/20 split)
    python bench/text_tasks.py --only lm             # or: --only classifier, --only cache
    python bench/text_tasks.py --only small-sets --labelled-sets amazon.txt,yelp.txt --seeds 5
                                                     # or MINISHOP_LABELLED_SETS=amazon.txt:yelp.txt

Prints, and writes to OUT/bench.json:
1. the description LM's validation perplexity next to unigram and bigram LMs on the same tokens, three
   samples, and the training wall time;
2. the review classifier's held-out accuracy and macro-F1 next to bag-of-words (sentiment, 1-5 rating,
   and --data if given);
3. generation speed with and without the key/value cache (tokens/s and their ratio, same model, same run,
   one BLAS thread);
4. with --labelled-sets (or MINISHOP_LABELLED_SETS, paths joined by os.pathsep): for each small labelled
   file (text<TAB>label, e.g. the UCI "Sentiment Labelled Sentences"), the seeded 80/20 comparison of
   the model the run chose (named by results.json's model kind) against bag-of-words, repeated for --seeds
   seeds (each seed draws another split, initialisation and shuffling), as a table of mean +- standard
   deviation. The run uses SMALL_SET_OPTIONS on top of the `minishop train-classifier` defaults
   (`--small-set-options defaults` for the plain defaults, the model chosen from the data). A path that does not exist is reported and skipped. Nothing of these files is
   stored in the repository.
"""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from minishop import backend  # noqa: E402
from minishop.text.lm import TextLM  # noqa: E402
from minishop.text import (ClassifierTaskConfig, LMTaskConfig, load_text_lm,  # noqa: E402
                           train_description_lm, train_review_classifier)


def bench_lm(out, epochs):
    started = time.perf_counter()
    results = train_description_lm(os.path.join(out, "lm"), LMTaskConfig(epochs=epochs) if epochs else None)
    results["wall_seconds"] = time.perf_counter() - started
    print(f"\n== description LM ({results['data']['tokens_valid']:,} validation tokens, "
          f"{results['data']['products_valid']} held-out products, {results['wall_seconds']:.0f} s) ==")
    for name in ("model", "bigram", "unigram"):
        print(f"  perplexity {name:8s} {results[name]['perplexity']:8.2f}")
    for sample in results["samples"]:
        print("  sample: " + sample["text"])
    return results


def bench_classifier(out, name, train):
    started = time.perf_counter()
    results = train(os.path.join(out, name))
    results["wall_seconds"] = time.perf_counter() - started
    print(f"\n== review classifier: {name} ({results['data']['test']} test examples, "
          f"{results['wall_seconds']:.0f} s) ==")
    for key, label in (("model", f"chosen: {results['model']['kind']}"), ("bow", "baseline: bag-of-words")):
        print(f"  {label:42s} accuracy {results[key]['accuracy']:.4f}  macro-F1 {results[key]['macro_f1']:.4f}")
    return results


def bench_cache(out, n_tokens=120, repeats=5, prompt_length=8, threads=1):
    """Tokens/s of generation with the layers' key/value cache and without it (the whole text re-run at each
    step), interleaved in one run on one BLAS thread, best of `repeats`. Both must produce the same tokens."""
    backend.set_num_threads(threads)
    lm_dir = os.path.join(out, "lm")
    if os.path.exists(os.path.join(lm_dir, "best.ckpt")):
        model, _ = load_text_lm(lm_dir)
    else:
        backend.manual_seed(0)
        model = TextLM(1024, 128, 3, 4, 160, 0.0).eval()
    prompt = list(range(1, prompt_length + 1))  # prefilled in one forward pass, then one token per step
    timings, texts = {True: [], False: []}, {}
    for _ in range(repeats):
        for use_cache in (True, False):
            started = time.perf_counter()
            texts[use_cache] = model.generate(prompt, max_new_tokens=n_tokens, seed=0, use_cache=use_cache)
            timings[use_cache].append(len(texts[use_cache]) / (time.perf_counter() - started))
    if texts[True] != texts[False]:
        raise RuntimeError("bench_cache: cached and uncached generation gave different tokens")
    cached, uncached = max(timings[True]), max(timings[False])
    print(f"\n== generation of {n_tokens} tokens after a {prompt_length}-token prompt, BLAS threads {threads}: "
          f"cached {cached:.0f} tok/s, uncached {uncached:.0f} tok/s, ratio {cached / uncached:.2f}x ==")
    return {"cached_tokens_per_s": cached, "uncached_tokens_per_s": uncached, "ratio": cached / uncached,
            "n_tokens": n_tokens, "prompt_length": prompt_length, "threads": threads}


# For files of about a thousand sentences: whole words as tokens (minishop.tokenizers.words) instead of a
# 1,000-id BPE learned from 700 sentences, mean and max pooling side by side, and weight averaging from
# epoch 2 (each chosen on seeds 5-9, bench/README.md).
# `minishop train-classifier --tokenizer words --pooling mean+max --average-from 2` is the same.
SMALL_SET_OPTIONS = {"tokenizer": "words", "pooling": "mean+max", "average_from": 2}


def labelled_set_paths(argument):
    """The --labelled-sets paths (comma-separated), else MINISHOP_LABELLED_SETS (os.pathsep-separated)."""
    if argument:
        return [path for path in argument.split(",") if path]
    return [path for path in os.environ.get("MINISHOP_LABELLED_SETS", "").split(os.pathsep) if path]


def _spread(values):
    """'mean +- standard deviation' of a list of floats (the deviation is 0 for a single value)."""
    deviation = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} +- {deviation:.3f}"


def bench_small_sets(out, paths, n_seeds, options=None):
    """Transformer (the defaults changed by `options`, SMALL_SET_OPTIONS when None) vs bag-of-words on small
    labelled files, over seeds 0 .. n_seeds - 1; prints a table."""
    options = SMALL_SET_OPTIONS if options is None else options
    print(f"\n== small labelled sets: options {options or 'none (the defaults: the model chosen from the data)'} ==")
    report = {}
    for path in paths:
        if not os.path.exists(path):
            print(f"\n== small labelled set {path}: not found, skipped ==")
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        runs = []
        for seed in range(n_seeds):
            started = time.perf_counter()
            results = train_review_classifier(os.path.join(out, f"small-{name}-seed{seed}"), ClassifierTaskConfig(
                data=path, format="tsv", seed=seed, progress=False, **options))
            runs.append({"seed": seed, "options": options, "seconds": time.perf_counter() - started,
                         "examples": results["data"]["examples"], "chosen": results["model"]["kind"],
                         **{f"{key}_{metric}": results[key][metric] for key in ("model", "bow")
                            for metric in ("accuracy", "macro_f1")}})
        report[name] = runs
        wins = sum(run["model_macro_f1"] >= run["bow_macro_f1"] for run in runs)
        print(f"\n== small labelled set {name}: {runs[0]['examples']} examples, {n_seeds} seeds, "
              f"{statistics.mean(run['seconds'] for run in runs):.0f} s per seed ==")
        chosen = ", ".join(sorted({run["chosen"] for run in runs}))  # the model each seed's run chose
        for key, label in (("model", f"chosen ({chosen})"), ("bow", "bag-of-words")):
            print(f"  {label:12s} accuracy {_spread([run[key + '_accuracy'] for run in runs])}  "
                  f"macro-F1 {_spread([run[key + '_macro_f1'] for run in runs])}")
        differences = [run["model_macro_f1"] - run["bow_macro_f1"] for run in runs]
        print(f"  chosen - bag-of-words macro-F1 {_spread(differences)}; chosen >= bag-of-words "
              f"in {wins} of {n_seeds} seeds")
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/bench-text", help="folder for the runs and bench.json")
    parser.add_argument("--only", choices=("lm", "classifier", "cache", "small-sets"), default=None)
    parser.add_argument("--lm-epochs", type=int, default=None, help="override the LM's default epochs")
    parser.add_argument("--data", default=None, help="a labelled file (text<TAB>label, or CSV) to benchmark too")
    parser.add_argument("--format", choices=("tsv", "csv"), default="tsv")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--labelled-sets", default=None,
                        help="comma-separated small text<TAB>label files (default: $MINISHOP_LABELLED_SETS)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds (splits) per small labelled set")
    parser.add_argument("--small-set-options", default=None,
                        help="JSON of ClassifierTaskConfig fields for the small sets (default: SMALL_SET_OPTIONS), "
                             "or 'defaults' for train-classifier's defaults")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    report = {}
    if args.only in (None, "lm"):
        report["lm"] = bench_lm(args.out, args.lm_epochs)
    if args.only in (None, "classifier"):
        for target in ("sentiment", "rating"):
            report[f"shop_{target}"] = bench_classifier(
                args.out, f"shop-{target}", lambda folder, t=target: train_review_classifier(folder, ClassifierTaskConfig(target=t)))
        if args.data:
            report["data"] = bench_classifier(
                args.out, "data", lambda folder: train_review_classifier(folder, ClassifierTaskConfig(
                    data=args.data, format=args.format, text_column=args.text_column,
                    label_column=args.label_column)))
    if args.only in (None, "cache"):
        report["cache"] = bench_cache(args.out)
    if args.only in (None, "small-sets"):
        paths = labelled_set_paths(args.labelled_sets)
        if paths:
            options = {} if args.small_set_options == "defaults" else (
                json.loads(args.small_set_options) if args.small_set_options else None)
            report["small_sets"] = bench_small_sets(args.out, paths, args.seeds, options)
        else:
            print("\n== small labelled sets: none given (--labelled-sets or MINISHOP_LABELLED_SETS), skipped ==")
    with open(os.path.join(args.out, "bench.json"), "w", encoding="utf-8") as file:
        json.dump(report, file, indent=2)
    print(f"\nwritten to {os.path.join(args.out, 'bench.json')}")


if __name__ == "__main__":
    main()
