"""Settings chosen from the data: what `minishop train` uses for the sizes and lengths you leave out.

One set of numbers does not serve every shop. Amazon reviews give a user 7 items on average and an item 10
buyers; MovieLens gives a user 100 ratings and a film 70 raters; a session log gives 5 clicks. A model that
reads 50 items cuts MovieLens histories short, and 20 epochs of a 943-user file are only 160 optimizer steps.
So each setting left at None in RecommenderConfig is computed here from the training histories, before any
training, by a rule that names the quantity it follows:

    max_len     the 90th percentile of history lengths, rounded up to a multiple of 10, in [10, 200]:
                nine users in ten are read whole (SASRec used 50 for Amazon and 200 for MovieLens-1M).
    batch_size  128 histories, fewer when they are long: about 6,400 positions a batch (at least 16), so a
                step costs about the same on every data set.
    dropout     0.5 when items are rare (under 20 training interactions per item, like Amazon reviews), else
                0.2: the paper's two settings; a rarely seen item's embedding is easy to memorise.
    epochs      enough for about 4,000 optimizer steps (at least 20, at most 400); early stopping ends the
                run sooner, so this is a ceiling, not a plan.
    eval_every  validate about every 120 steps (at least 2 epochs apart, at most the epochs).
    patience    3 evaluations without improvement on 5,000 or more validation users (--valid-users counts),
                else 5: the NDCG@10 of a small validation set is noisy (standard error about 0.3 / sqrt(users)).

choose(config, split) returns the completed config and, for each setting it filled, the value and why; the
run prints them and stores them in results.json ("from_data"). A setting given on the command line, in a
--config file or in Python is never changed.
"""

import math
from dataclasses import replace

from minishop import backend

FROM_DATA = ("max_len", "batch_size", "dropout", "epochs", "eval_every", "patience")
POSITIONS_PER_BATCH = 6400
TARGET_STEPS = 4000
STEPS_PER_VALIDATION = 120
RARE_ITEMS = 20  # training interactions per item below which items count as rare


def profile(split, valid_users=None):
    """The numbers the rules read: users trained on (2+ items), items, interactions, history-length
    percentiles, and the users validated (all, or valid_users of them)."""
    np = backend.np
    lengths = np.array([len(items) for items in split.train.values() if len(items) >= 2], dtype=np.int64)
    return {
        "users": len(lengths),
        "items": split.n_items,
        "interactions": int(lengths.sum()),
        "history_p50": float(np.percentile(lengths, 50)) if len(lengths) else 0.0,
        "history_p90": float(np.percentile(lengths, 90)) if len(lengths) else 0.0,
        "valid_users": min(len(split.valid), valid_users or len(split.valid)),
    }


def rules(shape, given):
    """{setting: (value, why)} for every setting in FROM_DATA, from profile()'s numbers; a setting that is
    in `given` (not None) is used as it is by the rules after it (batch_size follows the max_len given)."""
    def pick(name, value, why):
        chosen[name] = (value, why)
        return value if given.get(name) is None else given[name]

    chosen = {}
    max_len = pick("max_len", int(min(200, max(10, 10 * math.ceil(shape["history_p90"] / 10)))),
                   f"90% of training histories have at most {shape['history_p90']:.0f} items")
    batch_size = pick("batch_size", int(min(128, max(16, POSITIONS_PER_BATCH // max_len))),
                      f"about {POSITIONS_PER_BATCH} positions a batch of {max_len}-item histories")
    steps_per_epoch = max(1, math.ceil(shape["users"] / batch_size))
    per_item = shape["interactions"] / max(shape["items"], 1)
    rare = per_item < RARE_ITEMS
    pick("dropout", 0.5 if rare else 0.2, f"{per_item:.1f} training interactions per item ({'rare' if rare else 'dense'}"
                                          f": under {RARE_ITEMS} counts as rare)")
    epochs = pick("epochs", int(min(400, max(20, math.ceil(TARGET_STEPS / steps_per_epoch)))),
                  f"about {TARGET_STEPS} steps of {steps_per_epoch} an epoch; early stopping may end sooner")
    pick("eval_every", int(min(epochs, max(2, round(STEPS_PER_VALIDATION / steps_per_epoch)))),
         f"about every {STEPS_PER_VALIDATION} steps, within the {epochs} epochs")
    pick("patience", 3 if shape["valid_users"] >= 5000 else 5, f"{shape['valid_users']} validation users")
    return chosen


def choose(config, split):
    """(config with every FROM_DATA setting that is None filled from the data, {setting: {value, why}})."""
    given = {name: getattr(config, name) for name in FROM_DATA}
    missing = [name for name in FROM_DATA if given[name] is None]
    if not missing:
        return config, {}
    chosen = {name: rule for name, rule in rules(profile(split, config.valid_users), given).items()
              if name in missing}
    filled = replace(config, **{name: value for name, (value, _) in chosen.items()})
    return filled, {name: {"value": value, "why": why} for name, (value, why) in chosen.items()}


def describe(chosen):
    """'max_len 200 (90% of ...); dropout 0.2 (...)': one line for the log."""
    return "; ".join(f"{name} {entry['value']} ({entry['why']})" for name, entry in chosen.items())
