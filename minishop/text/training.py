"""Training the two text tasks: the product-description LM and the review classifier.

    from minishop.text import LMTaskConfig, train_description_lm, load_text_lm, generate_text
    results = train_description_lm("runs/lm", LMTaskConfig())   # the bundled shop, a couple of minutes on a CPU
    model, tokenizer = load_text_lm("runs/lm")
    print(generate_text(model, tokenizer, "category: electronics > headphones | brand: Zenith |", top_p=0.9))

    from minishop.text import ClassifierTaskConfig, train_review_classifier, load_classifier, classify_texts
    results = train_review_classifier("runs/sentiment", ClassifierTaskConfig(target="sentiment"))
    model, tokenizer, classes = load_classifier("runs/sentiment")
    classify_texts(model, tokenizer, classes, ["The kettle broke after two days."])

Each task reads top to bottom, each step entered once: the data (minishop.text.corpus, minishop.data.labelled),
the tokenizer, the model, the training loop (minishop.train), the evaluation (minishop.eval.text_metrics),
then the run folder (minishop.runs).

The description LM: the catalog's products are split (seeded) into training and validation products; the BPE
tokenizer is learned from the training products only, and the model, a unigram LM and a bigram LM are all
scored by perplexity on the same validation tokens, so the three numbers compare directly.

The review classifier: the labelled examples are split once, seeded: 20% held out for the final test, 10% for
validation (early stopping and the best checkpoint), the rest for training. The settings left unset (the
model, the tokenizer, the number of blocks, the pooling, max_len) are first chosen from the data
(minishop.text.auto: a short contest, scored out of fold on the non-test examples, among bag-of-words itself,
a bag of word and word-pair embeddings, the mean of those two, and the transformer). The chosen model and the
bag-of-words baseline learn from the same training examples and are scored on the same test examples by the
same functions, so results.json compares like with like, and says which won (and, when the model chosen IS
bag-of-words, says so):

    {"model": {"accuracy", "macro_f1", "confusion_matrix", "kind", ...}, "bow": {...}, "data": {...},
     "auto": {"candidates", "chosen", "settings", ...}, "verdict": {"winner", "by", "difference", ...}}

On small labelled files (about a thousand sentences) a transformer trained from scratch learns its training
set by heart within a few epochs; the bag of embeddings (whole words and word pairs, fastText's model) then
does better, and word dropout (`word_dropout`) and weight averaging (`average_from`) help both (bench/README.md
has the measurements).

A run folder holds auto.json (the automatic choice, written before the final training), best.ckpt / last.ckpt /
metrics.jsonl (from minishop.train; none when bag-of-words was chosen), then tokenizer.json (in HuggingFace
`tokenizers` JSON; words.json for a word vocabulary), bow.json (the bag-of-words model, when it is used),
task.json (what is needed to rebuild the model) and results.json (from minishop.runs.write_run).
"""

import json
import os
from dataclasses import asdict, dataclass, replace

from minishop import backend, distributed, runs
from minishop.config import ModelConfig, check_ranges, setting
from minishop.data import labelled
from minishop.eval import text_metrics
from minishop.tensor import no_grad
from minishop.text import corpus
from minishop.text.bow import BagOfWordsClassifier
from minishop.text.classifier import POOLINGS, RATING_CLASSES, SENTIMENT_CLASSES, ReviewClassifier, sentiment_of_rating
from minishop.text.lm import TextLM
from minishop.tokenizers import BPETokenizer
from minishop.tokenizers.words import FORMAT as WORD_FORMAT
from minishop.tokenizers.words import WordVocab
from minishop.text import auto
from minishop.text.word_pairs import FORMAT as PAIR_FORMAT
from minishop.text.word_pairs import WordPairVocab
from minishop.train import train

np = backend.np

AUTO_FILE = "auto.json"  # the automatic choice, saved before the final training (what --resume reuses)

# ---- the description LM --------------------------------------------------------------------------------

SAMPLE_PROMPTS = ("category: electronics > headphones | brand: Zenith |",
                  "category: home > coffee makers | brand: Bramble |",
                  "category: sports > running shoes | brand: Corvid |")


