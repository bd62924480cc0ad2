"""mrrsim.charts.predictability: the fan chart carries one plan's simulated quantiles, the
detection chart the engine's chance of an alert by month since churn rose."""

from __future__ import annotations

import polars as pl
import pytest

from mrrsim import charts, detect, montecarlo
from mrrsim.metrics import plan_comparison
from mrrsim.scenario import Scenario
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

PATHS = 200


@pytest.fixture(scope="module")
def preset() -> Scenario:
    return load_preset(DEFAULT_PRESET)


@pytest.fixture(scope="module")
def engine_fan(preset: Scenario) -> pl.DataFrame:
    return montecarlo.simulate_plans(preset, PATHS, 0)


def test_fan_chart_carries_one_plans_quantiles(engine_fan: pl.DataFrame) -> None:
    chart = charts.fan_chart(engine_fan, "All annual", "mrr", "USD", y_max=2e6)
    data = chart.layer[0].data
    data = data if isinstance(data, pl.DataFrame) else chart.data
    expected = engine_fan.filter((pl.col("plan") == "All annual") & (pl.col("metric") == "mrr"))
    assert data.get_column("p50").to_list() == expected.get_column("p50").to_list()
    assert data.height == 36  # aggregated: one row per month, not per path
    spec = chart.to_dict()
    assert spec["layer"][0]["encoding"]["y"]["axis"]["title"] == "MRR (USD)"


def test_detection_chart_draws_one_line_per_billing_choice(preset: Scenario) -> None:
    results = detect.detect(preset, 1.5, 13, 100, 0)
    chart = charts.detection_chart(detect.by_month_frame(results, 13))
    data = chart.layer[0].data
    assert data.get_column("plan").unique(maintain_order=True).to_list() == [
        "Your mix",
        "All monthly",
        "All annual",
    ]
    mix = data.filter(pl.col("plan") == "Your mix").sort("since")
    assert mix.get_column("probability").to_list() == list(results["mix"].by_month)
    assert mix.get_column("month").to_list()[0] == 13
    assert mix.height == preset.horizon_months - 13 + 1
    spec = chart.to_dict()
    assert spec["layer"][0]["encoding"]["y"]["title"].startswith("Chance the dashboard")


def test_fan_y_max_is_above_every_p90_and_projection(
    engine_fan: pl.DataFrame, preset: Scenario
) -> None:
    projection = plan_comparison(preset)
    top = charts.fan_y_max(engine_fan, projection, "mrr")
    p90 = engine_fan.filter(pl.col("metric") == "mrr").get_column("p90").max()
    assert top == pytest.approx(max(p90, projection.get_column("mrr").max()) * 1.05)
    empty = engine_fan.clear()
    assert charts.fan_y_max(empty, projection.clear(), "mrr") == pytest.approx(1.05)
