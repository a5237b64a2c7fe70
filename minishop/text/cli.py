"""The language tasks on the command line: `minishop train-lm`, `generate`, `train-classifier`, `classify`.

    minishop train-lm --out runs/lm                          # the description LM on the bundled shop
    minishop generate runs/lm --prompt "category: home > heaters | brand: Ember |" --top-p 0.9
    minishop train-classifier --out runs/sentiment           # the bundled shop's reviews, or:
    minishop train-classifier --data reviews.tsv --format tsv --out runs/mine
    minishop classify runs/sentiment "The kettle broke after two days."

`add_text_commands(subparsers)` registers them on minishop's main parser (minishop/cli.py).
"""

import argparse

from minishop import runs
from minishop.config import add_config_flags, add_run_flags, config_from_args
from minishop.text import (ClassifierTaskConfig, LMTaskConfig, classify_texts, generate_text, load_classifier,
                           load_text_lm, train_description_lm, train_review_classifier)


def add_text_commands(subparsers):
    """Add train-lm, generate, train-classifier and classify to an argparse subparsers object."""
    _add_train_lm(subparsers)
    _add_generate(subparsers)
    _add_train_classifier(subparsers)
    _add_classify(subparsers)


def task_config(config_class, args):
    """The settings typed (over the defaults and --config), or with --resume the run's config.json (a
    typed setting that contradicts it is an error naming it)."""
    saved = runs.saved_config(args.out) if args.resume else None
    return config_from_args(config_class, args, saved=saved, source=f"{args.out}/config.json")


# ---- the description LM --------------------------------------------------------------------------------

def _add_train_lm(subparsers):
    parser = subparsers.add_parser(
        "train-lm", help="train the product-description language model on a shop catalog",
        description="Train a GPT-style LM on the shop's titles and descriptions; report validation perplexity "
                    "next to unigram and bigram baselines on the same tokens, and print sample descriptions. "
                    "Settings: defaults < --config file < command-line options.")
    add_config_flags(parser, LMTaskConfig, skip=("norm_first",))  # TextLM is pre-LN only
    parser.add_argument("--out", default="runs/text-lm", help="run folder to write (default: runs/text-lm)")
    add_run_flags(parser)
    parser.set_defaults(func=run_train_lm)


def run_train_lm(args):
    """Settings -> minishop.text.training.train_description_lm -> perplexities and samples."""
    results = train_description_lm(args.out, task_config(LMTaskConfig, args), args.overwrite, args.resume)
    print(f"validation perplexity on {results['data']['tokens_valid']:,} tokens of "
          f"{results['data']['products_valid']} held-out products:")
    for name in ("model", "bigram", "unigram"):
        print(f"  {name:8s} {results[name]['perplexity']:8.2f}")
    print("samples (temperature 0.8, top-p 0.9):")
    for sample in results["samples"]:
        print("  " + sample["text"])
    print(f"run written to {args.out}/ (best.ckpt, tokenizer.json, results.json, metrics.jsonl)")


