"""The Cohorts page's charts: retention heatmaps and the pooled retention curve."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from mrrsim.charts.style import (
    DARK_GREY,
    PLAN_TIP,
    SMALL_HEIGHT,
    TERM_COLORS,
    chart_title,
    layered,
    legend,
    reference_rules,
    with_money_labels,
)

__all__ = ["COHORT_TERM_LABELS", "cohort_heatmap", "retention_curve_chart"]

COHORT_TERM_LABELS = {"monthly": "Monthly plan", "annual": "Annual plan", "all": "Both plans"}
_HEATMAP_CHROME = 150  # px of title, legend and axes: Streamlit fits the whole chart in the height


def _thinned_axis(title: str, values: Sequence[int], target: int) -> alt.Axis:
    """An ordinal axis labelling about ``target`` of its integer values (always the first)."""
    every = max(1, -(-len(values) // target))
    first = values[0] if values else 0
    keep = {v for i, v in enumerate(values) if i % every == 0} | {first}
    test = " || ".join(f"datum.value == {v}" for v in sorted(keep)) or "true"
    return alt.Axis(title=title, labelAngle=0, labelExpr=f"{test} ? datum.label : ''", ticks=False)


def cohort_heatmap(
    cells: pl.DataFrame,
    measure: str,
    x: str,
    currency: str,
    *,
    domain_max: float = 1.0,
    title: str = "",
) -> alt.Chart:
    """Retention heatmap: acquisition month down, months since acquisition (``x="age"``) or
    calendar month (``x="month"``) across, colour = share of the cohort's starting customers
    (``measure="customers"``) or starting MRR (``measure="mrr"``) still there.

    ``cells`` is ``cohorts.cohort_retention`` output for one term (already thinned to the
    cohorts to show). ``domain_max`` fixes the top of the colour scale so charts side by side
    share one scale."""
    ret = f"{measure}_retention"
    data = cells.filter(pl.col(ret).is_not_null()).select(
        "cohort", "age", "month", pl.col(ret).alias("retained"), measure, f"start_{measure}"
    )
    cohorts = data.get_column("cohort").unique().sort().to_list()
    xs = data.get_column(x).unique().sort().to_list()
    x_title = "Months since acquisition" if x == "age" else "Calendar month"
    what = "customers" if measure == "customers" else "MRR"
    if measure == "mrr":
        base = with_money_labels(alt.Chart(data), ["mrr", "start_mrr"], currency)
        amounts = [
            alt.Tooltip("mrr_label:N", title="MRR now"),
            alt.Tooltip("start_mrr_label:N", title="Starting MRR"),
        ]
    else:
        base = alt.Chart(data)
        amounts = [
            alt.Tooltip("customers:Q", title="Customers now", format=",.1f"),
            alt.Tooltip("start_customers:Q", title="Starting customers", format=",.1f"),
        ]
    return (
        base.mark_rect()
        .encode(
            x=alt.X(f"{x}:O", sort=xs, axis=_thinned_axis(x_title, xs, 18)),
            y=alt.Y(
                "cohort:O",
                sort=cohorts,
                axis=_thinned_axis("Acquisition month (cohort)", cohorts, 18),
            ),
            color=alt.Color(
                "retained:Q",
                title=f"% of starting {what}",
                scale=alt.Scale(scheme="blues", domain=[0, domain_max], clamp=True),
                legend=alt.Legend(format=".0%", orient="top", gradientLength=220),
            ),
            tooltip=[
                alt.Tooltip("cohort:O", title="Acquired in month"),
                alt.Tooltip("age:O", title="Months since acquisition"),
                alt.Tooltip("month:O", title="Calendar month"),
                alt.Tooltip("retained:Q", title=f"% of starting {what}", format=".1%"),
                *amounts,
            ],
        )
        .properties(
            height=_HEATMAP_CHROME + min(max(11 * len(cohorts), 180), 400),
            title=chart_title(title),
        )
    )


def retention_curve_chart(curve: pl.DataFrame, measure: str) -> alt.LayerChart:
    """Retention by months since acquisition, all cohorts pooled, one line per billing plan
    (``cohorts.retention_curve`` output), with 100% marked."""
    ret = f"{measure}_retention"
    what = "customers" if measure == "customers" else "MRR"
    data = curve.filter(pl.col(ret).is_not_null()).select(
        pl.col("term")
        .replace_strict(
            list(COHORT_TERM_LABELS), list(COHORT_TERM_LABELS.values()), return_dtype=pl.String
        )
        .alias("plan"),
        "age",
        pl.col(ret).alias("retained"),
        "cohorts",
    )
    domain = [v for v in COHORT_TERM_LABELS.values() if v in set(data.get_column("plan"))]
    palette = dict(zip(COHORT_TERM_LABELS.values(), (*TERM_COLORS, DARK_GREY), strict=True))
    dashes = dict(zip(COHORT_TERM_LABELS.values(), ([1, 0], [1, 0], [5, 4]), strict=True))
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5, interpolate="step-after")
        .encode(
            x=alt.X("age:Q", title="Months since acquisition", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(
                "retained:Q",
                title=f"% of starting {what} retained",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(zero=True),
            ),
            color=alt.Color(
                "plan:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[palette[d] for d in domain]),
                legend=legend(labels=domain),
            ),
            strokeDash=alt.StrokeDash(  # the colour's legend: one merged legend, no warning
                "plan:N",
                title=None,
                scale=alt.Scale(domain=domain, range=[dashes[d] for d in domain]),
                legend=legend(labels=domain),
            ),
            tooltip=[
                PLAN_TIP,
                alt.Tooltip("age:Q", title="Months since acquisition"),
                alt.Tooltip("retained:Q", title=f"% of starting {what}", format=".1%"),
                alt.Tooltip("cohorts:Q", title="Cohorts averaged"),
            ],
        )
    )
    rule = reference_rules([1.0], ["100%: every starting customer or dollar kept"])
    return layered(
        rule,
        lines,
        height=SMALL_HEIGHT + 40,
        title=chart_title(f"Retention curve: % of starting {what} kept, all cohorts pooled"),
    )
