"""The plain Monte Carlo the engine is measured against: the same model (``policy.plan_groups``)
drawn the obvious way, one exact ``rng.binomial`` over all paths per live cohort and month, in a
Python loop over months, groups and cohorts, on one thread, without the normal approximation
or any pooling. Only the benchmark uses it (benchmarks/bench_montecarlo.py)."""

from __future__ import annotations

import numpy as np

from mrrsim.montecarlo import existing_annual_spread, largest_remainders, multiplier
from mrrsim.policy import Variant, as_variant, plan_groups
from mrrsim.scenario import Scenario


def plain_draw(item: Scenario | Variant, paths: int, seed: int) -> dict[str, np.ndarray]:
    """Per-path totals (month, path) of MRR, customers and cash."""
    variant = as_variant(item)
    sc = variant.scenario
    horizon = variant.horizon
    rng = np.random.default_rng(seed)
    churn_mult = multiplier(rng.standard_normal(paths), sc.uncertainty.churn)
    acq_mult = multiplier(rng.standard_normal(paths), sc.uncertainty.acquisition)
    mrr = np.zeros((horizon, paths))
    customers = np.zeros((horizon, paths), dtype=np.int64)
    cash = np.zeros((horizon, paths))
    for seg_idx, seg in enumerate(sc.segments):
        groups = [g for g in plan_groups(variant) if g.seg_idx == seg_idx]
        months = np.arange(horizon)
        n_t = seg.new_customers * (1.0 + seg.acquisition_growth) ** months
        # monthly cohorts: (acquisition month, count array, group)
        monthly: list[tuple[int, np.ndarray, object]] = []
        annual: list[tuple[int, np.ndarray, float, object]] = []
        switched = next(g for g in groups if g.origin == "switched")
        for g in groups:
            if g.term == "monthly" and g.base and g.base[0]:
                monthly.append((0, np.full(paths, round(g.base[0]), dtype=np.int64), g))
            if g.term == "annual" and g.base and any(g.base):
                seg_base = seg.existing_annual_renewals
                spread = (
                    largest_remainders(seg_base)
                    if seg_base is not None
                    else existing_annual_spread(seg.existing_annual_customers)
                )
                for r, count in enumerate(spread, start=1):
                    annual.append((r - 12, np.full(paths, count, dtype=np.int64), g.base_price, g))
        churns = {id(g): np.clip(g.churn * churn_mult, 0.0, 1.0) for g in groups}
        for t in range(1, horizon + 1):
            switch_n = np.zeros(paths, dtype=np.int64)
            switch_mrr = np.zeros(paths)
            for i, (a, count, g) in enumerate(monthly):
                count = rng.binomial(count, 1.0 - churns[id(g)])
                u = g.conversion_at(t)
                price = g.price * (1.0 + g.expansion) ** (t - a)
                if u > 0:
                    movers = rng.binomial(count, u)
                    count = count - movers
                    switch_n += movers
                    switch_mrr += (1.0 - g.discount) * price * movers
                monthly[i] = (a, count, g)
                customers[t - 1] += count
                mrr[t - 1] += price * count
                cash[t - 1] += price * count
            for i, (a, count, unit, g) in enumerate(annual):
                if (t - a) % 12 == 0:
                    count = rng.binomial(count, 1.0 - churns[id(g)])
                    unit = unit * (1.0 + g.expansion)
                    annual[i] = (a, count, unit, g)
                    cash[t - 1] += 12.0 * unit * count
                customers[t - 1] += count
                mrr[t - 1] += unit * count
            for g in groups:
                if g.share > 0:
                    new = rng.poisson(n_t[t - 1] * g.share * acq_mult)
                    if g.term == "monthly":
                        monthly.append((t, new, g))
                        price = g.price
                    else:
                        annual.append((t, new, np.full(paths, g.price), g))
                        price = 12.0 * g.price
                    customers[t - 1] += new
                    mrr[t - 1] += g.price * new
                    cash[t - 1] += price * new
            if switch_n.any():
                unit = np.divide(switch_mrr, switch_n, out=np.zeros(paths), where=switch_n > 0)
                annual.append((t, switch_n, unit, switched))
                customers[t - 1] += switch_n
                mrr[t - 1] += switch_mrr
                cash[t - 1] += 12.0 * switch_mrr
    return {"mrr": mrr, "customers": customers, "cash": cash}