def _add_generate(subparsers):
    parser = subparsers.add_parser(
        "generate", help="write a product description from a prompt with a trained LM",
        description="Continue a prompt (a title, or 'category: ... | brand: ... |') with a model from train-lm.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="run folder of train-lm, or a .ckpt inside it")
    parser.add_argument("--prompt", required=True, help="text to continue")
    parser.add_argument("--max-new-tokens", type=int, default=100, help="stop after this many tokens (or at <eos>)")
    parser.add_argument("--greedy", action="store_true", help="always take the most probable token")
    parser.add_argument("--temperature", type=float, default=1.0, help="< 1 safer, > 1 wilder")
    parser.add_argument("--top-k", type=int, default=None, help="sample among the k most probable tokens")
    parser.add_argument("--top-p", type=float, default=None, help="sample from the nucleus of probability p")
    parser.add_argument("--samples", type=int, default=1, help="how many texts to write (seeds seed, seed+1, ...)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed writes the same text")
    parser.set_defaults(func=run_generate)


def run_generate(args):
    """Print generated texts (the sampling settings are checked before the model is loaded)."""
    check_sampling(args)
    model, tokenizer = load_text_lm(args.checkpoint)
    for i in range(args.samples):
        print(generate_text(model, tokenizer, args.prompt, args.max_new_tokens, args.greedy, args.temperature,
                            args.top_k, args.top_p, seed=args.seed + i))


def check_sampling(args):
    """A clear error naming the flag for a sampling setting out of its range."""
    checks = [("--max-new-tokens", args.max_new_tokens, args.max_new_tokens >= 0, ">= 0"),
              ("--temperature", args.temperature, args.temperature > 0, "> 0"),
              ("--top-k", args.top_k, args.top_k is None or args.top_k >= 1, ">= 1"),
              ("--top-p", args.top_p, args.top_p is None or 0 < args.top_p <= 1, "in (0, 1]"),
              ("--samples", args.samples, args.samples >= 1, ">= 1"), ("--seed", args.seed, args.seed >= 0, ">= 0")]
    for flag, value, ok, expected in checks:
        if not ok:
            raise ValueError(f"{flag} {value}: expected a value {expected}")


# ---- the review classifier -----------------------------------------------------------------------------

def _add_train_classifier(subparsers):
    parser = subparsers.add_parser(
        "train-classifier", help="train a review classifier and compare it with bag-of-words",
        description="Train a review classifier and a TF-IDF logistic-regression baseline on the same 70% of the "
                    "examples; score both on the same seeded 20% held out, and write OUT/results.json. The "
                    "model (--classifier), tokenizer, blocks, pooling and max-len not given are chosen from the "
                    "data: bag-of-words itself, a bag of word and word-pair embeddings, the two averaged, and a "
                    "transformer compete out of fold on the other 80% (--auto-seconds). Without --data: the bundled shop's reviews (--target sentiment or "
                    "rating). Settings: defaults < --config file < command-line options.")
    add_config_flags(parser, ClassifierTaskConfig)
    parser.add_argument("--out", default="runs/classifier", help="run folder to write (default: runs/classifier)")
    add_run_flags(parser)
    parser.set_defaults(func=run_train_classifier)


def run_train_classifier(args):
    """Settings -> minishop.text.training.train_review_classifier -> the choice made, then accuracy and macro-F1
    of the model and of bag-of-words, and which of the two won."""
    results = train_review_classifier(args.out, task_config(ClassifierTaskConfig, args), args.overwrite,
                                      args.resume)
    print_choice(results["auto"])
    print(f"held-out test: {results['data']['test']} examples, classes {results['model']['classes']}")
    print(f"  {'':42s} {'accuracy':>9s} {'macro-F1':>9s}")
    for name, label in (("model", f"chosen: {results['model']['kind']}"), ("bow", "baseline: bag-of-words")):
        print(f"  {label:42s} {results[name]['accuracy']:9.4f} {results[name]['macro_f1']:9.4f}")
    verdict = results["verdict"]
    winner = {"model": f"the {results['model']['kind']} wins", "bag-of-words": "the bag-of-words baseline wins",
              "tie": "a tie"}[verdict["winner"]]
    print(f"  {winner} on macro-F1 ({verdict['model']:.4f} against {verdict['bow']:.4f})"
          + (f"; {verdict['note']}" if "note" in verdict else ""))
    print(f"results written to {args.out}/results.json")


def print_choice(choice):
    """The automatic choice as a small table: each candidate's out-of-fold score and time, the winner."""
    chosen = ", ".join(f"{name} {value}" for name, value in choice["settings"].items())
    if not choice["candidates"]:
        print(f"settings chosen without a contest: {choice['chosen']}; {chosen or 'none (all given)'}")
    else:
        inner = choice["inner"]
        split = (f"{choice['folds']} folds of the {inner['examples']} non-test examples, each scored by a model "
                 "trained on the others" if choice["folds"] > 1 else
                 f"an inner split of the non-test examples ({inner['scored']} scored)")
        print(f"automatic choice ({', '.join(choice['by_contest'])}) on {split}:")
        print(f"  {'candidate':68s} {'macro-F1':>9s} {'seconds':>8s}")
        for candidate in choice["candidates"]:
            mark = "  <- chosen" if candidate["name"] == choice["chosen"] else ""
            print(f"  {candidate['name']:68s} {candidate['macro_f1']:9.4f} {candidate['seconds']:8.1f}{mark}")
        for name in choice["left_out"]:
            print(f"  {name:68s} left out: over --auto-seconds {choice['seconds_budget']:g}")
        print(f"model chosen: {choice['chosen']} (the first within one standard error, "
              f"{choice['standard_error']:.4f}, of the best); settings used: {chosen}")
    if "note" in choice:
        print(choice["note"])


def _add_classify(subparsers):
    parser = subparsers.add_parser(
        "classify", help="label texts with a trained review classifier",
        description="Print each text's predicted label, the class probabilities, and the tokens the prediction "
                    "leaned on most (the attention they received in the last block; without blocks, how much "
                    "each pushed towards the predicted label).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("checkpoint", metavar="CHECKPOINT", help="run folder of train-classifier, or a .ckpt in it")
    parser.add_argument("texts", metavar="TEXT", nargs="+", help="one or more texts to classify")
    parser.add_argument("--top-tokens", type=int, default=5, help="how many most-attended tokens to show")
    parser.set_defaults(func=run_classify)


def run_classify(args):
    """Print label, probabilities and most-attended tokens for each text."""
    if args.top_tokens < 0:
        raise ValueError(f"--top-tokens {args.top_tokens}: expected 0 or more")
    model, tokenizer, classes = load_classifier(args.checkpoint)
    for text, result in zip(args.texts, classify_texts(model, tokenizer, classes, args.texts)):
        probabilities = ", ".join(f"{name} {p:.2f}" for name, p in result["probabilities"].items())
        attended = sorted(result["attention"], key=lambda pair: -pair[1])[: args.top_tokens]
        print(f"{result['label']}\t{text}")
        print(f"  probabilities: {probabilities}")
        print("  leaned on: " + ", ".join(f"{token!r} {weight:.2f}" for token, weight in attended))
