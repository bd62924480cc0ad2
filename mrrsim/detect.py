"""How soon a churn problem shows on a dashboard (docs/model.md, "How soon a churn problem
shows").

A customer-success dashboard watches logo churn. In month t its exposure is the monthly
customers active at the end of month t - 1 plus the annual customers whose renewal falls in
month t + n (n = ``renewal_notice_months``: they announce then); its observation is the
customers lost among them. Over the trailing 3 months (fewer in months 1 and 2) it computes
z = (O - E) / sqrt(V), O the customers lost, E = sum of exposure x rate and V = sum of
exposure x rate x (1 - rate) at each group's baseline rate, and alarms when z >= 2.326 (a
one-sided test at 1%); no alarm while V = 0.

A shock multiplies every churn rate by k (clipped to 1) from month m: monthly churn in months
>= m, and non-renewals announced in months >= m. For each billing choice (your mix, all-monthly,
all-annual, with movers as ``policy.plan_groups`` says) the same paths are simulated with and
without the shock (the same seed, so they agree up to month m - 1), with the Monte Carlo's draws
(``montecarlo.draw_binomial`` / ``draw_poisson``, the normal approximation for large counts) but
no parameter uncertainty. Only counts matter here, so every group's customers are pooled: the
monthly term as one count, the annual term as 12 counts by renewal month (a sum of independent
binomials with one rate is a binomial of the sum, so pooling changes no distribution).

Results per choice: ``by_month[j - 1]`` = the share of shocked paths with an alarm in some month
m..m + j - 1; ``median_months`` = the smallest j with by_month[j - 1] >= 1/2 (null when fewer
than half the paths alarm within the horizon); ``p_within_3`` / ``p_within_6`` = by_month[2] /
by_month[5] (null when the horizon ends sooner); ``false_alarm_rate`` = alarms per path-month
of the paths without the shock, over the months where the test can run (V > 0).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from mrrsim.montecarlo import (
    MAX_DRAWS,
    MAX_NEW_PER_MONTH,
    MAX_PATHS,
    SimulationTooLargeError,
    _annual_base,
    _live,
    draw_binomial,
    draw_poisson,
)
from mrrsim.policy import POLICIES, Group, Variant, plan_groups
from mrrsim.scenario import Scenario

__all__ = [
    "CHOICES",
    "DEFAULT_FACTOR",
    "DEFAULT_START",
    "MAX_FACTOR",
    "Z_ALARM",
    "Detection",
    "affordable_paths",
    "by_month_frame",
    "describe",
    "detect",
    "detection_draws",
]

CHOICES = POLICIES  # "mix", "all_monthly", "all_annual"
Z_ALARM = 2.326  # one-sided 1% (the 99th percentile of the standard normal is 2.3263)
WINDOW = 3
DEFAULT_FACTOR = 1.5
DEFAULT_START = 13
MAX_FACTOR = 100.0
CHUNK = 1_000  # paths per random stream


@dataclass(frozen=True)
class Detection:
    """How soon one billing choice shows the shock, and how often it alarms without one."""

    median_months: int | None
    p_within_3: float | None
    p_within_6: float | None
    false_alarm_rate: float | None
    by_month: tuple[float, ...]

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["by_month"] = list(self.by_month)
        return data


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: must be a whole number (got {value!r})")
    whole = int(value)
    if not low <= whole <= high:
        raise ValueError(f"{name}: must be between {low:,} and {high:,} (got {value!r})")
    return whole


def _check_args(
    scenario: Scenario, factor: object, start: object, paths: object, seed: object, notice: object
) -> tuple[float, int, int, int, int]:
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
        raise ValueError(f"factor: must be a number (got {factor!r})")
    number = float(factor)
    if not (math.isfinite(number) and 0 < number <= MAX_FACTOR):
        raise ValueError(f"factor: must be above 0 and at most {MAX_FACTOR:g} (got {factor!r})")
    start = _whole("start", start, 1, scenario.horizon_months)
    paths = _whole("paths", paths, 1, MAX_PATHS)
    seed = _whole("seed", seed, 0, 2**63 - 1)
    notice = _whole("notice", scenario.renewal_notice_months if notice is None else notice, 0, 11)
    return number, start, paths, seed, notice


def _segment_groups(variant: Variant) -> list[list[Group]]:
    groups = plan_groups(variant)
    live = [g for g in groups if _live(g, groups)]
    return [[g for g in live if g.seg_idx == i] for i in range(len(variant.scenario.segments))]


def detection_draws(scenario: Scenario, paths: int) -> int:
    """The size of one ``detect`` call in draws: 2 runs (with and without the shock) x paths x
    months x the live groups of the three choices (monthly groups draw twice when switching)."""
    per_month = 0
    for policy in CHOICES:
        for groups in _segment_groups(Variant(scenario, policy)):
            per_month += sum(2 if g.conversion else 1 for g in groups)
    return 2 * paths * scenario.horizon_months * max(per_month, 1)


@dataclass(frozen=True)
class _Groups:
    """The live groups of one billing choice, stacked: monthly groups as rows of one array,
    annual groups as rows of another (each with 12 counts by renewal month mod 12)."""

    monthly: list[Group]
    annual: list[Group]
    # switch_into[i, j] = 1 when monthly group j's switchers join annual group i
    switch_into: np.ndarray


def _stack(variant: Variant) -> _Groups:
    live = [g for seg_groups in _segment_groups(variant) for g in seg_groups]
    monthly = [g for g in live if g.term == "monthly"]
    annual = [g for g in live if g.term == "annual"]
    into = np.array(
        [
            [1 if a.origin == "switched" and a.seg_idx == m.seg_idx else 0 for m in monthly]
            for a in annual
        ],
        dtype=np.int64,
    ).reshape(len(annual), len(monthly))
    return _Groups(monthly, annual, into)


def _new(variant: Variant, groups: list[Group], paths: int, rng: np.random.Generator) -> np.ndarray:
    """New customers per month, group and path, shape (H, groups, paths)."""
    horizon = variant.horizon
    months = np.arange(horizon, dtype=np.float64)
    lam = np.zeros((horizon, len(groups)))
    for i, g in enumerate(groups):
        if g.share <= 0:
            continue
        seg = variant.scenario.segments[g.seg_idx]
        with np.errstate(over="ignore"):
            lam[:, i] = seg.new_customers * g.share * (1.0 + seg.acquisition_growth) ** months
        peak = float(lam[:, i].max(initial=0.0))
        if not peak <= MAX_NEW_PER_MONTH:
            raise SimulationTooLargeError(
                f"segments[{g.seg_idx}] ({seg.name}): new customers reach {peak:.3g} in one "
                "month; too many to simulate (lower new_customers or acquisition_growth)"
            )
    out = np.zeros((horizon, len(groups), paths), dtype=np.int64)
    used = np.flatnonzero(lam.any(axis=0))
    if used.size:
        out[:, used] = draw_poisson(rng, np.repeat(lam[:, used, None], paths, axis=2))
    return out


@dataclass
class _State:
    """Counts of one run: monthly groups (groups, paths), annual groups (groups, 12, paths) by
    renewal month mod 12 with the non-renewals already announced, and the month's figures."""

    monthly: np.ndarray
    annual: np.ndarray
    pending: np.ndarray
    lost: np.ndarray
    expected: np.ndarray
    variance: np.ndarray

    def copy(self) -> _State:
        return _State(
            *(x.copy() for x in (self.monthly, self.annual, self.pending)),
            *(x.copy() for x in (self.lost, self.expected, self.variance)),
        )