@dataclass
class LMTaskConfig(ModelConfig):
    """Sizes and training settings of the description LM (defaults: a couple of minutes on a laptop CPU)."""

    d_model: int = 128
    n_blocks: int = 3
    n_heads: int = 4
    max_len: int = 160  # the longest shop document is ~130 tokens: none is cut
    dropout: float = 0.1
    shop: str = setting(None, "shop folder with products.csv (default: the bundled shop)")
    vocab_size: int = setting(1024, "BPE vocabulary size (256 bytes + merges + specials)")
    epochs: int = 12
    batch_size: int = 16
    lr: float = 3e-3
    warmup_steps: int = 30
    valid_fraction: float = 0.1
    seed: int = 0
    device: str = None
    progress: bool = True

    TRAINING = {"optimizer": "adamw", "weight_decay": 0.01, "schedule": "cosine", "monitor": "perplexity",
                "mode": "min"}  # train_config(): AdamW, warm-up then cosine, best by perplexity


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


def train_description_lm(out_dir, config=None, overwrite=False, resume=False):
    """Train the LM on the catalog of config.shop (default: the bundled shop); write the run to `out_dir`.

    config.json is written first. A folder that is not empty is refused unless overwrite; resume continues
    the run in out_dir from its last.ckpt; a run that fails before its first epoch leaves no files behind.

    Returns the results dict also saved as out_dir/results.json:
    {"model": {"perplexity", "loss"}, "unigram": {"perplexity"}, "bigram": {"perplexity", "lambda"},
     "data": {...counts...}, "samples": [{"prompt", "text"}, ...]}.
    """
    config = config or LMTaskConfig()
    if not config.norm_first:
        raise ValueError("LMTaskConfig.norm_first=False (--post-ln): the description LM is pre-LN only")
    check_ranges(config)
    runs.open_run_folder(out_dir, resume, overwrite)
    with runs.building(out_dir):
        if not resume:
            runs.write_run(out_dir, config=asdict(config))
        return _train_description_lm(out_dir, config, resume)


def _train_description_lm(out_dir, config, resume):
    items = corpus.shop_products(config.shop)
    valid_products, train_products = corpus.split_indices(len(items), [config.valid_fraction], config.seed)
    train_texts = corpus.product_documents(items.iloc[np.sort(train_products)])
    valid_texts = corpus.product_documents(items.iloc[np.sort(valid_products)])

    tokenizer = BPETokenizer.train(train_texts, config.vocab_size)
    pad_id = tokenizer.special_tokens["<pad>"]
    train_set = corpus.encode_texts(tokenizer, train_texts, config.max_len)
    valid_set = corpus.encode_texts(tokenizer, valid_texts, config.max_len)

    if config.device is not None:
        backend.set_backend(config.device)
    backend.manual_seed(config.seed)
    model = TextLM(tokenizer.vocab_size, config.d_model, config.n_blocks, config.n_heads, config.max_len,
                   config.dropout)
    run = train(model, _loss_batches(train_set.sequences, config.batch_size, pad_id),
                lambda m, ids: m.loss(ids, pad_id), config.train_config(),
                evaluate=lambda m: evaluate_lm(m, valid_set.sequences, pad_id), out_dir=out_dir, resume=resume)

    unigram = text_metrics.UnigramLM(tokenizer.vocab_size).fit(train_set.sequences)
    bigram = text_metrics.best_bigram(train_set.sequences, valid_set.sequences, tokenizer.vocab_size)
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
    runs.write_run(out_dir, tokenizer=tokenizer, results=results,
                   task={"task": "text-lm", "model": model.config, "train": asdict(config)})
    return results


def load_text_lm(path):
    """(model, tokenizer) from a run folder, or from a checkpoint file inside one (default best.ckpt)."""
    model, tokenizer, _ = runs.load_task_run(path, "text-lm", TextLM)
    return model, tokenizer


def generate_text(model, tokenizer, prompt, max_new_tokens=100, greedy=False, temperature=1.0, top_k=None,
                  top_p=None, seed=0):
    """The prompt followed by the model's continuation, as text (generation stops at <eos>)."""
    prompt_ids = [tokenizer.special_tokens["<bos>"]] + tokenizer.encode(prompt, allowed_special="none",
                                                                        disallowed_special="text")
    new_ids = model.generate(prompt_ids, max_new_tokens, greedy=greedy, temperature=temperature, top_k=top_k,
                             top_p=top_p, eos_id=tokenizer.special_tokens["<eos>"], seed=seed)
    return prompt + tokenizer.decode(new_ids)


