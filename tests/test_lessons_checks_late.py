"""The checks of lessons 07-13 accept a right answer and reject the classic wrong ones.

Each exercise's check (lessons/checks/lessonNN.py) gets a correct answer, which must pass, and at least
one mistake learners really make (Adam without bias correction, unbiased variance in LayerNorm, a causal
mask that lets a position see the future, ties counted optimistically, an off-by-one in NDCG's log, ...),
which must be rejected with an AssertionError that says what is wrong. A blank answer must say
"not attempted". The store of the learner's pieces goes to a temporary folder.
"""

import hashlib
import math
import pathlib
import sys

import numpy as np
import pytest

import minishop
import minishop.functional as F
from minishop import Tensor
from minishop.nn.attention import attention_mask
from minishop.recsys import make_batch

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `lessons` is a package at the repository's root
    sys.path.insert(0, str(REPO_ROOT))

from lessons import checks  # noqa: E402
from lessons.checks import lesson05, lesson07, lesson08, lesson09, lesson10, lesson11, lesson12, lesson13  # noqa: E402


@pytest.fixture(autouse=True)
def _private_store(tmp_path, monkeypatch):
    monkeypatch.setenv("MINISHOP_LESSONS_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("MINISHOP_LESSONS_STRICT", "0")


def _rejects(check, answer, *args, match=None):
    with pytest.raises(AssertionError, match=match):
        check(answer, *args)


# ------------------------------------------------------------------------------------------- lesson 7


def momentum_step(w, g, velocity, lr, beta):
    velocity = beta * velocity + g
    return w - lr * velocity, velocity


def adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def test_lesson07_checks_accept_right_answers(capsys):
    def schedule(step):
        if step < 10:
            return 1e-3 * (step + 1) / 10
        return 1e-3 * (1 + math.cos(math.pi * min((step - 10) / 90, 1))) / 2

    def running_mean(weights):
        means, mean = [], np.zeros(weights.shape[1])
        for n, w in enumerate(weights, start=1):
            mean = mean + (w - mean) / n
            means.append(mean)
        return np.array(means)

    assert lesson07.check_momentum_step(momentum_step)
    assert lesson07.check_adam_step(adam_step)
    assert lesson07.check_warmup_cosine(schedule)
    assert lesson07.check_running_mean(running_mean)
    assert capsys.readouterr().out.count("Correct!") == 4


def test_lesson07_checks_reject_classic_mistakes():
    def momentum_as_mean(w, g, velocity, lr, beta):  # EMA velocity: (1 - beta) g
        velocity = beta * velocity + (1 - beta) * g
        return w - lr * velocity, velocity

    def adam_without_bias_correction(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * m / (np.sqrt(v) + eps), m, v

    def adam_returning_corrected_moments(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        m = (beta1 * m + (1 - beta1) * g) / (1 - beta1**t)
        v = (beta2 * v + (1 - beta2) * g * g) / (1 - beta2**t)
        return w - lr * m / (np.sqrt(v) + eps), m, v

    def warmup_off_by_one(step):  # step 0 gets learning rate 0
        if step < 10:
            return 1e-3 * step / 10
        return 1e-3 * (1 + math.cos(math.pi * min((step - 10) / 90, 1))) / 2

    def running_mean_off_by_one(weights):
        means, mean = [], np.zeros(weights.shape[1])
        for n, w in enumerate(weights, start=1):
            mean = mean + (w - mean) / (n + 1)
            means.append(mean)
        return np.array(means)

    _rejects(lesson07.check_momentum_step, momentum_as_mean)
    _rejects(lesson07.check_adam_step, adam_without_bias_correction)
    _rejects(lesson07.check_adam_step, adam_returning_corrected_moments)
    _rejects(lesson07.check_warmup_cosine, warmup_off_by_one)
    _rejects(lesson07.check_running_mean, running_mean_off_by_one)


def test_library_adam_step_is_adam():
    rng = np.random.default_rng(0)
    w, m, v, g = (rng.standard_normal(5) for _ in range(4))
    v = v**2
    for t in (1, 7):
        ours = adam_step(w, g, m, v, t, 0.01)
        theirs = lesson07.library_adam_step(w, g, m, v, t, 0.01)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_a_blank_answer_is_not_attempted(capsys):
    assert lesson07.check_adam_step(lambda *args: None) is False
    assert "adam_step: not attempted yet — hint 1/3" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------- lesson 8


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / (var + eps) ** 0.5 * gamma + beta


self_attention = lesson08.make_self_attention(lesson05.library_multi_head_attention)


def pre_ln_block(x, block, padding):
    x = x + self_attention(layer_norm(x, block.norm1.weight, block.norm1.bias), block.attention, padding)
    return x + block.feed_forward(layer_norm(x, block.norm2.weight, block.norm2.bias))


def _sasrec_scores(model, items, block=pre_ln_block, scale=True, from_right=True):
    B, T = items.shape
    padding = items == 0
    positions = np.arange(model.max_len - T, model.max_len) if from_right else np.arange(T)
    x = model.item_embedding(items) * (math.sqrt(model.d_model) if scale else 1.0)
    x = x + model.position_embedding(positions)
    for each in model.blocks:
        x = block(x, each, padding)
    hidden = layer_norm(x, model.final_norm.weight, model.final_norm.bias)
    return hidden @ model.item_embedding.weight.transpose()


def sasrec_scores(model, items):
    return _sasrec_scores(model, items)


def post_ln_block(x, block):
    def ln(z, norm):
        return layer_norm(z, norm.weight.numpy(), norm.bias.numpy(), norm.eps)

    x = ln(x + block.attention(Tensor(x)).numpy(), block.norm1)
    return ln(x + block.feed_forward(Tensor(x)).numpy(), block.norm2)


def inputs_and_targets(history, T):
    window = list(history)[-(T + 1):]
    sequence = np.array([0] * (T + 1 - len(window)) + window)
    items, targets = sequence[:-1], sequence[1:]
    return np.stack([items, np.where(items == 0, 0, targets)])


def softmax_cross_entropy(logits, columns):
    m = logits.max(axis=1, keepdims=True)
    log_z = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return np.mean(log_z - logits[np.arange(len(columns)), columns])


def train_loop(model, score_fn, step_fn, histories, epochs, lr, batch_size=128, seed=0, clear_grads=True):
    rng = np.random.default_rng(seed)
    parameters = model.parameters()
    m = [np.zeros_like(p.data) for p in parameters]
    v = [np.zeros_like(p.data) for p in parameters]
    t, losses = 0, []
    for _ in range(epochs):
        order = rng.permutation(len(histories))
        for start in range(0, len(histories), batch_size):
            batch = make_batch([histories[i] for i in order[start:start + batch_size]], model.n_items,
                               model.max_len, "ce", rng)
            scores = score_fn(model, batch.items)
            flat = scores.reshape(-1, scores.shape[-1])[batch.positions]
            loss = F.cross_entropy(flat, batch.targets.reshape(-1)[batch.positions])
            if clear_grads:
                for p in parameters:
                    p.grad = None
            loss.backward()
            t += 1
            for i, p in enumerate(parameters):
                p.data, m[i], v[i] = step_fn(p.data, p.grad, m[i], v[i], t, lr)
            losses.append(loss.item())
    return losses


def test_lesson08_checks_accept_right_answers(capsys):
    assert lesson08.check_layer_norm(layer_norm)
    assert lesson08.check_post_ln_block(post_ln_block)
    assert lesson08.check_inputs_and_targets(inputs_and_targets)
    assert lesson08.check_pre_ln_block(pre_ln_block)
    assert lesson08.check_sasrec_scores(sasrec_scores)
    assert lesson08.check_softmax_cross_entropy(softmax_cross_entropy)
    assert lesson08.check_initial_ce(math.log(368), math.log(368) + 0.01)
    assert lesson08.check_train_loop(train_loop)
    assert capsys.readouterr().out.count("Correct!") == 8


def test_lesson08_checks_reject_classic_mistakes():
    def layer_norm_unbiased(x, gamma, beta, eps=1e-5):  # divides by D - 1
        mu = x.mean(axis=-1, keepdims=True)
        d = x.shape[-1]
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True) * (d / (d - 1))
        return (x - mu) / (var + eps) ** 0.5 * gamma + beta

    def layer_norm_numpy_only(x, gamma, beta, eps=1e-5):  # np.sqrt: fine on arrays, fails on Tensors
        mu = x.mean(axis=-1, keepdims=True)
        return (x - mu) / np.sqrt(((x - mu) ** 2).mean(axis=-1, keepdims=True) + eps) * gamma + beta

    def pre_ln_as_post_ln(x, block):
        return pre_ln_block(Tensor(x), block, np.zeros(x.shape[:2], dtype=bool)).numpy()

    def targets_not_cleared(history, T):
        window = list(history)[-(T + 1):]
        sequence = np.array([0] * (T + 1 - len(window)) + window)
        return np.stack([sequence[:-1], sequence[1:]])

    def sees_the_future(x, block, padding):  # padding mask only: no causal mask
        def attend(h, mha, pad):
            B, T, D = h.shape
            q, k, v = mha.q_proj(h), mha.k_proj(h), mha.v_proj(h)
            split = lambda t: t.reshape(B, T, mha.n_heads, D // mha.n_heads).transpose(0, 2, 1, 3)  # noqa: E731
            out = lesson05.library_attention(split(q), split(k), split(v),
                                             attention_mask(T, T, causal=False, key_padding_mask=pad))
            return mha.out_proj(out.transpose(0, 2, 1, 3).reshape(B, T, D))

        x = x + attend(layer_norm(x, block.norm1.weight, block.norm1.bias), block.attention, padding)
        return x + block.feed_forward(layer_norm(x, block.norm2.weight, block.norm2.bias))

    def softmax_ce_without_max_shift(logits, columns):
        log_z = np.log(np.exp(logits).sum(axis=1))
        return np.mean(log_z - logits[np.arange(len(columns)), columns])

    _rejects(lesson08.check_layer_norm, layer_norm_unbiased)
    _rejects(lesson08.check_layer_norm, layer_norm_numpy_only, match="Tensors")
    _rejects(lesson08.check_post_ln_block, pre_ln_as_post_ln)
    _rejects(lesson08.check_inputs_and_targets, targets_not_cleared)
    _rejects(lesson08.check_pre_ln_block, sees_the_future)
    _rejects(lesson08.check_sasrec_scores, lambda model, items: _sasrec_scores(model, items, scale=False))
    _rejects(lesson08.check_sasrec_scores, lambda model, items: _sasrec_scores(model, items, from_right=False))
    _rejects(lesson08.check_sasrec_scores, lambda model, items: _sasrec_scores(model, items, block=sees_the_future))
    with pytest.warns(RuntimeWarning):  # exp(1000) overflows
        _rejects(lesson08.check_softmax_cross_entropy, softmax_ce_without_max_shift)
    _rejects(lesson08.check_initial_ce, math.log2(368), math.log(368))
    _rejects(lesson08.check_train_loop, lambda *args: train_loop(*args, clear_grads=False))


def test_a_passing_piece_is_saved_and_used(capsys):
    assert lesson08.check_layer_norm(layer_norm)
    chosen = checks.use("layer_norm", lesson08.library_layer_norm)
    assert "using your layer_norm" in capsys.readouterr().out
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(chosen(x, np.ones(4), np.zeros(4)), layer_norm(x, np.ones(4), np.zeros(4)))


# ------------------------------------------------------------------------------------------- lesson 9


def metrics_at_k(ranks, k, log_offset=1, cut=True):
    ranks = np.asarray(ranks, dtype=float)
    hit = ranks <= k if cut else np.ones(len(ranks), dtype=bool)
    return np.array([hit.mean(), np.where(hit, 1 / np.log2(ranks + log_offset), 0).mean(),
                     np.where(hit, 1 / ranks, 0).mean()])


def pessimistic_ranks(scores, targets, candidates, ties_count=True):
    target_scores = scores[np.arange(len(targets)), targets]
    beats = scores >= target_scores[:, None] if ties_count else scores > target_scores[:, None]
    return 1 + (beats & candidates).sum(axis=1)


def _shop_train(n_users=60, n_items=25, seed=9):
    rng = np.random.default_rng(seed)
    return {u: list(rng.integers(1, n_items + 1, size=rng.integers(3, 9))) for u in range(n_users)}, n_items


def transitions_from(a, train, n_items=25, direct=True):
    counts = np.zeros(n_items + 1, dtype=np.int64)
    for items in train.values():
        for i, previous in enumerate(items[:-1]):
            if previous == a:
                for following in (items[i + 1:i + 2] if direct else items[i + 1:]):
                    counts[following] += 1
    return counts


def test_lesson09_checks_accept_right_answers(capsys):
    train, n_items = _shop_train()
    assert lesson09.check_metrics_at_k(metrics_at_k)
    assert lesson09.check_pessimistic_ranks(pessimistic_ranks)
    assert lesson09.check_transitions_from(transitions_from, train, n_items)
    assert lesson09.check_expected_sampled_rank(lambda r, n, m=100: 1 + m * (r - 1) / n)
    assert lesson09.check_quiz({1: "c", 2: "b", 3: "a", 4: "b"})
    assert capsys.readouterr().out.count("Correct!") == 5


def test_lesson09_checks_reject_classic_mistakes():
    train, n_items = _shop_train()
    with np.errstate(divide="ignore"):  # log2(r): a hit at rank 1 is worth 1/0
        _rejects(lesson09.check_metrics_at_k, lambda r, k: metrics_at_k(r, k, log_offset=0))
    _rejects(lesson09.check_metrics_at_k, lambda r, k: metrics_at_k(r, k, cut=False))  # no cut-off at k
    _rejects(lesson09.check_pessimistic_ranks, lambda *args: pessimistic_ranks(*args, ties_count=False))
    _rejects(lesson09.check_transitions_from, lambda a, t: transitions_from(a, t, direct=False), train, n_items)
    _rejects(lesson09.check_expected_sampled_rank, lambda r, n, m=100: 1 + m * r / n)  # r instead of r - 1
    _rejects(lesson09.check_expected_sampled_rank, lambda r, n, m=100: m * (r - 1) / n)  # forgets the 1
    _rejects(lesson09.check_quiz, {1: "a", 2: "b", 3: "a", 4: "b"})  # the optimistic constant scorer


# ------------------------------------------------------------------------------------------ lesson 13


def recommend_scores(model, histories, left=True, newest=True, hide_padding=True):
    kept = [list(h)[-model.max_len:] for h in histories]
    T = max(len(h) for h in kept)
    items = np.zeros((len(kept), T), dtype=np.int64)
    for row, h in enumerate(kept):
        if left:
            items[row, T - len(h):] = h
        else:
            items[row, :len(h)] = h
    with minishop.no_grad():
        scores = minishop.to_numpy(sasrec_scores(model, items))[:, -1 if newest else 0, :]
    if hide_padding:
        scores[:, 0] = -np.inf
    return scores


def full_ranking_metrics(scores, histories, targets, k=10, exclude_history=True):
    candidates = np.ones(scores.shape, dtype=bool)
    candidates[:, 0] = False
    if exclude_history:
        for row, h in enumerate(histories):
            candidates[row, list(h)] = False
    candidates[np.arange(len(targets)), targets] = False
    return metrics_at_k(pessimistic_ranks(scores, targets, candidates), k)


@pytest.fixture(scope="module")
def shop_split():
    from minishop.data import prepare

    prepared = prepare()
    return prepared.split, prepared.n_items


def _results(mine, markov):
    return {"yours": {"full": {"NDCG@10": mine}}, "markov": {"full": {"NDCG@10": markov}}}


def test_lesson13_checks_accept_right_answers(capsys, shop_split):
    split, n_items = shop_split
    with np.errstate(invalid="ignore"):  # -inf - -inf in column 0 when comparing
        assert lesson13.check_recommend_scores(recommend_scores)
    assert lesson13.check_full_ranking_metrics(full_ranking_metrics, split, n_items)
    assert lesson13.check_beats_markov(_results(0.51, 0.44), {"layer_norm": "yours"})
    assert lesson13.check_quiz({1: "b", 2: "c", 3: "a"})
    assert capsys.readouterr().out.count("Correct!") == 4


def test_lesson13_checks_reject_classic_mistakes(shop_split):
    split, n_items = shop_split
    with np.errstate(invalid="ignore"):
        _rejects(lesson13.check_recommend_scores, lambda m, h: recommend_scores(m, h, left=False))  # right padding
        _rejects(lesson13.check_recommend_scores, lambda m, h: recommend_scores(m, h, newest=False))
        _rejects(lesson13.check_recommend_scores, lambda m, h: recommend_scores(m, h, hide_padding=False))
    _rejects(lesson13.check_full_ranking_metrics, lambda *a: full_ranking_metrics(*a, exclude_history=False),
             split, n_items)
    _rejects(lesson13.check_beats_markov, _results(0.40, 0.44), {"layer_norm": "yours"}, match="not above")


def test_the_capstone_verdict_waits_while_no_piece_is_yours(capsys):
    assert lesson13.check_beats_markov(_results(0.51, 0.44), {"layer_norm": "library"}) is False
    assert "beats_markov: not attempted yet" in capsys.readouterr().out


def test_library_full_ranking_metrics_match_the_evaluator(shop_split):
    from minishop.eval import MarkovRecommender, evaluate, protocols

    split, n_items = shop_split
    markov = MarkovRecommender().fit(split.train, n_items)
    _, histories, targets = protocols.evaluation_cases(split, "test")
    ours = lesson13.library_full_ranking_metrics(markov.score(histories), histories, targets)
    theirs = evaluate(markov, split, stage="test", ks=(10,), progress=False)
    np.testing.assert_allclose(ours, [theirs["HR@10"], theirs["NDCG@10"], theirs["MRR@10"]])


# ------------------------------------------------------------------------------------------ lesson 10


def with_temperature(logits, T, shift=True, divide=True):
    z = np.asarray(logits, dtype=np.float64)
    z = z / T if divide else z * T
    e = np.exp(z - z.max()) if shift else np.exp(z)
    return e / e.sum()


def nucleus(probs, p, keep_crossing=True, renormalise=True):
    order = np.argsort(-probs, kind="stable")
    n_keep = int(np.searchsorted(np.cumsum(probs[order]), p)) + (1 if keep_crossing else 0)
    kept = np.zeros_like(probs)
    kept[order[:max(n_keep, 1)]] = probs[order[:max(n_keep, 1)]]
    return kept / kept.sum() if renormalise else kept


def macro_f1(confusion, weighted=False):
    f1 = 2 * np.diag(confusion) / (confusion.sum(axis=1) + confusion.sum(axis=0))
    support = confusion.sum(axis=1)
    return (f1 * support).sum() / support.sum() if weighted else f1.mean()


def test_lesson10_checks_accept_right_answers(capsys):
    logits = np.random.default_rng(0).standard_normal(50) * 2.5
    assert lesson10.check_with_temperature(with_temperature, logits)
    assert lesson10.check_nucleus(nucleus, logits)
    assert lesson10.check_macro_f1(macro_f1)
    assert lesson10.check_quiz({1: "b", 2: "a", 3: "c", 4: "b"})
    assert capsys.readouterr().out.count("Correct!") == 4


def test_lesson10_checks_reject_classic_mistakes():
    logits = np.random.default_rng(0).standard_normal(50) * 2.5
    with np.errstate(over="ignore", invalid="ignore"):  # exp(800) overflows: the mistake under test
        _rejects(lesson10.check_with_temperature, lambda z, T: with_temperature(z, T, shift=False), logits)
    _rejects(lesson10.check_with_temperature, lambda z, T: with_temperature(z, T, divide=False), logits)
    _rejects(lesson10.check_nucleus, lambda q, p: nucleus(q, p, keep_crossing=False), logits)
    _rejects(lesson10.check_nucleus, lambda q, p: nucleus(q, p, renormalise=False), logits)
    _rejects(lesson10.check_macro_f1, lambda m: np.trace(m) / m.sum())  # accuracy (micro-F1)
    _rejects(lesson10.check_macro_f1, lambda m: macro_f1(m, weighted=True))  # weighted by support


# ------------------------------------------------------------------------------------------ lesson 11


def cosine_similarity(A, B):
    xp = minishop.backend.get_array_module(A)
    A_unit = A / xp.sqrt((A * A).sum(axis=1, keepdims=True))
    B_unit = B / xp.sqrt((B * B).sum(axis=1, keepdims=True))
    return A_unit @ B_unit.T


def test_lesson11_checks_accept_right_answers(capsys):
    def with_linalg(A, B):
        xp = minishop.backend.get_array_module(A)
        return (A / xp.linalg.norm(A, axis=1, keepdims=True)) @ (B / xp.linalg.norm(B, axis=1, keepdims=True)).T

    assert lesson11.check_cosine_similarity(cosine_similarity)
    assert lesson11.check_cosine_similarity(with_linalg)
    assert lesson11.check_megabytes(128 * 50 * 23_716 * 4 / 1e6)
    assert lesson11.check_milliseconds(128 * 50 * 23_716 * 4 / 25e9 * 1e3)
    assert lesson11.check_attention_score_flops(lambda B, H, T, d: 2 * B * H * T * T * d)
    assert lesson11.check_quiz({1: "b", 2: "c", 3: "a"})
    assert capsys.readouterr().out.count("Correct!") == 6


def test_lesson11_checks_reject_classic_mistakes():
    def numpy_on_the_device(A, B):  # np. where xp. belongs: works on a CPU, fails on CuPy
        A_unit = A / np.linalg.norm(A, axis=1, keepdims=True)
        B_unit = B / np.linalg.norm(B, axis=1, keepdims=True)
        return A_unit @ B_unit.T

    def back_to_the_host(A, B):  # the right numbers, but copied off the device inside the function
        return np.asarray(cosine_similarity(A, B).get())

    _rejects(lesson11.check_cosine_similarity, numpy_on_the_device, match="xp")
    _rejects(lesson11.check_cosine_similarity, back_to_the_host, match="left the device")
    _rejects(lesson11.check_cosine_similarity, lambda A, B: A @ B.T)  # forgets to normalise
    _rejects(lesson11.check_megabytes, 128 * 50 * 23_716 * 4 / 2**20)  # MiB instead of MB
    _rejects(lesson11.check_megabytes, 128 * 50 * 23_716 * 8 / 1e6)  # float64
    _rejects(lesson11.check_milliseconds, 128 * 50 * 23_716 * 4 / 25e9)  # seconds, not milliseconds
    _rejects(lesson11.check_attention_score_flops, lambda B, H, T, d: B * H * T * T * d)  # multiply-adds, not FLOPs
    _rejects(lesson11.check_attention_score_flops, lambda B, H, T, d: 2 * B * H * T * d * d)  # d² instead of T²


def test_strict_arrays_restore_the_backend():
    original = minishop.backend.get_array_module
    with lesson11.strict_arrays():
        assert minishop.backend.get_array_module(checks.StrictArray(np.ones(2))) is lesson11.STRICT_XP
    assert minishop.backend.get_array_module is original


# ------------------------------------------------------------------------------------------ lesson 12


def test_lesson12_checks_accept_right_answers(capsys):
    def pseudonym(raw_id, salt):
        return hashlib.sha256((salt + raw_id).encode("utf-8")).hexdigest()[:16]

    lists = np.array([[1, 2, 3], [3, 4, 5], [5, 6, 1]])
    assert lesson12.check_pseudonym(pseudonym, "a-secret-salt")
    assert lesson12.check_coverage(len(np.unique(lists)) / 40, lists, 40)
    assert lesson12.check_penalised(lambda s, n, lam: s - lam * np.log1p(n))
    assert lesson12.check_quiz({1: "b", 2: "a", 3: "c", 4: "b"})
    assert capsys.readouterr().out.count("Correct!") == 4


def test_lesson12_checks_reject_classic_mistakes():
    def unsalted(raw_id, salt):
        return hashlib.sha256(raw_id.encode("utf-8")).hexdigest()[:16]

    def salt_after(raw_id, salt):
        return hashlib.sha256((raw_id + salt).encode("utf-8")).hexdigest()[:16]

    lists = np.array([[1, 2, 3], [3, 4, 5], [5, 6, 1]])
    _rejects(lesson12.check_pseudonym, unsalted, "a-secret-salt")
    _rejects(lesson12.check_pseudonym, salt_after, "a-secret-salt")
    _rejects(lesson12.check_coverage, lists.size / 40, lists, 40)  # counts repeated items
    _rejects(lesson12.check_coverage, len(np.unique(lists)) / lists.size, lists, 40)  # divides by the slots
    with np.errstate(divide="ignore"):  # log(0) for an item never bought
        _rejects(lesson12.check_penalised, lambda s, n, lam: s - lam * np.log(n))
    _rejects(lesson12.check_penalised, lambda s, n, lam: s + lam * np.log1p(n))  # a bonus, not a penalty


# ------------------------------------------------------------------------------------------ the quizzes


@pytest.mark.parametrize("check, right", [
    (lesson07.check_quiz, {1: "a", 2: "b", 3: "b", 4: "b"}),
    (lesson08.check_quiz, {1: "b", 2: "a", 3: "b", 4: "b"}),
    (lesson09.check_quiz, {1: "c", 2: "b", 3: "a", 4: "b"}),
    (lesson10.check_quiz, {1: "b", 2: "a", 3: "c", 4: "b"}),
    (lesson11.check_quiz, {1: "b", 2: "c", 3: "a"}),
    (lesson12.check_quiz, {1: "b", 2: "a", 3: "c", 4: "b"}),
    (lesson13.check_quiz, {1: "b", 2: "c", 3: "a"}),
], ids=["07", "08", "09", "10", "11", "12", "13"])
def test_each_quiz_accepts_its_answers_and_rejects_one_wrong_choice(check, right, capsys):
    assert check(dict(right))
    wrong = dict(right)
    wrong[1] = "a" if right[1] != "a" else "c"
    with pytest.raises(AssertionError, match="look again at 1"):
        check(wrong)
    assert check({question: None for question in right}) is False  # blank: not attempted
    assert "not attempted yet" in capsys.readouterr().out
