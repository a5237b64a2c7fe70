"""Recommendations with a reason: "because you bought / added to cart / viewed ...".

The trained model reads a shopper's whole history and scores every item; the top K unseen items are the
recommendations. The reason comes from the last attention layer: the newest position's attention weights
over the history say which past purchases the model leaned on most for this prediction. Attention is a
hint about what the model looked at, not a proof of why it decided (Jain & Wallace 2019); we say
"because you viewed ..." in that spirit, naming the event the shopper really had with each cited item
(bench/faithfulness.py measures how much the cited items move the score).

    model, config = load_recommender("runs/shop")
    for line in format_recommendations(recommend_for_user(model, prepared, user="u00042", k=10)):
        print(line)
"""

from dataclasses import dataclass

VERBS = {"purchase": "bought", "add_to_cart": "added to cart", "view": "viewed"}  # else: "interacted with"

from minishop import backend
from minishop.recsys.runfiles import sequence_events


@dataclass
class Recommendation:
    """Top-k items for one user, with the past items that explain them."""

    user: object  # the raw user id
    history: list  # the user's item ids, oldest first
    items: list  # recommended item ids, best first
    scores: list  # their scores (dot products h . E[item])
    because: list  # [(item id, attention weight)], most attended first
    because_events: list = None  # the event of each cited item ("view", "add_to_cart", "purchase", ...)


def top_items(model, history, k=10, exclude_history=True):
    """The k best-scored items after `history` (item ids, best first) and their scores."""
    np = backend.np
    scores = backend.to_numpy(model.score([history]))[0].astype(np.float64)  # (n_items + 1,)
    scores[0] = -np.inf  # padding is never recommended
    if exclude_history and history:
        scores[np.asarray(history, dtype=np.int64)] = -np.inf  # already bought
    k = min(k, int(np.isfinite(scores).sum()))
    best = np.argsort(-scores, kind="stable")[:k]
    return best.tolist(), scores[best].tolist()


def explain(model, history, n_reasons=3):
    """The past items the last attention layer weighted most from the newest position: [(item, weight)].

    A repeated item adds up its weights. Returns at most n_reasons pairs, heaviest first.
    """
    items, weights = model.attention_to_history(history)
    total = {}
    for item, weight in zip(items, weights):
        total[item] = total.get(item, 0.0) + float(weight)
    ranked = sorted(total.items(), key=lambda pair: -pair[1])
    return ranked[:n_reasons]


def explain_by_occlusion(model, history, targets, n_reasons=3):
    """The past items whose removal lowers the scores of `targets` (the recommended items) the most:
    [(item, mean score drop)], largest first, only items with a positive drop.

        drop(j) = mean over targets r of  s(r | h) - s(r | h without item j)

    This is an intervention, not a reading of the attention: it says what the recommendation rests on
    (bench/README.md compares both). One batched forward pass of the window without each distinct item.
    """
    np = backend.np
    window = list(history)[-model.max_len:]
    distinct = list(dict.fromkeys(window))
    if len(distinct) < 2 or not targets:
        return []
    variants = [window] + [[item for item in window if item != removed] for removed in distinct]
    scores = backend.to_numpy(model.score(variants)).astype(np.float64)[:, targets]  # (1 + n, len(targets))
    drops = (scores[0] - scores[1:]).mean(axis=1)  # (n,)
    ranked = sorted(zip(distinct, drops.tolist()), key=lambda pair: -pair[1])
    return [(item, drop) for item, drop in ranked if drop > 0][:n_reasons]


CITERS = {"attention": lambda model, window, recommended, n: explain(model, window, n),
          "occlusion": lambda model, window, recommended, n: explain_by_occlusion(model, window, [recommended], n)}