# ---- the review classifier ----------------------------------------------------------------------------


@dataclass
class ClassifierTaskConfig(ModelConfig):
    """Data, sizes and training settings of the review classifier. The settings left at None are chosen from
    the data (minishop.text.auto): the tokenizer, the blocks and the pooling by a short contest on an inner
    validation split, max_len from the training texts' lengths; a setting given (flag, --config file, or
    argument) is used as given. bench/README.md has how the choices compare with bag-of-words."""

    n_blocks: int = setting(None, "transformer blocks; 0 = no attention, a mean of the token embeddings (default: "
                                  "chosen on an inner validation split)")
    n_heads: int = 4
    max_len: int = setting(None, "longest text read, in tokens (longer ones are cut, and counted; default: the "
                                 "longest training text, at most 256 tokens without blocks, 128 with)")
    dropout: float = 0.1
    data: str = setting(None, "labelled file: text<TAB>label lines, or CSV with a header (default: the shop's "
                              "reviews)")
    format: str = setting("tsv", "format of --data", choices=("tsv", "csv"))
    text_column: str = setting("text", "CSV column holding the text")
    label_column: str = setting("label", "CSV column holding the label")
    errors: str = setting("raise", "malformed lines of --data: raise = stop naming file and line; skip = drop and "
                                   "count them", choices=("raise", "skip"))
    encoding: str = setting("utf-8", "text encoding of --data (utf-8, latin-1, cp1252, ...)")
    shop: str = setting(None, "shop folder with reviews.jsonl, read without --data (default: the bundled shop)")
    target: str = setting("sentiment", "label of the shop's reviews (ignored with --data)",
                          choices=("sentiment", "rating"))
    classifier: str = setting(None, "'neural' (the network --n-blocks, --tokenizer and --pooling describe), 'bow' "
                                    "(TF-IDF + softmax regression) or 'neural+bow' (the mean of both's "
                                    "probabilities) (default: chosen on an inner validation split)",
                              choices=("neural", "bow", "neural+bow"))
    tokenizer: str = setting(None, "'bpe' (byte-level BPE of --vocab-size ids), 'words' (whole lower-cased words) "
                                   "or 'words+pairs' (words and neighbouring word pairs, for --n-blocks 0) "
                                   "(default: chosen on an inner validation split)",
                             choices=("bpe", "words", "words+pairs"))
    vocab_size: int = setting(1000, "BPE vocabulary size (256 bytes + merges + specials)")
    min_word_count: int = setting(1, "with --tokenizer words: keep training words seen at least this often, the "
                                     "rest become <unk>")
    word_dropout: float = setting(0.1, "share of training tokens replaced by <unk> each epoch (regularises small "
                                       "files)")
    pooling: str = setting(None, "how the tokens become one vector: 'mean', 'max', 'mean+max' (both), "
                                 "'attention' (a learned weighting) or 'cls' (the first token) (default: chosen "
                                 "on an inner validation split)", choices=POOLINGS)
    auto_seconds: float = setting(120.0, "time box of the choice of the settings left unset (model, tokenizer, "
                                         "blocks, pooling), in estimated seconds of one CPU core; each network "
                                         "trains the epochs that fit (counted from the data's size, so the same "
                                         "data always chooses the same); 0 = no contest: bag-of-words")
    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 30
    label_smoothing: float = setting(0.0, "cross-entropy label smoothing")
    patience: int = 5
    average_from: int = setting(None, "from this epoch on, validate and keep the running mean of the end-of-epoch "
                                      "weights (stochastic weight averaging; 0 = off; default: 1 without blocks, "
                                      "0 with)")
    test_fraction: float = setting(0.2, "share of the examples held out for the final test")
    valid_fraction: float = 0.1
    seed: int = 0
    device: str = None
    progress: bool = True

    TRAINING = {"optimizer": "adamw", "weight_decay": 0.01, "schedule": "cosine", "monitor": "macro_f1",
                "mode": "max"}  # train_config(): AdamW, warm-up then cosine, best by macro-F1