def _month(
    state: _State,
    t: int,
    rate_factor: float,
    groups: _Groups,
    churns: tuple[np.ndarray, np.ndarray],
    arrivals: tuple[np.ndarray, np.ndarray, np.ndarray],
    notice: int,
    rng: np.random.Generator,
) -> None:
    """Month t of one run: monthly losses and switching, annual announcements and renewals."""
    m_churn, a_churn = churns
    m_new, a_new, u = arrivals
    paths = state.lost.shape[1]
    switch_in = np.zeros((len(groups.annual), paths), dtype=np.int64)
    if groups.monthly:
        count = state.monthly
        state.expected[t - 1] += (count * m_churn).sum(axis=0)
        state.variance[t - 1] += (count * (m_churn * (1.0 - m_churn))).sum(axis=0)
        out = draw_binomial(rng, count, np.minimum(m_churn * rate_factor, 1.0))
        state.lost[t - 1] += out.sum(axis=0)
        count -= out
        if u[:, t - 1].any():
            movers = draw_binomial(rng, count, u[:, t - 1][:, None])
            count -= movers
            switch_in = groups.switch_into @ movers
        count += m_new[t - 1]
    if groups.annual:
        count, pending = state.annual, state.pending
        ahead = (t + notice) % 12
        exposed = count[:, ahead]
        state.expected[t - 1] += (exposed * a_churn).sum(axis=0)
        state.variance[t - 1] += (exposed * (a_churn * (1.0 - a_churn))).sum(axis=0)
        out = draw_binomial(rng, exposed, np.minimum(a_churn * rate_factor, 1.0))
        state.lost[t - 1] += out.sum(axis=0)
        pending[:, ahead] = out
        now = t % 12
        if t <= notice:  # announced before month 1: not on the dashboard
            pending[:, now] = draw_binomial(rng, count[:, now], a_churn)
        count[:, now] -= pending[:, now]
        pending[:, now] = 0
        count[:, now] += a_new[t - 1] + switch_in


