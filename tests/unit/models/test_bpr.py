import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tastemaker.data import Dataset
from tastemaker.errors import ParameterError
from tastemaker.models import BPR
from tastemaker.models import _bpr_kernels as kernels
from tastemaker.models._common import csr_parts, numba_threads
from tastemaker.models.bpr import MAX_NEGATIVE_TRIES, n_blocks_for
from tastemaker.testing import two_blocks
from tastemaker.testing._checks import RecommenderChecks


def _bpr(**params):
    defaults = {
        "n_factors": 2,
        "n_epochs": 100,
        "learning_rate": 0.05,
        "regularization": 0.2,
        "random_state": 0,
    }
    return BPR(**{**defaults, **params})


class TestBPR(RecommenderChecks):
    make_model = staticmethod(_bpr)


def _problem(n_blocks: int, seed: int = 0, n_users: int = 12, n_items: int = 9, k: int = 3):
    """Kernel inputs for one epoch on a small random matrix, dealt into ``n_blocks``."""
    rng = np.random.default_rng(seed)
    dense = rng.random((n_users, n_items)) < 0.4
    dense[:, 0] = True  # no empty user
    dense[0] = True  # user 0 has seen everything: its triples are skipped
    indptr, indices, _ = csr_parts(sp.csr_array(dense.astype(np.float32)))
    user_of = np.repeat(np.arange(n_users, dtype=np.int32), np.diff(indptr))
    user_block = rng.integers(0, n_blocks, n_users)
    item_block = rng.integers(0, n_blocks, n_items)
    keys = user_block[user_of] * n_blocks + item_block[indices]
    pos_order, pos_ptr = kernels.group_by_key(keys, n_blocks * n_blocks)
    item_order, item_ptr = kernels.group_by_key(item_block, n_blocks)
    seeds = rng.integers(0, 2**64, size=n_blocks * n_blocks, dtype=np.uint64)
    P = rng.standard_normal((n_users, k)).astype(np.float32)
    Q = rng.standard_normal((n_items, k)).astype(np.float32)
    bias = rng.standard_normal(n_items).astype(np.float32)
    structure = (indptr, indices, user_of)
    strata = (pos_order, pos_ptr, item_order, item_ptr, seeds)
    return structure, (P, Q, bias), strata


def test_splitmix64_matches_the_published_sequence():
    # splitmix64 seeded with 0: first outputs from Vigna's reference implementation
    state, first = kernels.splitmix64_reference(0)
    assert first == 0xE220A8397B1DCDAF
    assert kernels.splitmix64_reference(state)[1] == 0x6E789E6AA1B965F4


def test_group_by_key_matches_reference():
    keys = np.array([3, 0, 3, 1, 0, 3, 2], dtype=np.int64)
    order, ptr = kernels.group_by_key(keys, 5)
    ref_order, ref_ptr = kernels.group_by_key_reference(keys, 5)
    np.testing.assert_array_equal(order, ref_order)
    np.testing.assert_array_equal(ptr, ref_ptr)
    np.testing.assert_array_equal(ptr, [0, 2, 3, 4, 7, 7])


def _bits(structure, n_items: int = 9) -> np.ndarray:
    indptr, indices, _ = structure
    return kernels.seen_bitset(indptr, indices, n_items)


NO_BITS = np.zeros((0, 0), dtype=np.uint64)


def test_seen_bitset_matches_reference():
    structure, _, _ = _problem(1, n_items=70)  # two words per user
    indptr, indices, _ = structure
    bits = kernels.seen_bitset(indptr, indices, 70)
    assert bits.shape == (12, 2)
    np.testing.assert_array_equal(bits, kernels.seen_bitset_reference(indptr, indices, 70))
    assert bits[0, 1] == (1 << 6) - 1  # user 0 has seen all 70 items: bits 64-69