@dataclass
class LabelledBatch:
    """One batch: ids (B, T), padding (B, T) True at padding, labels (B,)."""

    ids: object
    padding: object
    labels: object

    def __len__(self):
        return len(self.labels)

    def shard(self, rank, world_size):
        """Rank `rank`'s rows, for data-parallel training (minishop.distributed); the loss is a mean over rows."""
        rows = distributed.shard_slice(len(self), rank, world_size)
        return LabelledBatch(self.ids[rows], self.padding[rows], self.labels[rows])


def _batches(sequences, labels, batch_size, pad_id, rng=None, word_dropout=0.0, unk_id=None):
    """Right-padded batches, shuffled by `rng` when given; with word_dropout > 0 (training only) each real
    token after <bos> is replaced by <unk> with that probability."""
    result = []
    for index in corpus.batch_indices(len(sequences), batch_size, rng):
        ids, padding = corpus.pad_right([sequences[i] for i in index], pad_id)
        if word_dropout > 0:
            ids = drop_words(ids, padding, word_dropout, unk_id, rng)
        result.append(LabelledBatch(ids, padding, labels[index]))
    return result


def drop_words(ids, padding, rate, unk_id, rng):
    """Word dropout (Iyyer et al. 2015; Dai & Le 2015): a copy of ids (B, T) where each real token except
    the first (<bos>) became `unk_id` with probability `rate`. A review then cannot be recognised by one
    rare word, and each epoch shows a slightly different version of it: on a few hundred training
    sentences, where the model otherwise memorises its training set in a few epochs, this matters."""
    dropped = (rng.random(ids.shape) < rate) & ~padding  # (B, T)
    dropped[:, 0] = False
    return np.where(dropped, unk_id, ids)


def predict_proba(model, sequences, pad_id, batch_size=128):
    """Class probabilities (N, C) as a host array, in eval mode without gradients."""
    model.eval()
    outputs = []
    with no_grad():
        for batch in _batches(sequences, np.zeros(len(sequences), dtype=np.int64), batch_size, pad_id):
            logits = backend.to_numpy(model(batch.ids, batch.padding).data).astype(np.float64)  # (B, C)
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            outputs.append(e / e.sum(axis=1, keepdims=True))
    return np.concatenate(outputs)


TOKENIZERS = ("bpe", "words", "words+pairs")


def build_tokenizer(texts, config):
    """The tokenizer config.tokenizer names, learned from the training texts only."""
    if config.tokenizer == "bpe":
        return BPETokenizer.train(texts, config.vocab_size)
    if config.tokenizer == "words":
        return WordVocab.train(texts, config.min_word_count)
    if config.tokenizer == "words+pairs":
        return WordPairVocab.train(texts, config.min_word_count)
    raise ValueError(f"ClassifierTaskConfig(tokenizer={config.tokenizer!r}): expected one of {TOKENIZERS}")


def load_tokenizer(path):
    """A BPETokenizer, WordVocab or WordPairVocab from a run's tokenizer.json or words.json (a word file says
    its format)."""
    with open(path, encoding="utf-8") as file:
        kind = json.load(file).get("format")
    return {WORD_FORMAT: WordVocab.load, PAIR_FORMAT: WordPairVocab.load}.get(kind, BPETokenizer.load)(path)


def train_review_classifier(out_dir, config=None, overwrite=False, resume=False):
    """Train on config.data (a labelled TSV/CSV file) or, without it, on the shop's reviews; see train_classifier.

    config.json is written first. A folder that is not empty is refused unless overwrite; resume continues
    the run in out_dir from its last.ckpt; a run that fails before its first epoch leaves no files behind.
    """
    config = config or ClassifierTaskConfig()
    check_ranges(config)
    check_auto_seconds(config)
    auto.candidates_for(config)  # settings that do not go together are refused before anything is read
    runs.open_run_folder(out_dir, resume, overwrite)
    with runs.building(out_dir):
        if not resume:
            runs.write_run(out_dir, config=asdict(config))
        texts, labels, classes, notes = load_labelled_texts(config)
        return train_classifier(texts, labels, classes, out_dir, config, notes, resume=resume)


