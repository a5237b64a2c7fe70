"""Checks of lesson 2 (cleaning and preprocessing). Expected values come from minishop.data's own steps.

Piece saved for later lessons:  pad_left(sequences, max_len) -> int64 array (B, max_len), left-padded with 0.
"""

from minishop import data
from minishop.data import preprocess

from . import check_equal, check_function, quiz, register

LESSON = "lesson02"
register("n_bot_rows", 1, ("Count the events of each user first; a bot is a user with MORE than 1,000.",
                           "The answer is a number of ROWS (all the events of the bots), not a number of users."),
         LESSON)
register("k_core_loop", 2, ("One pass drops rare items, then rare users. Repeat the pass.",
                            "Stop when a whole pass removed no row at all: that is the fixed point.",
                            "Keep pandas' index: filter with boolean masks, never reset the index."), LESSON)
register("pad_left", 2, ("Start from a (B, max_len) array of zeros with an integer dtype.",
                         "Keep only the LAST max_len items of a long history, and put them at the END of the row.",
                         "An empty history stays all zeros."), LESSON)
register("quiz 02", 3, ("Sections 3 (accounting), 4 (k-core) and 7 (splits) have the answers.",), LESSON)


def check_n_bot_rows(n_bot_rows, deduped):
    _, bots_report = preprocess.drop_bots(deduped, max_events=1000)
    return check_equal("n_bot_rows", n_bot_rows, bots_report.n_dropped)


def _same_rows_as_k_core(frame, k):
    expected, _ = preprocess.k_core(frame, min_user_count=k, min_item_count=k)

    def compare(kept):
        if not hasattr(kept, "index"):
            return f"expected a pandas DataFrame, got {type(kept).__name__}"
        missing, extra = len(expected.index.difference(kept.index)), len(kept.index.difference(expected.index))
        if missing or extra:
            return (f"for k={k} you keep {len(kept)} rows, minishop's k_core keeps {len(expected)} "
                    f"({extra} rows too many, {missing} missing)")
        return None
    return compare


def check_k_core_loop(k_core_loop, frame):
    cases = [((frame, k), _same_rows_as_k_core(frame, k)) for k in (20, 5)]
    return check_function("k_core_loop", k_core_loop, cases)


def check_pad_left(pad_left, histories):
    cases = [[[5, 6, 7], [8], []], [list(h) for h in histories], [list(range(1, 30))]]
    return check_function("pad_left", pad_left,
                          [((seqs, T), data.pad_left(seqs, T)) for seqs, T in zip(cases, (4, 10, 7))])


QUIZ = {"1": "c", "2": "b", "3": "a"}


def check_quiz(answers):
    """Questions in the lesson's quiz cell; answers are letters."""
    return quiz("quiz 02", answers, QUIZ)