def _observe(
    variant: Variant,
    factor: float,
    start: int,
    notice: int,
    paths: int,
    seed: np.random.SeedSequence,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """(shocked, calm) runs of the same paths: observed losses O, expected losses E and
    variance V per month and path, shape (H, P) each.

    The runs share their new customers and everything before the shock (one simulation up to
    month start - 1, then two); every group of every segment is one row of a stacked array, so
    a month costs the same few array operations however many segments there are.
    """
    horizon = variant.horizon
    groups = _stack(variant)
    monthly, annual = groups.monthly, groups.annual
    common, after = (np.random.default_rng(s) for s in seed.spawn(2))
    churns = (
        np.array([g.churn for g in monthly]).reshape(-1, 1),
        np.array([g.churn for g in annual]).reshape(-1, 1),
    )
    m_count = np.array([round(g.base[0]) if g.base else 0 for g in monthly], dtype=np.int64)
    a_count = np.zeros((len(annual), 12, paths), dtype=np.int64)
    for i, g in enumerate(annual):
        if g.base:
            # renewal month r = 1..12 sits at r mod 12
            a_count[i, np.arange(1, 13) % 12] = np.array(_annual_base(variant, g))[:, None]
    u = np.array([[g.conversion_at(t) for t in range(1, horizon + 1)] for g in monthly])
    arrivals = (
        _new(variant, monthly, paths, common),
        _new(variant, annual, paths, common),
        u.reshape(len(monthly), horizon),
    )
    state = _State(
        np.repeat(m_count[:, None], paths, axis=1),
        a_count,
        np.zeros_like(a_count),
        *(np.zeros((horizon, paths)) for _ in range(3)),
    )
    for t in range(1, start):
        _month(state, t, 1.0, groups, churns, arrivals, notice, common)
    calm = state.copy()
    for t in range(start, horizon + 1):
        _month(state, t, factor, groups, churns, arrivals, notice, common)
        _month(calm, t, 1.0, groups, churns, arrivals, notice, after)
    return (
        (state.lost, state.expected, state.variance),
        (calm.lost, calm.expected, calm.variance),
    )


def _alarms(lost: np.ndarray, exp: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(alarm, testable) per month and path: the trailing-window z test."""

    def trailing(x: np.ndarray) -> np.ndarray:
        out = x.copy()
        for lag in range(1, WINDOW):
            out[lag:] += x[:-lag]
        return out

    o, e, v = trailing(lost), trailing(exp), trailing(var)
    testable = v > 0.0
    z = np.divide(o - e, np.sqrt(np.where(testable, v, 1.0)))
    return testable & (z >= Z_ALARM), testable


def _summary(
    shocked: np.ndarray, calm: np.ndarray, calm_testable: np.ndarray, start: int
) -> Detection:
    after = shocked[start - 1 :]
    by_month = np.logical_or.accumulate(after, axis=0).mean(axis=1)
    reached = np.flatnonzero(by_month >= 0.5)
    tests = int(calm_testable.sum())
    return Detection(
        median_months=int(reached[0]) + 1 if reached.size else None,
        p_within_3=float(by_month[2]) if by_month.size >= 3 else None,
        p_within_6=float(by_month[5]) if by_month.size >= 6 else None,
        false_alarm_rate=float(calm.sum()) / tests if tests else None,
        by_month=tuple(float(p) for p in by_month),
    )


def affordable_paths(scenario: Scenario, wanted: int) -> int:
    """The most paths (at most ``wanted``, at least 1) ``detect`` may take for this scenario."""
    return max(1, min(wanted, MAX_DRAWS // detection_draws(scenario, 1)))


def detect(
    scenario: Scenario,
    factor: float = DEFAULT_FACTOR,
    start: int = DEFAULT_START,
    paths: int = 1000,
    seed: int = 0,
    *,
    notice: int | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> dict[str, Detection]:
    """How soon a churn shock (every churn rate x ``factor`` from month ``start``) raises the
    dashboard's alarm under each billing choice, keyed "mix", "all_monthly", "all_annual".

    ``notice`` overrides the scenario's ``renewal_notice_months``. Raises ValueError on bad
    arguments and SimulationTooLargeError (a ValueError) beyond the budget of one request.
    ``checkpoint`` is called before every chunk of paths: an exception it raises (a superseded
    request) stops the work there.
    """
    factor, start, paths, seed, notice = _check_args(scenario, factor, start, paths, seed, notice)
    draws = detection_draws(scenario, paths)
    if draws > MAX_DRAWS:
        most = max(1, MAX_DRAWS * paths // draws)
        raise SimulationTooLargeError(
            f"paths: {paths:,} paths of this scenario need about {draws / 1e6:,.0f} million "
            f"random draws, more than one request may take ({MAX_DRAWS / 1e6:,.0f} million); "
            f"use at most {most:,} paths"
        )
    horizon = scenario.horizon_months
    result: dict[str, Detection] = {}
    root = np.random.SeedSequence(seed)
    starts = list(range(0, paths, CHUNK))
    for policy, choice_seed in zip(CHOICES, root.spawn(len(CHOICES)), strict=True):
        variant = Variant(scenario, policy)
        chunk_seeds = choice_seed.spawn(len(starts))
        shocked = np.zeros((horizon, paths), dtype=bool)
        calm = np.zeros((horizon, paths), dtype=bool)
        calm_testable = np.zeros((horizon, paths), dtype=bool)
        for first, chunk_seed in zip(starts, chunk_seeds, strict=True):
            if checkpoint is not None:
                checkpoint()
            size = min(CHUNK, paths - first)
            cols = slice(first, first + size)
            with_shock, without = _observe(variant, factor, start, notice, size, chunk_seed)
            shocked[:, cols], _ = _alarms(*with_shock)
            calm[:, cols], calm_testable[:, cols] = _alarms(*without)
        result[policy] = _summary(shocked, calm, calm_testable, start)
    return result


def by_month_frame(results: Mapping[str, Detection], start: int) -> pl.DataFrame:
    """The probability of an alarm by month since the shock, long: columns choice (mix,
    all_monthly, all_annual), since (1, 2, ...), month (of the plan) and probability."""
    return pl.DataFrame(
        [
            {"choice": choice, "since": j, "month": start + j - 1, "probability": p}
            for choice, result in results.items()
            for j, p in enumerate(result.by_month, start=1)
        ],
        schema={
            "choice": pl.String,
            "since": pl.Int64,
            "month": pl.Int64,
            "probability": pl.Float64,
        },
    )


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def describe(results: Mapping[str, Detection], factor: float, start: int) -> str:
    """One sentence on what the numbers show, whichever way they point: which billing choice
    raises the alarm sooner (half of the simulated futures alarmed), and by how much."""
    monthly, annual = results["all_monthly"], results["all_annual"]
    m, a = monthly.median_months, annual.median_months
    months = len(monthly.by_month)
    shock = f"churn {factor:g} times as high from month {start}"
    if m is None and a is None:
        return (
            f"With {shock}, fewer than half of the simulated futures raise the alarm within the "
            f"{_months(months)} left in the plan under either all-monthly or all-annual billing: "
            "a rise of this size would likely go unnoticed that long."
        )
    if a is None:
        return (
            f"Monthly billing shows it sooner: with {shock}, half of the futures raise the alarm "
            f"within {_months(m or 0)} under all-monthly billing, while under all-annual billing "
            f"fewer than half do within the {_months(months)} left in the plan."
        )
    if m is None:
        return (
            f"Here annual billing shows it sooner: with {shock}, half of the futures raise the "
            f"alarm within {_months(a)} under all-annual billing, while under all-monthly "
            f"billing fewer than half do within the {_months(months)} left in the plan."
        )
    if m < a:
        head = f"Monthly billing shows it {_months(a - m)} sooner"
    elif a < m:
        head = f"Here annual billing shows it {_months(m - a)} sooner"
    else:
        pm, pa = monthly.by_month[m - 1], annual.by_month[m - 1]
        if abs(pm - pa) < 0.05:
            return (
                f"Monthly and annual billing show it equally soon: with {shock}, half of the "
                f"simulated futures raise the alarm within {_months(m)} under both "
                f"({pm:.0%} under all-monthly, {pa:.0%} under all-annual by then)."
            )
        more, fewer = ("all-monthly", "all-annual") if pm > pa else ("all-annual", "all-monthly")
        high, low = max(pm, pa), min(pm, pa)
        return (
            f"Both show it within {_months(m)} in half of the simulated futures, with {shock}; "
            f"{more} billing in more of them by then ({high:.0%} against {low:.0%} under "
            f"{fewer})."
        )
    return (
        f"{head}: with {shock}, half of the simulated futures raise the alarm within "
        f"{_months(m)} under all-monthly billing and {_months(a)} under all-annual billing."
    )