def load_labelled_texts(config):
    """(texts, integer labels, class names, notes for results.json) as config.data / config.target say.

    The shop's reviews are labelled by config.target: "sentiment" (negative/neutral/positive) or
    "rating" (1-5 stars); reviews without text are counted in the notes.
    """
    if config.data is not None:
        data = labelled.load(config.data, config.format, config.text_column, config.label_column,
                             errors=config.errors, encoding=config.encoding)
        return data.texts, data.label_ids(), data.classes, {"skipped_lines": data.skipped} if data.skipped else {}
    reviews = corpus.shop_reviews(config.shop)
    if config.target == "sentiment":
        labels, classes = [sentiment_of_rating(r) for r in reviews.ratings], SENTIMENT_CLASSES
    elif config.target == "rating":
        labels, classes = [r - 1 for r in reviews.ratings], RATING_CLASSES
    else:
        raise ValueError(f"ClassifierTaskConfig.target={config.target!r}: expected 'sentiment' or 'rating'")
    return reviews.texts, labels, classes, {"reviews_without_text": reviews.without_text}


def train_classifier(texts, labels, class_names, out_dir, config=None, notes=None, progress=None, resume=False):
    """Train and compare the chosen classifier and the bag-of-words model on (texts, integer labels).

    The settings config leaves at None are chosen first (minishop.text.auto, on the non-test examples only)
    and saved as out_dir/auto.json before the final training, so that resume continues with the same choice.
    Writes out_dir/{best.ckpt, last.ckpt, metrics.jsonl, tokenizer.json or words.json (a network), bow.json
    (bag-of-words, alone or in the ensemble), auto.json, task.json, results.json} and returns the results
    dict; `notes` (a dict) is added to its "data" part. progress, when given, replaces config.progress (kept
    for the callers that pass it apart from the config). resume continues from out_dir/last.ckpt.
    """
    config = config or ClassifierTaskConfig()
    config = config if progress is None else replace(config, progress=progress)
    check_auto_seconds(config)
    labels = np.asarray(labels, dtype=np.int64)
    n_classes = len(class_names)
    parts = split_examples(len(texts), config)
    by_rule = [name for name in ("max_len", "average_from") if getattr(config, name) is None]
    config, choice = resolved_choice(texts, labels, n_classes, parts, config, out_dir, resume)

    train_texts, test_texts = [texts[i] for i in parts["train"]], [texts[i] for i in parts["test"]]
    bow = BagOfWordsClassifier(n_classes)
    bow.fit(train_texts, labels[parts["train"]], seed=config.seed)
    fitted = None
    if config.classifier != "bow":
        fitted = fit_classifier(texts, labels, n_classes, parts["train"], parts["valid"], config, out_dir, resume)
        config = fitted.config
    choice.update(by_rule=by_rule if fitted else [],
                  settings={name: getattr(config, name) for name in choice["by_contest"] + by_rule
                            if fitted or name == "classifier"})
    chosen = chosen_classifier(config.classifier, fitted, bow)
    test_labels = labels[parts["test"]]
    results = {
        "model": text_metrics.classification_report(test_labels, chosen.predict_proba(test_texts).argmax(axis=1),
                                                    class_names),
        "bow": text_metrics.classification_report(test_labels, bow.predict(test_texts), class_names),
        "data": {"examples": len(texts), **{name: len(index) for name, index in parts.items()},
                 "truncated": sum(fitted.encode([texts[i] for i in index]).truncated
                                  for index in parts.values()) if fitted else 0,
                 "max_len": config.max_len, "class_counts": np.bincount(labels, minlength=n_classes).tolist(),
                 **(notes or {})},
        "training": ({"epochs_run": fitted.run.epochs_run, "best_epoch": fitted.run.best_epoch,
                      "seconds": fitted.run.seconds} if fitted else {"epochs_run": None, "best_epoch": None}),
    }
    results["model"]["kind"] = model_kind(config)
    results["auto"] = choice
    results["verdict"] = verdict(results, chosen=config.classifier)
    if out_dir is not None and config.classifier != "neural":
        bow.save(os.path.join(out_dir, "bow.json"))
    runs.write_run(out_dir, tokenizer=fitted.tokenizer if fitted else None, results=results,
                   task={"task": "review-classifier", "classifier": config.classifier,
                         "model": fitted.model.config if fitted else None, "classes": list(class_names),
                         "train": asdict(config)})
    return results


