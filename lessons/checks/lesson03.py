"""Checks of lesson 3 (tokenization). Expected values come from minishop.tokenizers.

Pieces saved for later lessons:  count_pairs(ids) -> {(a, b): count};  merge_pair(ids, pair, new_id) -> list.
"""

from minishop.tokenizers import BPETokenizer
from minishop.tokenizers.base import get_stats, merge

from . import check_equal, check_function, quiz, register

LESSON = "lesson03"
register("n_bytes", 1, ("A character is not a byte: encode each text to UTF-8 first, then count.",
                        "Add up the lengths of the encoded texts, over every text in the list."), LESSON)
register("count_pairs", 1, ("Walk over the list two neighbours at a time: (ids[0], ids[1]), (ids[1], ids[2]), ...",
                            "Every occurrence counts: a pair seen twice has count 2. A dict's .get(key, 0) helps."),
         LESSON)
register("merge_pair", 2, ("Scan left to right with an index; when the pair starts at i, emit new_id and skip BOTH ids.",
                           "Overlaps go to the left: [5, 5, 5] with the pair (5, 5) becomes [new_id, 5].",
                           "Do not forget the last id when it is not part of a pair."), LESSON)
register("quiz 03", 3, ("Sections 1 (bytes), 3 (BPE) and 6-7 (special tokens) have the answers.",), LESSON)


def check_n_bytes(n_bytes, texts):
    bytes_only = BPETokenizer(merges=[])  # vocabulary: the 256 bytes (+ the special tokens), no merges
    return check_equal("n_bytes", n_bytes, sum(len(ids) for ids in bytes_only.encode_batch(texts)))


def _same_dict(expected):
    def compare(got):
        if not isinstance(got, dict):
            return f"expected a dict, got {type(got).__name__}"
        wrong = sorted(pair for pair in set(got) | set(expected) if got.get(pair) != expected.get(pair))
        if wrong:
            pair = wrong[0]
            return (f"{len(wrong)} pairs have the wrong count; e.g. {pair}: expected {expected.get(pair, 0)}, "
                    f"got {got.get(pair, 0)}")
        return None
    return compare


def check_count_pairs(count_pairs):
    examples = [list("the theme then".encode("utf-8")), [1, 2, 3, 1, 2], [7, 7, 7, 7], [4]]
    return check_function("count_pairs", count_pairs, [((ids,), _same_dict(get_stats(ids))) for ids in examples])


def _same_list(expected):
    def compare(got):
        return None if list(got) == expected else f"expected {expected}, got {list(got)}"
    return compare


def check_merge_pair(merge_pair):
    example = list("the theme then".encode("utf-8"))
    cases = [([1, 2, 3, 1, 2], (1, 2), 4), ([5, 5, 5], (5, 5), 6), ([5, 5, 5, 5], (5, 5), 6),
             (example, (116, 104), 256), ([1, 2, 9], (2, 3), 7)]
    return check_function("merge_pair", merge_pair, [((list(ids), pair, new), _same_list(merge(ids, pair, new)))
                                                     for ids, pair, new in cases])


QUIZ = {"1": "b", "2": "a", "3": "c"}


def check_quiz(answers):
    """Questions in the lesson's quiz cell; answers are letters."""
    return quiz("quiz 03", answers, QUIZ)
