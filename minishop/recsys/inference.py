"""Using a trained recommender from Python, without reading its data again.

    run = minishop.load_run("runs/shop")
    run.recommend(user="U00042", k=10)          # the user's saved history
    run.recommend(history=["P0012", "P0044"])   # any history of raw item ids, oldest first
    run.score([["P0012"], ["P0044", "P0371"]])  # (B, n_items + 1) scores, column i = run.item_ids[i]

Everything goes in and out as RAW ids (as written in the data); the run folder's items.json and
users.json (minishop.recsys.runfiles) translate them. An item the model never saw is left out of a
history and listed in the answer's "unknown", never replaced by another item.
"""

import os

from minishop import backend, runs
from minishop.recsys.explain import VERBS, cited_events, explain_by_occlusion, top_items
from minishop.recsys.runfiles import USERS, read_items
from minishop.recsys.training import load_recommender


class TrainedRecommender:
    """A run folder's best model with its item and user maps: recommend() and score() on raw ids."""

    def __init__(self, folder, device=None):
        if device is not None:
            backend.set_backend(device)
        folder, checkpoint = runs.run_paths(folder)
        self.folder = folder
        self.model, self.config = load_recommender(checkpoint)
        self.item_ids, self.titles = read_items(folder)  # index -> raw id; {index: title}
        self.index = {raw: index for index, raw in enumerate(self.item_ids) if index > 0}
        self._users = None  # users.json, read on the first recommend(user=...)

    def __repr__(self):
        return f"TrainedRecommender({self.folder!r}: {len(self.item_ids) - 1} items, {self.model.config})"

    def users(self):
        """{raw user id: {"items": [index, ...], "events": [event, ...]}}: the histories saved with the run."""
        if self._users is None:
            self._users = runs.read_json(os.path.join(self.folder, USERS))
        return self._users

    def encode(self, history):
        """(indices of the known items, the unknown raw ids) of a history of raw item ids."""
        known = [self.index[str(raw)] for raw in history if str(raw) in self.index]
        return known, [raw for raw in history if str(raw) not in self.index]

    def score(self, histories):
        """Scores (B, n_items + 1) as a host array of every item after each history of raw ids (unknown
        items left out); column i scores self.item_ids[i], column 0 (padding) is -inf.

        A history with no item the model knows (empty, or all unknown) has no score: an error naming it."""
        encoded = [self.encode(history)[0] for history in histories]
        for number, (history, known) in enumerate(zip(histories, encoded)):
            if not known:
                shown = f"{list(history)[:5]!r}" if len(history) else "[] (empty)"
                raise ValueError(f"score: history {number} {shown} holds no item this model knows, so there "
                                 "is nothing to score after; drop it, or recommend() (which answers no items)")
        return backend.to_numpy(self.model.score(encoded))

    def recommend(self, history=None, user=None, k=10, n_reasons=3, events=None):
        """The k best new items after a history of raw item ids, or after a saved user's whole history.

        Returns {"items": [{"item", "title", "score"}], "reasons": [{"item", "title", "event", "verb",
        "score_drop"}], "unknown": [raw ids of the history the model does not know]}. The reasons are the
        history items whose removal lowers the recommended items' mean score the most (score_drop:
        by how much; minishop.recsys.explain.explain_by_occlusion). events: the event of each history
        item ("view", "add_to_cart", "purchase"; default: "interaction").
        """
        if (history is None) == (user is None):
            raise ValueError("recommend: give exactly one of history= (raw item ids) or user= (a raw user id)")
        if k < 1:
            raise ValueError(f"recommend: k={k}: expected at least 1")
        if user is not None:
            saved = self.users().get(str(user))
            if saved is None:
                raise KeyError(f"user {user!r} is not among the {len(self.users())} users saved with {self.folder}")
            indices, events, unknown = saved["items"], saved["events"], []
        else:
            indices, unknown = self.encode(history)
            events = [event for raw, event in zip(history, events or ["interaction"] * len(history))
                      if str(raw) in self.index]
        return self.answer(indices, events, unknown, k, n_reasons)

    def answer(self, indices, events, unknown, k, n_reasons):
        """recommend()'s answer for a history of run indices and its events (unknown: raw ids left out)."""
        items, scores = top_items(self.model, indices, k) if indices else ([], [])
        because = explain_by_occlusion(self.model, indices, items, n_reasons) if indices else []
        return {"items": [{"item": self.item_ids[i], "title": self.titles.get(i), "score": s}
                          for i, s in zip(items, scores)],
                "reasons": [{"item": self.item_ids[i], "title": self.titles.get(i), "event": event,
                             "verb": VERBS.get(event, "interacted with"), "score_drop": float(w)}
                            for (i, w), event in zip(because, cited_events(indices, events, because))],
                "unknown": unknown}


def load_run(path, device=None):
    """A trained recommender from a run folder of `minishop train` (see TrainedRecommender)."""
    return TrainedRecommender(path, device)