def resolved_choice(texts, labels, n_classes, parts, config, out_dir, resume):
    """(config, record) of the automatic choice: read back from out_dir/auto.json when resuming a run that
    made it, else made now (minishop.text.auto) and saved there before any final training."""
    saved = os.path.join(out_dir, AUTO_FILE) if out_dir is not None else None
    if resume and saved and os.path.exists(saved):
        record = runs.read_json(saved)
        return replace(config, **record["chosen_settings"]), record

    def fit_predict(candidate, fit, stop, score):
        if candidate.classifier == "bow":
            model = BagOfWordsClassifier(n_classes)
            model.fit([texts[i] for i in fit], labels[fit], seed=candidate.seed)
            return model.predict_proba([texts[i] for i in score]), None
        fitted = fit_classifier(texts, labels, n_classes, fit, stop, candidate)
        return predict_proba(fitted.model, fitted.encode([texts[i] for i in score]).sequences, fitted.pad_id), fitted.run

    config, record = auto.choose(texts, labels, parts, config, fit_predict)
    if saved is not None:
        runs.write_run(out_dir, auto=record)
    return config, record


def chosen_classifier(classifier, fitted, bow):
    """What reads the texts: the network, bag-of-words, or the ensemble of both (mean probabilities)."""
    network = NetworkClassifier(fitted.model, fitted.tokenizer) if fitted else None
    return {"neural": network, "bow": bow, "neural+bow": Ensemble([network, bow]) if fitted else None}[classifier]


def check_auto_seconds(config):
    """auto_seconds must be a number of seconds, 0 or more (0: no contest, the first candidate:
    bag-of-words when no network setting is typed)."""
    if config.auto_seconds is None or config.auto_seconds < 0:
        raise ValueError(f"--auto-seconds {config.auto_seconds!r}: expected a value >= 0")


def model_kind(config):
    """How the table names the chosen model: 'bag-of-words', 'bag of embeddings', 'transformer', or one of the
    last two '+ bag-of-words' (the ensemble)."""
    if config.classifier == "bow":
        return "bag-of-words"
    network = "bag of embeddings" if config.n_blocks == 0 else "transformer"
    return network + (" + bag-of-words" if config.classifier == "neural+bow" else "")


def verdict(results, metric="macro_f1", chosen=None):
    """{"winner": "model", "bag-of-words" or "tie", "by", "model", "bow", "difference"} (and "note" when the
    model chosen IS bag-of-words): plain words for results.json and the printed table on whether the baseline won."""
    model, bow = results["model"][metric], results["bow"][metric]
    winner = "tie" if abs(model - bow) < 1e-12 else ("model" if model > bow else "bag-of-words")
    result = {"winner": winner, "by": metric, "model": model, "bow": bow, "difference": model - bow}
    return {**result, "note": auto.CHOSEN_BOW} if chosen == "bow" else result


@dataclass
class FittedClassifier:
    """A trained classifier with what is needed to use it: its tokenizer, the resolved config, the run."""

    model: object
    tokenizer: object
    config: object
    run: object

    @property
    def pad_id(self):
        return self.tokenizer.special_tokens["<pad>"]

    def encode(self, texts):
        """corpus.Encoded of texts, cut to the model's max_len."""
        return corpus.encode_texts(self.tokenizer, texts, self.config.max_len, add_eos=False)


def fit_classifier(texts, labels, n_classes, train_index, valid_index, config, out_dir=None, resume=False):
    """Learn the tokenizer from texts[train_index], then train a ReviewClassifier on those examples with early
    stopping on macro-F1 over texts[valid_index]; a FittedClassifier. config.max_len and config.average_from
    left at None follow minishop.text.auto's rules. Writes the checkpoints in out_dir if given."""
    if config.average_from is None:
        config = replace(config, average_from=auto.fitted_average_from(config.n_blocks))
    train_texts = [texts[i] for i in train_index]
    tokenizer = build_tokenizer(train_texts, config)
    if config.max_len is None:
        lengths = [len(s) for s in corpus.encode_texts(tokenizer, train_texts, 10**9, add_eos=False).sequences]
        config = replace(config, max_len=auto.fitted_max_len(lengths, config.n_blocks))
    fitted = FittedClassifier(None, tokenizer, config, None)
    train_set = fitted.encode(train_texts).sequences
    valid_set = fitted.encode([texts[i] for i in valid_index]).sequences
    pad_id, unk_id = fitted.pad_id, tokenizer.special_tokens["<unk>"]

    if config.device is not None:
        backend.set_backend(config.device)
    backend.manual_seed(config.seed)
    fitted.model = ReviewClassifier(tokenizer.vocab_size, n_classes, config.d_model, config.n_blocks, config.n_heads,
                                    config.max_len, config.dropout, config.pooling, norm_first=config.norm_first)

    def evaluate(m):
        predicted = predict_proba(m, valid_set, pad_id).argmax(axis=1)
        return {"macro_f1": text_metrics.macro_f1(labels[valid_index], predicted, n_classes),
                "accuracy": text_metrics.accuracy(labels[valid_index], predicted)}

    fitted.run = train(fitted.model,
                       lambda rng: _batches(train_set, labels[train_index], config.batch_size, pad_id, rng,
                                            config.word_dropout, unk_id),
                       lambda m, b: m.loss(b.ids, b.padding, b.labels, config.label_smoothing),
                       config.train_config(), evaluate=evaluate, out_dir=out_dir, resume=resume)
    return fitted


