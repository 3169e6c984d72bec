"""Metrics of one user's ranked list, the metric registry, and metric names.

Every function here is a small, direct transcription of its formula (stated in its
docstring) so that it can be checked by hand. Each is registered as a metric
(:func:`register_metric`) together with its batch function in
:mod:`tastemaker.evaluate._batch`, which evaluates all users at once with array
operations and is tested against it, its direction and what it needs. Parsing, the batch
evaluator, reports, tuning, the command line and the docs read that registry
(:data:`METRICS`): a new metric is one registered function plus its batch function.

Conventions
-----------
- ``ranked`` holds item positions in rank order (best first); it may be longer than ``k``
  and must not repeat an item. Seen items are expected to be excluded already.
- ``relevant`` is a set of item positions (order and repeats are ignored). Relevance is
  binary.
- ``k`` is the list length that is scored; a list shorter than ``k`` is scored as if padded
  with non-relevant items (so precision still divides by ``k``).
- With no relevant items, the metrics whose formula divides by a function of ``|relevant|``
  (recall, nDCG, AP, AUC) are undefined and return NaN; precision, hit and reciprocal rank
  return 0.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from tastemaker._validation import Interval, check
from tastemaker.errors import ParameterError
from tastemaker.evaluate import _batch as B
from tastemaker.evaluate._registry import METRICS, NEEDS, Metric, MetricSpec, register_metric

__all__ = [
    "METRICS",
    "METRIC_NAMES",
    "Metric",
    "MetricSpec",
    "arp",
    "auc_from_ranking",
    "auc_from_scores",
    "average_precision",
    "coverage",
    "gini",
    "hit",
    "ild",
    "mae",
    "metrics_table",
    "ndcg",
    "novelty",
    "parse_metric",
    "parse_metrics",
    "precision",
    "recall",
    "recall_capped",
    "reciprocal_rank",
    "register_metric",
    "rmse",
]

# -- input checks ------------------------------------------------------------------------


_POSITIVE = Interval("int", 1)


def _check_k(k: Any, owner: str) -> int:
    return int(check(owner, "k", k, _POSITIVE))


def _as_items(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise ParameterError(f"{what} must hold integer item positions, got {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _ranked(ranked: Any) -> np.ndarray:
    arr = _as_items(ranked, "ranked")
    if len(np.unique(arr)) != len(arr):
        values, counts = np.unique(arr, return_counts=True)
        raise ParameterError(
            f"ranked list repeats item {int(values[counts > 1][0])}; each item may appear once"
        )
    return arr


def _relevant(relevant: Any) -> np.ndarray:
    return np.unique(_as_items(relevant, "relevant"))


def _hits(ranked: Any, relevant: Any, k: int, owner: str) -> tuple[np.ndarray, int]:
    """Boolean hit flags of the top-k and the number of relevant items."""
    k = _check_k(k, owner)
    top = _ranked(ranked)[:k]
    rel = _relevant(relevant)
    return np.isin(top, rel), len(rel)


# -- accuracy of one ranked list ---------------------------------------------------------


@register_metric(
    "precision",
    batch=B.precision,
    kind="ranking",
    needs=["relevant"],
    aliases=["p", "prec"],
    summary="share of the k slots holding a relevant item (divides by k)",
)
def precision(ranked: Any, relevant: Any, k: int) -> float:
    r"""Precision at k: the share of the k slots that hold a relevant item.

    .. math:: P@k = \frac{|\{\text{relevant items in the top } k\}|}{k}

    Always divides by ``k``: never by ``|relevant|`` and never by the length of a list
    shorter than ``k`` (missing slots count as misses).
    """
    hits, _ = _hits(ranked, relevant, k, "precision")
    return float(hits.sum() / k)


@register_metric(
    "recall",
    batch=B.recall,
    kind="ranking",
    needs=["relevant"],
    aliases=["r", "rec"],
    summary="share of the relevant items found in the top k (divides by |relevant|)",
)
def recall(ranked: Any, relevant: Any, k: int) -> float:
    r"""Recall at k: the share of the relevant items found in the top k.

    .. math:: R@k = \frac{|\{\text{relevant items in the top } k\}|}{|\text{relevant}|}

    Divides by all relevant items, so it cannot reach 1 when ``|relevant| > k`` (see
    :func:`recall_capped`). NaN when there are no relevant items.
    """
    hits, n_rel = _hits(ranked, relevant, k, "recall")
    return float(hits.sum() / n_rel) if n_rel else float("nan")


@register_metric(
    "recall_capped",
    batch=B.recall_capped,
    kind="ranking",
    needs=["relevant"],
    listed=False,
    summary="hits in the top k over min(k, |relevant|) (Mult-VAE/EASE definition)",
)
def recall_capped(ranked: Any, relevant: Any, k: int) -> float:
    r"""Capped recall at k: hits divided by the most hits a list of length k can have.

    .. math:: R_{cap}@k = \frac{|\{\text{relevant items in the top } k\}|}
              {\min(k, |\text{relevant}|)}

    The definition of Liang et al. (2018, Mult-VAE) and Steck (2019, EASE); it reaches 1
    for a perfect list. Not part of the default metric names (``recall@k`` divides by
    ``|relevant|``); ask for it as ``recall_capped@k``. NaN without relevant items.
    """
    hits, n_rel = _hits(ranked, relevant, k, "recall_capped")
    return float(hits.sum() / min(k, n_rel)) if n_rel else float("nan")


def _discounts(n: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, n + 2, dtype=np.float64))


@register_metric(
    "ndcg",
    batch=B.ndcg,
    kind="ranking",
    needs=["relevant"],
    aliases=["dcg"],
    summary="discounted gain of the hits over that of an ideal list of min(k, |relevant|) hits",
)
def ndcg(ranked: Any, relevant: Any, k: int) -> float:
    r"""Normalised discounted cumulative gain at k, binary relevance.

    .. math:: DCG@k = \sum_{i=1}^{k} \frac{[\text{item}_i \text{ relevant}]}{\log_2(i+1)},
       \qquad IDCG@k = \sum_{i=1}^{\min(k, |\text{relevant}|)} \frac{1}{\log_2(i+1)},
       \qquad nDCG@k = DCG@k / IDCG@k

    The ideal list puts ``min(k, |relevant|)`` relevant items first: it depends on neither
    the length of the given list nor on which relevant items it happened to retrieve.
    NaN without relevant items.

    Examples
    --------
    >>> round(ndcg([0, 9, 1], relevant=[0, 1], k=3), 6)  # 1.5 / (1 + 1/log2(3))
    0.919721
    """
    hits, n_rel = _hits(ranked, relevant, k, "ndcg")
    if not n_rel:
        return float("nan")
    dcg = float(np.sum(_discounts(len(hits))[hits]))
    idcg = float(np.sum(_discounts(min(k, n_rel))))
    return dcg / idcg


@register_metric(
    "map",
    batch=B.average_precision,
    kind="ranking",
    needs=["relevant"],
    aliases=["ap", "mean_ap"],
    summary="mean over users of average precision at k, divided by min(k, |relevant|)",
)
def average_precision(ranked: Any, relevant: Any, k: int) -> float:
    r"""Average precision at k (the per-user term of MAP@k).

    .. math:: AP@k = \frac{1}{\min(k, |\text{relevant}|)}
              \sum_{i=1}^{k} [\text{item}_i \text{ relevant}] \cdot P@i

    The denominator is ``min(k, |relevant|)``, the most hits a list of length ``k`` can
    have (the common choice: a perfect list scores 1 even when ``|relevant| > k``).
    NaN without relevant items.
    """
    hits, n_rel = _hits(ranked, relevant, k, "average_precision")
    if not n_rel:
        return float("nan")
    ranks = np.arange(1, len(hits) + 1)
    precisions = np.cumsum(hits) / ranks
    return float(np.sum(precisions[hits]) / min(k, n_rel))


@register_metric(
    "mrr",
    batch=B.reciprocal_rank,
    kind="ranking",
    needs=["relevant"],
    aliases=["rr"],
    summary="1 / rank of the first relevant item in the top k (0 if none)",
)
def reciprocal_rank(ranked: Any, relevant: Any, k: int) -> float:
    r"""Reciprocal rank at k: ``1 / rank`` of the first relevant item in the top k, else 0.

    Ranks start at 1; the mean over users is MRR@k.
    """
    hits, _ = _hits(ranked, relevant, k, "reciprocal_rank")
    first = np.flatnonzero(hits)
    return float(1.0 / (first[0] + 1)) if len(first) else 0.0


@register_metric(
    "hit",
    batch=B.hit,
    kind="ranking",
    needs=["relevant"],
    aliases=["hr", "hitrate", "hit_rate"],
    summary="1 if any relevant item is in the top k (the mean is the hit rate)",
)
def hit(ranked: Any, relevant: Any, k: int) -> float:
    """Hit at k: 1 if any relevant item is in the top k, else 0 (mean: hit rate, HR@k)."""
    hits, _ = _hits(ranked, relevant, k, "hit")
    return float(hits.any())


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n in ascending order; tied values share their average rank."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    ends = np.concatenate([starts[1:], [len(values)]])
    average = (starts + 1 + ends) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(average, ends - starts)
    return ranks


def auc_from_scores(scores: Any, relevant: Any, candidates_mask: Any = None) -> float:
    r"""AUC of one user from scores over the whole catalog.

    Same definition as :func:`auc_from_ranking` (ties, including items sharing
    ``-inf``, count 1/2), computed with the Mann-Whitney rank sum:

    .. math:: AUC = \frac{\sum_{r \in R} \operatorname{rank}(r) - |R|(|R|+1)/2}{|R|\,|N|}

    Parameters
    ----------
    scores : array of float, shape (n_items,)
        Higher is better; NaN is not allowed.
    relevant : array of int
        Relevant item positions; those outside the candidates are ignored.
    candidates_mask : array of bool, shape (n_items,), optional
        True for the candidate items (False for seen ones); all items by default.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if np.isnan(scores).any():
        raise ParameterError("scores must not contain NaN; give excluded items -inf")
    mask = (
        np.ones(len(scores), dtype=bool)
        if candidates_mask is None
        else np.asarray(candidates_mask, dtype=bool).reshape(-1)
    )
    if len(mask) != len(scores):
        raise ParameterError(
            f"candidates_mask has {len(mask)} entries but scores has {len(scores)}"
        )
    rel = _relevant(relevant)
    if len(rel) and (rel.min() < 0 or rel.max() >= len(scores)):
        raise ParameterError(f"relevant items must be positions in 0..{len(scores) - 1}")
    is_rel = np.zeros(len(scores), dtype=bool)
    is_rel[rel] = True
    cand_scores = scores[mask]
    cand_rel = is_rel[mask]
    n_pos = int(cand_rel.sum())
    n_neg = len(cand_scores) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = _average_ranks(cand_scores)
    return float((ranks[cand_rel].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@register_metric(
    "auc",
    batch=B.auc,
    kind="ranking",
    needs=["relevant", "scores"],
    takes_k=False,
    aliases=["roc_auc"],
    from_scores=auc_from_scores,
    summary="share of (relevant, other candidate) pairs ranked in the right order",
)
def auc_from_ranking(ranked_full: Any, relevant: Any, n_candidates: int) -> float:
    r"""AUC of one user from a ranked list of candidate items.

    The fraction of (relevant, non-relevant) candidate pairs in which the relevant item is
    ranked above the other one, ties counting 1/2:

    .. math:: AUC = \frac{1}{|R|\,|N|} \sum_{r \in R} \sum_{n \in N}
              \left([r \succ n] + \tfrac12 [r \sim n]\right)

    where the candidates are ``n_candidates`` items (every item a user could be shown:
    the catalog minus the seen items), ``R`` the relevant ones and ``N`` the rest. Items
    missing from a truncated list are tied with each other below every listed item, so a
    list of every candidate gives the exact AUC.

    Parameters
    ----------
    ranked_full : array of int
        Candidate item positions in rank order (full or truncated ranking).
    relevant : array of int
        Relevant item positions; they always count as candidates.
    n_candidates : int
        Size of the candidate set, at least ``len(ranked_full)``. When it is smaller than
        the number of distinct items in ``ranked_full`` and ``relevant`` together, the
        relevant items the list lacks are outside it (seen before, or unknown to the
        catalog): they are added to it as unranked candidates.

    Returns
    -------
    float
        NaN when there are no relevant or no non-relevant candidates.
    """
    ranked = _ranked(ranked_full)
    rel = _relevant(relevant)
    is_hit = np.isin(ranked, rel)
    if n_candidates < len(ranked):
        raise ParameterError(
            f"n_candidates={n_candidates} is smaller than the {len(ranked)} ranked items"
        )
    n_candidates = max(n_candidates, len(ranked) + len(rel) - int(is_hit.sum()))
    n_neg = n_candidates - len(rel)
    if not len(rel) or n_neg <= 0:
        return float("nan")
    neg_listed = len(ranked) - int(is_hit.sum())
    correct = 0.0
    neg_above = 0
    for flag in is_hit:
        if flag:
            correct += n_neg - neg_above  # every negative not yet seen is ranked below
        else:
            neg_above += 1
    missing = len(rel) - int(is_hit.sum())
    correct += missing * 0.5 * (n_neg - neg_listed)  # tied with the unlisted negatives
    return correct / (len(rel) * n_neg)


# -- rating prediction -------------------------------------------------------------------


def _pair(pred: Any, true: Any) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64).reshape(-1)
    t = np.asarray(true, dtype=np.float64).reshape(-1)
    if len(p) != len(t):
        raise ParameterError(f"pred has {len(p)} values but true has {len(t)}")
    return p, t


@register_metric(
    "rmse",
    batch=B.rmse,
    kind="rating",
    higher_is_better=False,
    needs=["ratings"],
    takes_k=False,
    summary="root mean squared error of predicted ratings, pooled over the test pairs",
)
def rmse(pred: Any, true: Any) -> float:
    r"""Root mean squared error, :math:`\sqrt{\frac1n \sum_j (\hat r_j - r_j)^2}`.

    NaN for empty input.
    """
    p, t = _pair(pred, true)
    return float(np.sqrt(np.mean((p - t) ** 2))) if len(p) else float("nan")


@register_metric(
    "mae",
    batch=B.mae,
    kind="rating",
    higher_is_better=False,
    needs=["ratings"],
    takes_k=False,
    summary="mean absolute error of predicted ratings, pooled over the test pairs",
)
def mae(pred: Any, true: Any) -> float:
    r"""Mean absolute error, :math:`\frac1n \sum_j |\hat r_j - r_j|`. NaN for empty input."""
    p, t = _pair(pred, true)
    return float(np.mean(np.abs(p - t))) if len(p) else float("nan")


# -- beyond accuracy ---------------------------------------------------------------------


def _top(ranked: Any, k: int, owner: str) -> np.ndarray:
    return _ranked(ranked)[: _check_k(k, owner)]


@register_metric(
    "coverage",
    batch=B.coverage,
    kind="global",
    needs=["catalog"],
    summary="share of the catalog recommended in any top-k list",
)
def coverage(lists: Sequence[Any], n_items: int, k: int) -> float:
    r"""Catalog coverage at k: distinct items in any top-k list over the catalog size.

    .. math:: Cov@k = \frac{|\bigcup_u \text{top}_k(u)|}{n_\text{items}}
    """
    k = _check_k(k, "coverage")
    check("coverage", "n_items", n_items, _POSITIVE)
    tops = [_top(r, k, "coverage") for r in lists]
    items = np.unique(np.concatenate(tops)) if tops else np.zeros(0)
    return float(len(items) / n_items)


@register_metric(
    "ild",
    batch=B.ild,
    kind="beyond",
    needs=["item_vectors"],
    aliases=["diversity"],
    summary="intra-list diversity: mean pairwise cosine distance of the top-k items",
)
def ild(ranked: Any, item_vectors: Any, k: int) -> float:
    r"""Intra-list diversity at k: mean pairwise cosine distance inside one top-k list.

    .. math:: ILD@k = \frac{2}{m(m-1)} \sum_{i<j} \left(1 - \cos(v_i, v_j)\right)

    over the ``m`` items of the top k whose vector is not all zeros (a zero vector has no
    direction, so its item is left out). NaN when ``m < 2``; the mean over users then
    excludes that user.

    Parameters
    ----------
    item_vectors : array or sparse matrix, shape (n_items, n_features)
        One row per item, e.g. multi-hot genres or an embedding.
    """
    top = _top(ranked, k, "ild")
    if len(top) < 2:
        return float("nan")
    rows = item_vectors[top]
    dense = rows.toarray() if sp.issparse(rows) else np.asarray(rows)
    dense = dense.astype(np.float64).reshape(len(top), -1)
    norms = np.linalg.norm(dense, axis=1)
    dense = dense[norms > 0] / norms[norms > 0, None]
    m = len(dense)
    if m < 2:
        return float("nan")
    total = 0.0
    for i in range(m):
        for j in range(i + 1, m):
            total += 1.0 - float(dense[i] @ dense[j])
    return total / (m * (m - 1) / 2)


@register_metric(
    "novelty",
    batch=B.novelty,
    kind="beyond",
    needs=["popularity", "train_users"],
    summary="mean self-information -log2(popularity / training users) of the top-k items",
)
def novelty(ranked: Any, item_popularity: Any, n_users: int, k: int) -> float:
    r"""Novelty at k: mean self-information of the recommended items.

    .. math:: Nov@k = \frac{1}{|L|} \sum_{i \in L} -\log_2 \frac{\max(pop_i, 1)}{n_\text{users}}

    with ``L`` the top-k list, ``pop_i`` the number of training users who interacted with
    item ``i`` and ``n_users`` the number of training users. Items nobody interacted with
    count as ``pop = 1`` (the rarest observable item), which keeps the value finite. NaN
    for an empty list.
    """
    top = _top(ranked, k, "novelty")
    if not len(top):
        return float("nan")
    check("novelty", "n_users", n_users, _POSITIVE)
    pop = np.maximum(np.asarray(item_popularity, dtype=np.float64)[top], 1.0)
    return float(np.mean(-np.log2(pop / n_users)))


@register_metric(
    "arp",
    batch=B.arp,
    kind="beyond",
    higher_is_better=False,
    needs=["popularity"],
    aliases=["popularity"],
    summary="average popularity (training users) of the top-k items: popularity bias",
)
def arp(ranked: Any, item_popularity: Any, k: int) -> float:
    r"""Average recommendation popularity at k: :math:`\frac{1}{|L|}\sum_{i \in L} pop_i`.

    ``pop_i`` is the item's training popularity (number of training users who interacted
    with it). NaN for an empty list.
    """
    top = _top(ranked, k, "arp")
    if not len(top):
        return float("nan")
    return float(np.mean(np.asarray(item_popularity, dtype=np.float64)[top]))


@register_metric(
    "gini",
    batch=B.gini,
    kind="global",
    higher_is_better=False,
    needs=["catalog"],
    summary="Gini index of how often each catalog item is recommended: concentration",
)
def gini(lists: Sequence[Any], n_items: int, k: int) -> float:
    r"""Gini index of how often each catalog item is recommended in the top-k lists.

    With :math:`c_{(1)} \le \dots \le c_{(n)}` the recommendation counts of all ``n``
    catalog items (items never recommended count 0), sorted ascending:

    .. math:: G = \frac{\sum_{i=1}^{n} (2i - n - 1)\, c_{(i)}}{n \sum_i c_{(i)}}

    0 when every item is recommended equally often, :math:`(n-1)/n \to 1` when one item
    gets every recommendation. NaN when nothing is recommended.
    """
    k = _check_k(k, "gini")
    check("gini", "n_items", n_items, _POSITIVE)
    counts = np.zeros(n_items, dtype=np.float64)
    for r in lists:
        top = _top(r, k, "gini")
        if len(top) and (top.min() < 0 or top.max() >= n_items):
            raise ParameterError(f"recommended items must be positions in 0..{n_items - 1}")
        counts[top] += 1
    total = counts.sum()
    if total == 0:
        return float("nan")
    c = np.sort(counts)
    i = np.arange(1, n_items + 1)
    return float(np.sum((2 * i - n_items - 1) * c) / (n_items * total))


# -- names --------------------------------------------------------------------------------

METRIC_NAMES: tuple[str, ...] = tuple(m.pattern for m in METRICS.values() if m.listed)
"""The metric names of the design, from the registry (unlisted ones such as
``recall_capped@k`` also parse)."""

_NAME_RE = re.compile(r"^(?P<family>[a-z_]+)(?:@(?P<k>-?\d+))?(?:\[sampled-(?P<sampled>-?\d+)\])?$")


def _suggest(family: str, raw: str) -> str:
    aliases = {alias: m.name for m in METRICS.values() for alias in m.aliases}
    target = aliases.get(family)
    if target is None:
        close = difflib.get_close_matches(family, list(METRICS), n=1, cutoff=0.5)
        target = close[0] if close else None
    if target is None:
        return ""
    rest = raw[len(family) :] if raw.startswith(family) else ""
    if not METRICS[target].takes_k:
        rest = re.sub(r"^@\d+", "", rest)
    elif not rest.startswith("@"):
        rest = "@10" + rest
    return f"; did you mean {target + rest!r}?"


def parse_metric(name: str | MetricSpec) -> MetricSpec:
    """Parse a metric name such as ``"ndcg@10"``, ``"auc"`` or ``"hit@10[sampled-100]"``.

    Parameters
    ----------
    name : str or MetricSpec
        Case and surrounding spaces are ignored. A spec is returned unchanged.

    Returns
    -------
    MetricSpec

    Raises
    ------
    ParameterError
        For an unknown name (the closest known one is suggested), a missing or extra
        ``@k``, ``k < 1``, or a sampled variant of a metric that has none.
    """
    if isinstance(name, MetricSpec):
        return name
    if not isinstance(name, str):
        raise ParameterError(f"a metric name must be a string like 'ndcg@10', got {name!r}")
    raw = name.strip().lower()
    known = ", ".join(m.pattern for m in METRICS.values() if m.listed)
    match = _NAME_RE.match(raw)
    if match is None:
        family = re.split(r"[@\[]", raw, maxsplit=1)[0]
        raise ParameterError(
            f"cannot read metric name {name!r}{_suggest(family, raw) or '.'} "
            f"Metric names look like 'ndcg@10' or 'ndcg@10[sampled-100]'; known: {known}."
        )
    family = match["family"]
    if family not in METRICS:
        raise ParameterError(
            f"unknown metric {name!r}{_suggest(family, raw) or '.'} Known metrics: {known}."
        )
    metric = METRICS[family]
    k: int | None = None
    if match["k"] is not None:
        if not metric.takes_k:
            raise ParameterError(
                f"metric {family!r} takes no @k (got {name!r}): it scores "
                + (
                    "every predicted rating"
                    if "ratings" in metric.needs
                    else "every candidate item"
                )
                + f"; write {family!r}"
            )
        k = int(match["k"])
        if k < 1:
            raise ParameterError(f"k must be ≥ 1, got {k} in {name!r}")
    elif metric.takes_k:
        raise ParameterError(
            f"metric {family!r} needs a list length: write e.g. '{family}@10' (got {name!r})"
        )
    sampled: int | None = None
    if match["sampled"] is not None:
        if not metric.sampled:
            with_sampled = ", ".join(m.name for m in METRICS.values() if m.sampled and m.listed)
            raise ParameterError(
                f"{name!r}: only accuracy metrics ({with_sampled}) have sampled variants, "
                f"not {family!r}"
            )
        sampled = int(match["sampled"])
        if sampled < 1:
            raise ParameterError(
                f"the number of sampled negatives must be ≥ 1, got {sampled} in {name!r}"
            )
    return MetricSpec(name=family, k=k, kind=metric.kind, sampled=sampled)


def parse_metrics(names: str | MetricSpec | Iterable[str | MetricSpec]) -> list[MetricSpec]:
    """Parse several metric names: a list, or one comma-separated string.

    Repeated names are kept once, in first-seen order.

    Raises
    ------
    ParameterError
        For any bad name (see :func:`parse_metric`) or an empty list.
    """
    if isinstance(names, (str, MetricSpec)):
        names = [names]
    items: list[str | MetricSpec] = []
    for entry in names:
        if isinstance(entry, str):
            items.extend(part for part in entry.split(",") if part.strip())
        else:
            items.append(entry)
    specs: list[MetricSpec] = []
    for entry in items:
        spec = parse_metric(entry)
        if spec not in specs:
            specs.append(spec)
    if not specs:
        raise ParameterError("no metrics given; ask for e.g. 'ndcg@10,recall@20'")
    return specs


def metrics_table() -> str:
    """The registry as a Markdown table (name, better, needs, sampled variant, meaning).

    ``docs/evaluation.md`` holds this table; a test checks that it is current.
    """
    lines = [
        "| name | better | needs | sampled variant | what it measures |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in METRICS.values():
        needs = ", ".join(n for n in NEEDS if n in m.needs) or "-"
        summary = m.summary.replace("|", "\\|")  # a bar would end the cell
        lines.append(
            f"| `{m.pattern}` | {m.direction} | {needs} | {'yes' if m.sampled else 'no'} "
            f"| {summary} |"
        )
    return "\n".join(lines) + "\n"
