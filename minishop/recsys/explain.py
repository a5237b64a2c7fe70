"""Recommendations with a reason: "because you bought / added to cart / viewed ...".

The trained model reads a shopper's whole history and scores every item; the top K unseen items are the
recommendations. Two ways to say which past items they rest on:

- occlusion (explain_by_occlusion): remove each distinct history item in turn and cite the ones whose
  removal lowers the recommended items' scores the most. An intervention on the model's input: this is
  what `minishop recommend` and minishop.load_run (recsys/inference.py) cite, with the drop.
- attention (explain): the newest position's weights in the last attention layer. A hint about what the
  model looked at, not a proof of why it decided (Jain & Wallace 2019); recommend_for_user and the
  lessons use it, and lesson 12 discusses the gap between the two.

Either way the reason names the event the shopper really had with each cited item. faithfulness() checks
the citations against removing as many random items, measured on recommended items the citations were
NOT chosen on (bench/faithfulness.py prints it for both methods).

    model, config = load_recommender("runs/shop")
    for line in format_recommendations(recommend_for_user(model, prepared, user="U00042", k=10), prepared):
        print(line)
"""

from dataclasses import dataclass

from minishop import backend
from minishop.recsys.runfiles import sequence_events

VERBS = {"purchase": "bought", "add_to_cart": "added to cart", "view": "viewed"}  # else: "interacted with"


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


CITERS = {"attention": lambda model, window, targets, n: explain(model, window, n),
          "occlusion": lambda model, window, targets, n: explain_by_occlusion(model, window, targets, n)}


def faithfulness(model, histories, n_reasons=3, seed=0, method="occlusion", k=10):
    """Do the cited items matter for recommendations they were NOT chosen on? Means over histories of
    drops_per_user: "cited_drop", "random_drop", "cited_larger" (share of histories where the cited drop is
    the larger), the same three on the targets the citations were chosen on ("chosen_on_cited_drop", ...),
    and "users" (the histories measured)."""
    np = backend.np
    drops = drops_per_user(model, histories, n_reasons, seed, method, k)  # (users, 2, 2)
    if not len(drops):
        return {"cited_drop": float("nan"), "random_drop": float("nan"), "cited_larger": float("nan"), "users": 0}
    result = {"users": len(drops)}
    for prefix, (cited, random) in (("", drops[:, 0].T), ("chosen_on_", drops[:, 1].T)):
        result.update({prefix + "cited_drop": float(cited.mean()), prefix + "random_drop": float(random.mean()),
                       prefix + "cited_larger": float(np.mean(cited > random))})
    return result


def drops_per_user(model, histories, n_reasons=3, seed=0, method="occlusion", k=10):
    """Per history, the score drops when its cited items are removed together and when as many random other
    positions are: a host array (users, 2, 2) = [measured on, chosen on] x [cited removed, random removed].

    The top k recommendations after the history's last max_len items are split by rank: the odd ranks
    (1, 3, 5, ...) are the targets the citations are CHOSEN on (method: "occlusion", "attention", or a
    function (model, window, targets, n) -> [(item, weight)]), the even ranks (2, 4, ...) the targets they are
    MEASURED on:

        drop(S) = mean over the targets r of  s(r | h) - s(r | h without the positions in S)

    On the choosing targets the occlusion result is true almost by construction: occlusion cites the items
    whose single removal lowers exactly those scores most. On the held-out targets it is a real test: do the
    reasons carry over to recommended items they were not picked for, as a reason line under a whole list
    claims? A history is skipped when it has no cited item or too few other positions to draw from.
    """
    np = backend.np
    rng = np.random.default_rng(seed)
    cite = CITERS[method] if isinstance(method, str) else method
    rows = []
    for history in histories:
        window = list(history)[-model.max_len:]
        recommended = top_items(model, window, k=k)[0]
        if len(recommended) < 2:
            continue
        cited = {item for item, _ in cite(model, window, recommended[0::2], n_reasons)}
        at_cited = [j for j, item in enumerate(window) if item in cited]
        others = [j for j, item in enumerate(window) if item not in cited]
        if not at_cited or len(others) < len(at_cited):
            continue  # nothing comparable to remove at random, or nothing would be left
        drawn = set(rng.choice(others, size=len(at_cited), replace=False).tolist())
        variants = [window, [item for item in window if item not in cited],
                    [item for j, item in enumerate(window) if j not in drawn]]
        scores = backend.to_numpy(model.score(variants)).astype(np.float64)[:, recommended]  # (3, k)
        drops = scores[0] - scores[1:]  # (2, k): cited removed, random removed
        rows.append([drops[:, 1::2].mean(axis=1), drops[:, 0::2].mean(axis=1)])  # measured on, chosen on
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2, 2)


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