def split_examples(n, config):
    """{"train", "valid", "test"}: seeded index arrays of the n examples (config's fractions)."""
    test, valid, training = corpus.split_indices(n, [config.test_fraction, config.valid_fraction], config.seed)
    if min(len(test), len(valid), len(training)) == 0:
        raise ValueError(f"train_classifier: {n} examples are too few to split into train, "
                         f"validation ({config.valid_fraction}) and test ({config.test_fraction}) parts")
    return {"train": training, "valid": valid, "test": test}


def load_classifier(path):
    """(model, tokenizer, class names) from a run folder or a checkpoint file inside one. When the run chose
    bag-of-words or the ensemble, model is that (it reads raw texts) and tokenizer is None."""
    folder, _ = runs.run_paths(path)
    task = runs.read_json(os.path.join(folder, "task.json"))
    classifier = task.get("classifier", "neural")
    if classifier == "bow":
        return BagOfWordsClassifier.load(os.path.join(folder, "bow.json")), None, task["classes"]
    model, tokenizer, task = runs.load_task_run(path, "review-classifier", ReviewClassifier, load_tokenizer)
    if classifier == "neural+bow":
        bow = BagOfWordsClassifier.load(os.path.join(folder, "bow.json"))
        return Ensemble([NetworkClassifier(model, tokenizer), bow]), None, task["classes"]
    return model, tokenizer, task["classes"]


class NetworkClassifier:
    """A ReviewClassifier with its tokenizer, reading raw texts (as bag-of-words does)."""

    def __init__(self, model, tokenizer):
        self.model, self.tokenizer = model, tokenizer

    def encode(self, texts):
        return corpus.encode_texts(self.tokenizer, texts, self.model.config["max_len"], add_eos=False).sequences

    def predict_proba(self, texts):
        """Class probabilities (N, C), a host array."""
        return predict_proba(self.model, self.encode(texts), self.tokenizer.special_tokens["<pad>"])

    def explain(self, text):
        """[(token, weight)]: the share of the prediction each token carried (ReviewClassifier.token_importance)."""
        sequence = self.encode([text])[0]
        ids, padding = corpus.pad_right([sequence], self.tokenizer.special_tokens["<pad>"])
        importance = backend.to_numpy(self.model.token_importance(ids, padding))[0]
        return [(self.tokenizer.decode([token]), float(w)) for token, w in zip(sequence, importance)]


class Ensemble:
    """Several classifiers reading the same texts: the mean of their class probabilities (auto.ensemble_probabilities).
    Explained by its first part (the network)."""

    def __init__(self, parts):
        self.parts = parts

    def predict_proba(self, texts):
        return auto.ensemble_probabilities([part.predict_proba(texts) for part in self.parts])  # (N, C)

    def explain(self, text):
        return self.parts[0].explain(text)


def classify_texts(model, tokenizer, classes, texts):
    """For each text: its predicted label, the probability of every class, and each token with its share of the
    prediction (the last block's attention it received, a bag's exact push, or a word's TF-IDF push). model and
    tokenizer as load_classifier returns them (tokenizer None: the model reads raw texts)."""
    reader = NetworkClassifier(model, tokenizer) if tokenizer is not None else model
    probabilities = reader.predict_proba(texts)
    return [{"label": classes[int(probs.argmax())],
             "probabilities": {name: float(p) for name, p in zip(classes, probs)},
             "attention": reader.explain(text)} for text, probs in zip(texts, probabilities)]