def faithfulness(model, histories, n_reasons=3, seed=0, method="occlusion"):
    """Do the cited items matter? For each history: the drop in the top recommendation's score when the
    cited items (by `method`: "occlusion" or "attention") are removed from the window the model reads,
    against removing as many random other items.

        drop(S) = s(r | h) - s(r | h without the positions in S)

    Returns {"cited_drop", "random_drop"} (means over histories), "cited_larger" (share of histories where
    the cited drop is the larger) and "users" (histories with an item left to remove at random).
    """
    np = backend.np
    rng = np.random.default_rng(seed)
    cited_drops, random_drops = [], []
    for history in histories:
        window = list(history)[-model.max_len:]
        recommended = top_items(model, window, k=1)[0][0]
        cited = {item for item, _ in CITERS[method](model, window, recommended, n_reasons)}
        at_cited = [j for j, item in enumerate(window) if item in cited]
        others = [j for j, item in enumerate(window) if item not in cited]
        if not at_cited or len(others) < len(at_cited):
            continue  # nothing comparable to remove at random, or nothing would be left
        drawn = set(rng.choice(others, size=len(at_cited), replace=False).tolist())
        variants = [window, [item for item in window if item not in cited],
                    [item for j, item in enumerate(window) if j not in drawn]]
        scores = backend.to_numpy(model.score(variants)).astype(np.float64)  # (3, n_items + 1)
        cited_drops.append(scores[0, recommended] - scores[1, recommended])
        random_drops.append(scores[0, recommended] - scores[2, recommended])
    if not cited_drops:
        return {"cited_drop": float("nan"), "random_drop": float("nan"), "cited_larger": float("nan"), "users": 0}
    cited_drops, random_drops = np.asarray(cited_drops), np.asarray(random_drops)
    return {"cited_drop": float(cited_drops.mean()), "random_drop": float(random_drops.mean()),
            "cited_larger": float((cited_drops > random_drops).mean()), "users": len(cited_drops)}


def user_index(prepared, user):
    """The internal index of a raw user id (as written in the data), with a clear error if unknown."""
    raw_ids = prepared.user_ids
    pairs = raw_ids.items() if isinstance(raw_ids, dict) else enumerate(raw_ids)
    lookup = {str(raw): index for index, raw in pairs if raw is not None}  # index 0 is padding: no user
    if str(user) not in lookup:
        examples = ", ".join(list(lookup)[:5])
        raise KeyError(f"user {user!r} is not in this data set ({len(lookup)} users, e.g. {examples})")
    return lookup[str(user)]


def cited_events(history, events, because):
    """The strongest event the shopper had with each cited item (a purchase beats a cart, a cart a view)."""
    strength = {event: rank for rank, event in enumerate(("view", "add_to_cart", "purchase"))}
    best = {}
    for item, event in zip(history, events):
        if item not in best or strength.get(event, -1) > strength.get(best[item], -1):
            best[item] = event
    return [best.get(item, "interaction") for item, _ in because]


def recommend_for_user(model, prepared, user, k=10, n_reasons=3):
    """Recommend k new items to a raw user id after their WHOLE history (train, valid and test items).

    The reasons carry the shopper's event with each cited item, from prepared.events when the data was
    aligned to a run (minishop.recsys.runfiles.align), else from prepared.interactions.
    """
    index = user_index(prepared, user)
    history = list(prepared.sequences[index])
    events = getattr(prepared, "events", None) or sequence_events(prepared)
    items, scores = top_items(model, history, k)
    because = explain(model, history, n_reasons)
    return Recommendation(user=user, history=history, items=items, scores=scores, because=because,
                          because_events=cited_events(history, events[index], because))


def item_name(prepared, item):
    """The title of an item id if the data has one, else its raw id."""
    titles = getattr(prepared, "item_titles", None) or {}
    if item in titles:
        return titles[item]
    raw_ids = prepared.item_ids
    return str(raw_ids[item]) if item < len(raw_ids) else str(item)


def format_recommendations(recommendation, prepared):
    """Lines of text: the recent history, the ranked titles with scores, and the reason."""
    lines = [f"user {recommendation.user}: {len(recommendation.history)} items in their history; the last five:"]
    for item in recommendation.history[-5:]:
        lines.append(f"    {item_name(prepared, item)}")
    lines.append(f"top {len(recommendation.items)} recommendations:")
    for rank, (item, score) in enumerate(zip(recommendation.items, recommendation.scores), start=1):
        lines.append(f"  {rank:2d}. {item_name(prepared, item)}  (score {score:.2f})")
    lines.append("because you " + reason_text(recommendation, lambda item: item_name(prepared, item)))
    return lines


def reason_text(recommendation, name):
    """'viewed A (41% of attention); added to cart B (12% of attention)', each item named by name(item)."""
    events = recommendation.because_events or ["interaction"] * len(recommendation.because)
    return "; ".join(f"{VERBS.get(event, 'interacted with')} {name(item)} ({weight:.0%} of attention)"
                     for (item, weight), event in zip(recommendation.because, events))
