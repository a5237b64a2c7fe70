"""The course's checks (lessons/checks/): the core helpers, the store of the learner's pieces, the strict
array, and for every exercise of lessons 01-06 at least one classic wrong answer that its check rejects.

Each lesson check is fed the right answer (it must pass) and the mistakes a learner really makes (each
must raise AssertionError); a blank answer must say "not attempted" and show the first hint only.
"""

import json
import linecache
import pathlib
import sys

import numpy as np
import pytest

LESSONS_DIR = pathlib.Path(__file__).resolve().parent.parent / "lessons"
sys.path.insert(0, str(LESSONS_DIR))  # the notebooks import `checks` from lessons/, and so do we
import checks  # noqa: E402
from checks import StrictArray, strict_xp  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_store(tmp_path, monkeypatch):
    """Every test gets its own empty store of learner pieces, and lenient (non-strict) checks."""
    monkeypatch.setenv("MINISHOP_LESSONS_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("MINISHOP_LESSONS_STRICT", "0")
    checks.store._PASSED.clear()
    checks.store._USED.clear()
    return tmp_path / "store"


# ------------------------------------------------------------------------------------------ core helpers


def test_a_blank_answer_prints_the_first_hint_only(capsys):
    hints = ("look at the axis", "keepdims=True matters", "the final formula")
    assert checks.check_close("scores", None, [1.0, 2.0], hints=hints, points=2) is False
    out = capsys.readouterr().out
    assert "⏳ scores: not attempted yet — hint 1/3: look at the axis" in out
    assert "keepdims" not in out and "final formula" not in out
    assert checks.scores()["scores"] == (0, 2)
    checks.hint("scores", 2)
    assert "hint 2/3: keepdims=True matters" in capsys.readouterr().out
    assert checks.check_function("double", lambda x: None, [((1.0,), 2.0)]) is False
    assert checks.check_function("double", None, [((1.0,), 2.0)]) is False


def test_a_blank_answer_raises_in_strict_mode(monkeypatch):
    monkeypatch.setenv("MINISHOP_LESSONS_STRICT", "1")
    with pytest.raises(checks.NotAttempted, match="not attempted"):
        checks.check_equal("three", None, 3)


def test_a_wrong_answer_says_what_is_wrong_and_only_the_first_hint():
    with pytest.raises(AssertionError, match=r"expected shape \(2, 3\), got shape \(3, 2\)"):
        checks.check_close("m", [[0.0] * 2] * 3, [[0.0] * 3] * 2)
    with pytest.raises(AssertionError, match=r"At index \(1, 2\) expected 5, got 7") as error:
        checks.check_close("m", [[0, 1, 2], [3, 4, 7]], [[0, 1, 2], [3, 4, 5]], hints=("first", "second"))
    assert "hint 1/2: first" in str(error.value) and "second" not in str(error.value)
    assert checks.scores()["m"] == (0, 1)
    with pytest.raises(AssertionError, match="non-finite"):
        checks.check_close("m", [1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(AssertionError, match=r"double: on test case 2 .* expected -4, got 4"):
        checks.check_function("double", lambda x: abs(2 * x), [((1.5,), 3.0), ((-2.0,), -4.0)])
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        checks.check_function("double", lambda x: 1 / 0, [((1.5,), 3.0)])
    with pytest.raises(AssertionError, match="expected more than 3"):
        checks.check_true("n", 2, lambda n: n > 3, "expected more than 3")
    with pytest.raises(AssertionError, match=r"at index \(0,\) expected 1, got 2 \(2 of 2 differ\)"):
        checks.check_equal("order", [2, 1], [1, 2])
    with pytest.raises(AssertionError, match=r"expected shape \(\), got shape \(2,\)"):
        checks.check_equal("n", np.array([3, 3]), 3)  # an array where a number was expected: no ValueError
    with pytest.raises(AssertionError, match=r"expected \{'a': 1\}, got \{'a': 2\}"):
        checks.check_equal("d", {"a": 2}, {"a": 1})


def test_a_right_answer_earns_its_points(capsys):
    assert checks.check_close("scores", [1.0, 2.0 + 1e-9], [1.0, 2.0], points=3)
    assert checks.check_equal("shape", (2, 3), (2, 3))
    assert checks.check_true("n", 5, lambda n: n > 3, "expected more than 3")
    assert checks.check_function("double", lambda x: 2 * x, [((1.5,), 3.0), ((-2.0,), -4.0)])
    out = capsys.readouterr().out
    assert out.count("Correct!") == 4 and "✅ scores: Correct! (+3 points)" in out
    assert checks.scores()["scores"] == (3, 3)


def test_the_older_argument_order_still_works(capsys):
    assert checks.check_close([1.0], [1.0], name="old_close", hint="h")
    assert checks.check_equal(3, 3, name="old_equal")
    assert checks.check_function(lambda x: x, [((1.0,), 1.0)], name="old_function")
    assert checks.check_close(None, [1.0], name="old_blank", hint="divide by sqrt(d)") is False
    assert "old_blank: not attempted yet — hint 1/1: divide by sqrt(d)" in capsys.readouterr().out


def test_quiz_names_the_wrong_questions_never_their_answers():
    correct = {"q1": "b", "q2": "sqrt(d)"}
    assert checks.quiz("quiz", {"q1": None, "q2": None}, correct, points=2) is False
    with pytest.raises(AssertionError, match="1 of 2 right") as error:
        checks.quiz("quiz", {"q1": " B ", "q2": "d"}, correct, points=2)
    assert "q2" in str(error.value) and "sqrt(d)" not in str(error.value)
    assert checks.scores()["quiz"] == (1.0, 2)
    assert checks.quiz("quiz", {"q1": "b", "q2": "SQRT(d)"}, correct, points=2)
    with pytest.raises(AssertionError, match="keys"):
        checks.quiz("quiz", {"q1": "b"}, correct)


# ------------------------------------------------------------------------------- the learner's pieces


def _scale(x):
    return 2.0 * x


def _twice_scaled(x):  # calls another notebook function: both travel to the store
    return _scale(x) * np.float64(FACTOR)


FACTOR = 2


def test_a_passing_function_is_saved_and_used_later(fresh_store, capsys):
    assert checks.use("twice", _twice_scaled) is _twice_scaled  # not passed yet: the fallback
    assert "using the library's twice (yours has not passed its check yet)" in capsys.readouterr().out
    checks.check_function("twice", _twice_scaled, [((1.5,), 6.0)])
    saved = json.loads((fresh_store / "pieces.json").read_text())
    assert "def _scale" in saved["twice"]["source"] and "FACTOR = 2" in saved["twice"]["source"]
    checks.store._PASSED.clear()  # a new kernel: only the store remains
    rebuilt = checks.use("twice", None)
    assert rebuilt is not _twice_scaled and rebuilt(np.array([1.0, 2.0])).tolist() == [4.0, 8.0]
    assert "using your twice" in capsys.readouterr().out
    assert checks.used() == {"twice": "yours"}


def test_use_prefers_the_function_that_just_passed(capsys):
    checks.check_function("scale", _scale, [((1.0,), 2.0)])
    assert checks.use("scale", None, yours=_scale) is _scale
    other = lambda x: 2 * x  # noqa: E731  (never checked)
    assert checks.use("other", len, yours=other) is len
    assert checks.used() == {"scale": "yours", "other": "library"}


def test_a_class_from_a_notebook_cell_travels_with_its_function(fresh_store):
    """An op class defined in a cell (as lesson 6's GELU): inspect cannot find a cell's class, the store can."""
    source = "class Twice:\n    def run(self, x):\n        return 2 * x\n\n\ndef twice(x):\n    return Twice().run(x)\n"
    filename = "<notebook cell 7>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    cell = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), cell)
    assert checks.check_function("twice", cell["twice"], [((3.0,), 6.0)])
    assert "class Twice" in json.loads((fresh_store / "pieces.json").read_text())["twice"]["source"]
    checks.store._PASSED.clear()  # a new kernel
    assert checks.use("twice", None)(4.0) == 8.0


def test_a_failing_function_is_not_saved(fresh_store):
    with pytest.raises(AssertionError):
        checks.check_function("scale", _scale, [((1.0,), 3.0)])
    assert not (fresh_store / "pieces.json").exists()


# --------------------------------------------------------------------------------------- strict arrays


def test_strict_array_refuses_numpy_and_works_with_strict_xp():
    x = StrictArray(np.arange(6.0).reshape(2, 3))
    for numpy_call in (np.exp, np.sum, np.asarray, lambda a: np.maximum(a, 0)):
        with pytest.raises(TypeError, match="write xp"):
            numpy_call(x)
    y = strict_xp.exp(x - x.max(axis=-1, keepdims=True))
    y = y / y.sum(axis=-1, keepdims=True)
    assert isinstance(y, StrictArray) and y.shape == (2, 3)
    expected = np.exp(np.arange(6.0).reshape(2, 3) - [[2.0], [5.0]])
    np.testing.assert_allclose(y.get(), expected / expected.sum(-1, keepdims=True))
    assert (x @ x.T).shape == (2, 2) and x.T.shape == (3, 2) and float(x[1, 2]) == 5.0
    assert checks.as_array(x).tolist() == np.arange(6.0).reshape(2, 3).tolist()


# ---------------------------------------------------------------------------------------------- lesson 05

import math  # noqa: E402

from minishop.nn.attention import MASKED_SCORE  # noqa: E402

from checks import lesson05  # noqa: E402


def _softmax(x, axis=-1):
    exp = (x - x.max(axis=axis, keepdims=True)).exp()
    return exp / exp.sum(axis=axis, keepdims=True)


def _swap(k):
    return k.transpose(tuple(range(k.ndim - 2)) + (k.ndim - 1, k.ndim - 2))


def _attention(q, k, v, mask=None, scale=None, fill=MASKED_SCORE):
    scores = q @ _swap(k) * (1.0 / math.sqrt(scale(q, k) if scale else q.shape[-1]))
    if mask is not None:
        scores = scores.masked_fill(mask, fill)
    return _softmax(scores) @ v


def _rejects(check, wrong):
    with pytest.raises(AssertionError) as error:
        check(wrong)
    assert "hint 1/" in str(error.value)
    return str(error.value)


def test_lesson05_softmax_rejects_no_shift_wrong_axis_and_numpy():
    assert lesson05.check_softmax(_softmax)
    assert "non-finite" in _rejects(lesson05.check_softmax, lambda x, axis=-1: x.exp() / x.exp().sum(axis=axis, keepdims=True))
    _rejects(lesson05.check_softmax, lambda x, axis=-1: _softmax(x, axis=0))
    numpy_only = lambda x, axis=-1: _softmax(x, axis).numpy()  # noqa: E731  (cuts the graph)
    assert "Tensor" in _rejects(lesson05.check_softmax, numpy_only)


def test_lesson05_attention_rejects_sqrt_T_a_missing_mask_and_minus_inf():
    assert lesson05.check_attention(_attention)
    assert lesson05.check_seed_attention(lambda X: _attention(X, X, X))
    _rejects(lesson05.check_attention, lambda q, k, v, mask=None: _attention(q, k, v, mask, scale=lambda q, k: q.shape[-2]))
    _rejects(lesson05.check_attention, lambda q, k, v, mask=None: _attention(q, k, v, None))
    _rejects(lesson05.check_attention, lambda q, k, v, mask=None: _attention(q, k, v, mask, fill=-np.inf))
    _rejects(lesson05.check_attention, lambda q, k, v, mask=None: _attention(q, k, v, None if mask is None else ~mask))
    _rejects(lesson05.check_seed_attention, lambda X: _attention(X, X, X, scale=lambda q, k: q.shape[-2]))


def test_lesson05_masks_reject_a_mask_that_sees_the_future_or_hides_itself():
    assert lesson05.check_causal_mask(lambda T: np.triu(np.ones((T, T), dtype=bool), k=1))
    _rejects(lesson05.check_causal_mask, lambda T: np.tril(np.ones((T, T), dtype=bool), k=-1))  # sees the future
    _rejects(lesson05.check_causal_mask, lambda T: np.triu(np.ones((T, T), dtype=bool)))  # hides the diagonal
    right = lambda lengths, T: np.arange(T)[None] < T - np.asarray(lengths)[:, None]  # noqa: E731
    assert lesson05.check_padding_mask(right)
    _rejects(lesson05.check_padding_mask, lambda lengths, T: np.arange(T)[None] >= np.asarray(lengths)[:, None])  # right padding
    _rejects(lesson05.check_padding_mask, lambda lengths, T: ~right(lengths, T))


def test_lesson05_heads_reject_a_reshape_without_transpose():
    assert lesson05.check_split_heads(lesson05.library_split_heads)
    assert lesson05.check_merge_heads(lesson05.library_merge_heads)
    _rejects(lesson05.check_split_heads, lambda x, n: x.reshape(x.shape[0], n, x.shape[1], x.shape[2] // n))
    _rejects(lesson05.check_merge_heads, lambda x: x.reshape(x.shape[0], x.shape[2], -1))
    assert lesson05.check_multi_head_attention(lesson05.library_multi_head_attention)
    no_mask = lambda x, params, n, mask=None: lesson05.library_multi_head_attention(x, params, n)  # noqa: E731
    _rejects(lesson05.check_multi_head_attention, no_mask)
    one_head = lambda x, params, n, mask=None: lesson05.library_multi_head_attention(x, params, 1, mask)  # noqa: E731
    _rejects(lesson05.check_multi_head_attention, one_head)


def test_lesson05_quiz():
    assert lesson05.check_quiz(dict(lesson05.QUIZ))
    _rejects(lesson05.check_quiz, {**lesson05.QUIZ, "2": "a"})


# ---------------------------------------------------------------------------------------------- lesson 06

import minishop  # noqa: E402

from checks import lesson06  # noqa: E402


def test_lesson06_chain_rule_rejects_a_missing_local_derivative():
    u = 0.5 * -1.5 + 0.8
    assert lesson06.check_df_db((1 - math.tanh(u) ** 2) * 0.5)
    _rejects(lesson06.check_df_db, 0.5)  # forgot tanh's derivative
    _rejects(lesson06.check_df_db, (1 - math.tanh(u)) * 0.5)  # 1 - tanh, not 1 - tanh²


def test_lesson06_softmax_backward_rejects_a_missing_term_and_the_wrong_axis():
    right = lambda y, g: y * (g - (g * y).sum(axis=-1, keepdims=True))  # noqa: E731
    assert lesson06.check_softmax_backward(right)
    _rejects(lesson06.check_softmax_backward, lambda y, g: y * g)  # the diagonal of the Jacobian only
    _rejects(lesson06.check_softmax_backward, lambda y, g: y * (g - (g * y).sum(axis=0, keepdims=True)))


def _numerical_gradient(f, x, eps=1e-6, central=True, restore=True):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = f(x)
        x[index] = saved - eps if central else saved
        minus = f(x)
        if restore:
            x[index] = saved
        grad[index] = (plus - minus) / (2 * eps if central else eps)
    return grad


def test_lesson06_numerical_gradient_rejects_one_sided_and_unrestored():
    assert lesson06.check_numerical_gradient(_numerical_gradient)
    _rejects(lesson06.check_numerical_gradient, lambda f, x, eps=1e-6: _numerical_gradient(f, x, eps, central=False))
    _rejects(lesson06.check_numerical_gradient, lambda f, x, eps=1e-6: _numerical_gradient(f, x, eps, restore=False))


def _gelu_op(backward_terms=2, exact=False):
    c, k = math.sqrt(2 / math.pi), 0.044715

    class GELU(minishop.Function):
        def forward(self, x):
            self.x, self.t = x, np.tanh(c * (x + k * x ** 3))
            if exact:  # the erf GELU: not the tanh approximation minishop uses
                return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
            return 0.5 * x * (1 + self.t)

        def backward(self, g):
            x, t = self.x, self.t
            dy = 0.5 * (1 + t)
            if backward_terms == 2:
                dy = dy + 0.5 * x * (1 - t * t) * c * (1 + 3 * k * x ** 2)
            return (g * dy,)

    return lambda x: GELU.apply(x)


def test_lesson06_gelu_op_rejects_a_half_product_rule_and_the_erf_formula():
    assert lesson06.check_gelu(_gelu_op())
    message = _rejects(lesson06.check_gelu, _gelu_op(backward_terms=1))
    assert "gradient" in message
    _rejects(lesson06.check_gelu, _gelu_op(exact=True))


def test_lesson06_quiz():
    assert lesson06.check_quiz(dict(lesson06.QUIZ))
    _rejects(lesson06.check_quiz, {**lesson06.QUIZ, "2": "b"})


# ------------------------------------------------------------------------------------------ lessons 01-02

import sqlite3  # noqa: E402

from minishop import data  # noqa: E402
from minishop.data import preprocess  # noqa: E402

from checks import lesson01, lesson02  # noqa: E402


def _ratings():
    with open(LESSONS_DIR.parent / "data" / "shop" / "reviews.jsonl", encoding="utf-8") as handle:
        return [json.loads(line)["rating"] for line in handle if line.strip()]


def test_lesson01_checks_reject_a_median_a_sample_and_unfiltered_dates(tmp_path):
    ratings = _ratings()
    assert lesson01.check_mean_rating(sum(ratings) / len(ratings))
    _rejects(lesson01.check_mean_rating, float(np.median(ratings)))
    _rejects(lesson01.check_mean_rating, sum(ratings[:100]) / 100)  # only the first lines
    db_path = str(tmp_path / "shop.db")
    data.write_shop_sqlite(db_path)
    with sqlite3.connect(db_path) as connection:
        def counts(where, what="COUNT(*)"):
            query = (f"SELECT o.status, {what} FROM order_items AS oi JOIN orders AS o USING (order_id) "
                     f"{where} GROUP BY o.status")
            return dict(connection.execute(query).fetchall())
        assert lesson01.check_status_counts(counts("WHERE datetime(o.created_at) IS NOT NULL"), db_path)
        _rejects(lambda answer: lesson01.check_status_counts(answer, db_path), counts(""))  # broken dates kept
        null_test_only = counts("WHERE o.created_at IS NOT NULL")  # "not a date" is not NULL
        _rejects(lambda answer: lesson01.check_status_counts(answer, db_path), null_test_only)
    assert lesson01.check_quiz(dict(lesson01.QUIZ))
    _rejects(lesson01.check_quiz, {**lesson01.QUIZ, "1": "a"})


@pytest.fixture(scope="module")
def cleaned():
    """The lesson's tables: deduplicated events (for the bots) and the table before the k-core."""
    shop = data.load(format="shop", errors="skip")
    frame, _ = preprocess.normalise_events(shop.interactions)
    frame, _ = preprocess.drop_missing(frame)
    deduped, _ = preprocess.deduplicate(frame)
    frame, _ = preprocess.drop_bots(deduped, max_events=1000)
    for step in (preprocess.handle_cancellations, preprocess.keep_events, preprocess.collapse_repeats):
        frame, _ = step(frame)
    return deduped, frame


def _k_core(frame, k, passes=None):
    done = 0
    while passes is None or done < passes:
        rare_item = frame["item"].map(frame["item"].value_counts()) < k
        frame = frame[~rare_item]
        rare_user = frame["user"].map(frame["user"].value_counts()) < k
        frame = frame[~rare_user]
        done += 1
        if not rare_item.any() and not rare_user.any():
            break
    return frame


def test_lesson02_checks_reject_users_for_rows_one_pass_and_right_padding(cleaned):
    deduped, frame = cleaned
    counts = deduped["user"].value_counts()
    assert lesson02.check_n_bot_rows(int(deduped["user"].isin(counts[counts > 1000].index).sum()), deduped)
    _rejects(lambda n: lesson02.check_n_bot_rows(n, deduped), int((counts > 1000).sum()))  # users, not rows
    assert lesson02.check_k_core_loop(_k_core, frame)
    assert "rows too many" in _rejects(lambda f: lesson02.check_k_core_loop(f, frame),
                                       lambda frame, k: _k_core(frame, k, passes=1))
    _rejects(lambda f: lesson02.check_k_core_loop(f, frame), lambda frame, k: _k_core(frame, k).reset_index(drop=True))

    def pad(sequences, max_len, left=True, last=True):
        out = np.zeros((len(sequences), max_len), dtype=np.int64)
        for b, items in enumerate(sequences):
            tail = list(items)[-max_len:] if last else list(items)[:max_len]
            if left:
                out[b, max_len - len(tail):] = tail
            else:
                out[b, :len(tail)] = tail
        return out
    histories = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [16]]
    assert lesson02.check_pad_left(pad, histories)
    _rejects(lambda f: lesson02.check_pad_left(f, histories), lambda s, T: pad(s, T, left=False))
    _rejects(lambda f: lesson02.check_pad_left(f, histories), lambda s, T: pad(s, T, last=False))
    assert lesson02.check_quiz(dict(lesson02.QUIZ))
    _rejects(lesson02.check_quiz, {**lesson02.QUIZ, "3": "b"})


# ---------------------------------------------------------------------------------------------- lesson 03

from checks import lesson03  # noqa: E402


def _merge_pair(ids, pair, new_id, overlap_right=False, drop_last=False):
    out, i = [], 0
    while i < len(ids) - (1 if drop_last else 0):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 1 if overlap_right else 2
        else:
            out.append(ids[i])
            i += 1
    return out


def test_lesson03_checks_reject_characters_unique_pairs_and_overlaps():
    texts = ["plain ascii", "Café crème, 20 € ☕"]
    assert lesson03.check_n_bytes(sum(len(t.encode("utf-8")) for t in texts), texts)
    _rejects(lambda n: lesson03.check_n_bytes(n, texts), sum(len(t) for t in texts))  # characters, not bytes

    def count_pairs(ids):
        counts = {}
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        return counts
    assert lesson03.check_count_pairs(count_pairs)
    _rejects(lesson03.check_count_pairs, lambda ids: {pair: 1 for pair in zip(ids, ids[1:])})  # a set, not counts
    _rejects(lesson03.check_count_pairs, lambda ids: count_pairs(ids[:-1]))  # misses the last pair
    assert lesson03.check_merge_pair(_merge_pair)
    _rejects(lesson03.check_merge_pair, lambda ids, pair, new: _merge_pair(ids, pair, new, overlap_right=True))
    _rejects(lesson03.check_merge_pair, lambda ids, pair, new: _merge_pair(ids, pair, new, drop_last=True))
    assert lesson03.check_quiz(dict(lesson03.QUIZ))
    _rejects(lesson03.check_quiz, {**lesson03.QUIZ, "3": "a"})


# ---------------------------------------------------------------------------------------------- lesson 04

from checks import lesson04  # noqa: E402


def test_lesson04_checks_reject_assignment_for_accumulation_and_squared_norms():
    def one_hot(ids, V):
        out = np.zeros((len(ids), V))
        out[np.arange(len(ids)), ids] = 1.0
        return out
    assert lesson04.check_one_hot(one_hot)
    _rejects(lesson04.check_one_hot, lambda ids, V: one_hot(ids, V).T)  # (V, N)
    _rejects(lesson04.check_one_hot, lambda ids, V: one_hot(np.asarray(ids) - 1, V))  # off by one

    def backward(ids, G, V):
        grad = np.zeros((V, G.shape[1]))
        np.add.at(grad, ids, G)
        return grad

    def assigned(ids, G, V):  # the classic bug: grad[ids] = G keeps one of the repeated rows
        grad = np.zeros((V, G.shape[1]))
        grad[ids] = G
        return grad

    def plus_equals(ids, G, V):  # grad[ids] += G does not add repetitions either
        grad = np.zeros((V, G.shape[1]))
        grad[ids] += G
        return grad
    assert lesson04.check_embedding_backward(backward)
    _rejects(lesson04.check_embedding_backward, assigned)
    _rejects(lesson04.check_embedding_backward, plus_equals)
    assert lesson04.check_cosine(lesson04.library_cosine)
    _rejects(lesson04.check_cosine, lambda a, b: float(np.dot(a, b) / (np.dot(a, a) * np.dot(b, b))))  # squared norms
    _rejects(lesson04.check_cosine, lambda a, b: float(np.dot(a, b) / np.linalg.norm(a)))  # one norm only
    assert lesson04.check_quiz(dict(lesson04.QUIZ))
    _rejects(lesson04.check_quiz, {**lesson04.QUIZ, "2": "a"})


# ------------------------------------------------------------------------------ every check has a wrong answer


@pytest.mark.parametrize("module", [lesson01, lesson02, lesson03, lesson04, lesson05, lesson06],
                         ids=lambda m: m.__name__.split(".")[-1])
def test_every_check_of_lessons_01_to_06_is_fed_a_wrong_answer_here(module):
    """Each check_* function of the lesson's module appears in a `_rejects(...)` line of this file."""
    lines = [line for line in pathlib.Path(__file__).read_text(encoding="utf-8").splitlines() if "_rejects(" in line]
    short = module.__name__.split(".")[-1]
    checks_of_lesson = [name for name, value in vars(module).items()
                        if name.startswith("check_") and getattr(value, "__module__", None) == module.__name__]
    missing = [name for name in checks_of_lesson if not any(f"{short}.{name}" in line for line in lines)]
    assert checks_of_lesson and not missing, f"{short}: no wrong-answer test for {missing}"