@pytest.mark.parametrize(("n_blocks", "use_bits"), [(1, True), (2, True), (2, False)])
def test_epoch_matches_reference(n_blocks, use_bits):
    structure, (P, Q, bias), strata = _problem(n_blocks)
    expected = (P.copy(), Q.copy(), bias.copy())
    args = (0.05, 0.01, MAX_NEGATIVE_TRIES)
    bits = _bits(structure) if use_bits else NO_BITS
    skipped = kernels.bpr_epoch(*structure, P, Q, bias, *strata, *args, bits)
    ref_skipped = kernels.bpr_epoch_reference(*structure, *expected, *strata, *args)
    assert skipped == ref_skipped
    if n_blocks == 1:
        assert skipped > 0  # user 0 has no negative item
    for got, want in zip((P, Q, bias), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_epoch_does_not_depend_on_threads():
    structure, factors, strata = _problem(n_blocks=2, seed=3, n_users=40, n_items=30)
    results = []
    for n_threads in (1, 2):
        P, Q, bias = (a.copy() for a in factors)
        with numba_threads(n_threads):
            kernels.bpr_epoch(
                *structure, P, Q, bias, *strata, 0.05, 0.01, MAX_NEGATIVE_TRIES, NO_BITS
            )
        results.append((P, Q, bias))
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_one_update_by_hand():
    # one user whose positive is item 0: the negative can only be item 1
    indptr = np.array([0, 1], dtype=np.int64)
    indices = np.array([0], dtype=np.int32)
    user_of = np.array([0], dtype=np.int32)
    P = np.array([[1.0, 0.0]], dtype=np.float32)
    Q = np.array([[0.5, 1.0], [1.0, -1.0]], dtype=np.float32)
    bias = np.array([0.25, 0.0], dtype=np.float32)
    strata = (
        np.array([0], dtype=np.int64),  # positions of block (0, 0)
        np.array([0, 1], dtype=np.int64),
        np.array([0, 1], dtype=np.int64),  # items of item block 0
        np.array([0, 2], dtype=np.int64),
        np.array([7], dtype=np.uint64),
    )
    lr, reg = 0.1, 0.01
    kernels.bpr_epoch(indptr, indices, user_of, P, Q, bias, *strata, lr, reg, 64, NO_BITS)
    x = 0.25 - 0.0 + 1.0 * (0.5 - 1.0)  # x_ui - x_uj = -0.25
    z = 1.0 / (1.0 + np.exp(x))
    np.testing.assert_allclose(P[0], [1.0 + lr * (z * -0.5 - reg), lr * (z * 2.0)], rtol=1e-6)
    np.testing.assert_allclose(Q[0], [0.5 + lr * (z - reg * 0.5), 1.0 - lr * reg], rtol=1e-6)
    np.testing.assert_allclose(Q[1], [1.0 + lr * (-z - reg), -1.0 + lr * reg], rtol=1e-6)
    np.testing.assert_allclose(bias, [0.25 + lr * (z - reg * 0.25), lr * -z], rtol=1e-6)


def _auc(model, blocks) -> float:
    """Mean over users of P(score of the held-out item > score of an unseen item)."""
    scores = model.score(blocks.users)
    seen = model.seen_
    values = []
    for row, (user, item) in enumerate(zip(blocks.users, blocks.held_out)):
        pos = int(model.items_.index_of([item])[0])
        mine = seen[model.users_.index_of([user])].indices
        negatives = np.setdiff1d(np.arange(model.n_items), np.r_[mine, pos])
        values.append(np.mean(scores[row, pos] > scores[row, negatives]))
    return float(np.mean(values))


def test_auc_increases_with_epochs():
    blocks = two_blocks()
    aucs = [_auc(_bpr(n_epochs=n).fit(blocks.train), blocks) for n in (1, 10, 100)]
    assert aucs[0] < aucs[1] < aucs[2]
    assert aucs[2] > 0.95


def test_results_do_not_depend_on_threads():
    rng = np.random.default_rng(0)
    users, items = np.nonzero(rng.random((400, 300)) < 0.7)  # ~84k interactions: 2 blocks
    frame = pd.DataFrame({"user": users, "item": items})
    assert n_blocks_for(300, len(frame)) == 2
    one = _bpr(n_factors=4, n_epochs=2, n_threads=1).fit(Dataset(frame))
    two = _bpr(n_factors=4, n_epochs=2, n_threads=2).fit(Dataset(frame))
    np.testing.assert_array_equal(one.item_factors_, two.item_factors_)
    np.testing.assert_array_equal(one.user_factors_, two.user_factors_)


def test_blocks_depend_on_the_data_only():
    many = 10**8
    by_items = [n_blocks_for(n, many) for n in (10, 127, 128, 300, 511, 512, 10**6)]
    assert by_items == [1, 1, 2, 4, 7, 8, 8]
    by_work = [n_blocks_for(10**6, n) for n in (79_999, 80_000, 720_000, 1_280_000, many)]
    assert by_work == [1, 2, 6, 8, 8]


def test_items_without_interactions_rank_last():
    blocks = two_blocks()
    train = blocks.train.interactions
    item = train["item"].iloc[0]
    model = _bpr().fit(blocks.train.replace(train[train["item"] != item]))
    scores = model.score(blocks.users)
    assert np.isneginf(scores[:, int(model.items_.index_of([item])[0])]).all()


def test_fold_in_is_refused():
    model = _bpr().fit(two_blocks().train)
    with pytest.raises(ParameterError, match="cannot rank users from a history"):
        model.recommend_history(pd.DataFrame({"user": ["new"], "item": ["i37"]}))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_factors": 0}, 'BPR: parameter "n_factors" must be an int >= 1, got 0.'),
        ({"n_epochs": 0}, '"n_epochs" must be an int >= 1'),
        ({"learning_rate": 0}, '"learning_rate" must be a number > 0'),
        ({"regularization": -0.1}, '"regularization" must be a number >= 0'),
        ({"n_threads": 1.0}, '"n_threads" must be an int >= 0'),
        ({"random_state": -1}, '"random_state" must be an int >= 0'),
    ],
)
def test_bad_params(params, message):
    with pytest.raises(ParameterError) as err:
        BPR(**params).fit(two_blocks().train)
    assert message in str(err.value)
