"""The Predictability and Sensitivity pages driven in process with AppTest: every figure shown
equals the engine's for the same inputs (Monte Carlo with the same paths and seed, tornado,
break-even, detection delay), moving an unrelated input does not re-run the simulation, the
uncertainty inputs edit the scenario and its share link, and bad input never breaks a page.
Their chart builders are tested in test_charts_predictability.py and test_charts_sensitivity.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from mrrsim import detect, montecarlo, sensitivity, share
from mrrsim.metrics import PLANS, plan_variants, summarize
from mrrsim.scenario import Scenario, parse_scenario
from mrrsim.ui import fmt_delta_money, fmt_money, fmt_pct
from mrrsim.yamlio import DEFAULT_PRESET, load_preset

APP = Path(__file__).resolve().parents[1] / "app.py"
PREDICTABILITY = "pages/predictability.py"
SENSITIVITY = "pages/sensitivity.py"
TIMEOUT = 120
PATHS = 200  # small, for speed; the page's default is 1,000
RANGES, DASHBOARD = "Range of outcomes", "How soon a churn rise shows"  # Predictability's tabs
TORNADO, GRID = "Which input matters most", "Discount × annual share"  # Sensitivity's tabs


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page(page)
    return at


def open_predictability(seed: int = 0, tab: str = RANGES) -> AppTest:
    """The predictability page with PATHS simulated futures and ``seed``, run once with
    ``tab`` open (the range of outcomes by default, the churn dashboard's with DASHBOARD)."""
    at = open_page(PREDICTABILITY)
    at.session_state["pred.paths"] = PATHS
    at.session_state["pred.seed"] = seed
    at.session_state["pred.tab"] = tab
    return at.run()


def shown_scenario(at: AppTest) -> Scenario:
    return at.session_state["mrrsim.valid"]


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table(at: AppTest, index: int) -> list[dict[str, object]]:
    return at.table[index].value.to_dict("records")


def plans_table(at: AppTest, index: int) -> dict[str, dict[str, object]]:
    """A table with a figure per row and a plan per column, as {plan: {figure: value}}."""
    shown = at.table[index].value.set_index("Figure")
    assert list(shown.columns) == list(PLANS)
    return {plan: shown[plan].to_dict() for plan in PLANS}


def charts_on(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def token_scenario(at: AppTest) -> Scenario:
    token = at.query_params[share.QUERY_KEY]
    return share.decode(token[0] if isinstance(token, list) else token)


@pytest.fixture(scope="module")
def preset() -> Scenario:
    return load_preset(DEFAULT_PRESET)


@pytest.fixture(scope="module")
def pred_app() -> AppTest:
    return open_predictability()


@pytest.fixture(scope="module")
def pred_dashboard() -> AppTest:
    return open_predictability(tab=DASHBOARD)


@pytest.fixture(scope="module")
def engine_fan(preset: Scenario) -> pl.DataFrame:
    return montecarlo.simulate_plans(preset, PATHS, 0)


def horizon_row(fan: pl.DataFrame, plan: str, metric: str, horizon: int) -> dict[str, float]:
    return fan.filter(
        (pl.col("plan") == plan) & (pl.col("metric") == metric) & (pl.col("month") == horizon)
    ).row(0, named=True)


# --- Predictability -----------------------------------------------------------------------------


def test_predictability_runs_with_its_charts(pred_app: AppTest) -> None:
    assert not pred_app.exception
    assert not pred_app.error
    assert pred_app.title[0].value == "Predictability"
    # three fan charts (one metric x three plans, MRR first); the detection chart in its tab
    assert charts_on(pred_app) == 3
    assert pred_app.segmented_control(key="pred.fan_metric").value == "mrr"
    at = open_predictability(tab=DASHBOARD)
    assert not at.exception
    assert not at.error
    assert charts_on(at) == 1
    assert "MRR spread, your mix" not in metric_values(at)  # the ranges' tab is not computed


def test_the_fan_charts_switch_to_cumulative_cash(pred_app: AppTest) -> None:
    def titles() -> list[str]:
        specs = [json.loads(c.proto.spec) for c in pred_app.get("vega_lite_chart")[:3]]
        return [str(spec["layer"][0]["encoding"]["y"]["axis"]["title"]) for spec in specs]

    assert all("MRR" in t for t in titles())
    pred_app.segmented_control(key="pred.fan_metric").set_value("cumulative_cash").run()
    assert not pred_app.exception
    assert charts_on(pred_app) == 3
    assert all("ash" in t for t in titles())
    # the choice survives a visit to the other tab (which does not draw it)
    pred_app.session_state["pred.tab"] = DASHBOARD
    pred_app.run()
    pred_app.session_state["pred.tab"] = RANGES
    pred_app.run()
    assert pred_app.segmented_control(key="pred.fan_metric").value == "cumulative_cash"
    assert all("ash" in t for t in titles())
    pred_app.segmented_control(key="pred.fan_metric").set_value("mrr").run()


def test_spread_figures_equal_the_monte_carlo_engine(
    pred_app: AppTest, preset: Scenario, engine_fan: pl.DataFrame
) -> None:
    shown = metric_values(pred_app)
    rows = plans_table(pred_app, 0)
    for plan in PLANS:
        mrr = horizon_row(engine_fan, plan, "mrr", preset.horizon_months)
        cash = horizon_row(engine_fan, plan, "cumulative_cash", preset.horizon_months)
        expected = fmt_pct((mrr["p90"] - mrr["p10"]) / mrr["p50"])
        assert shown[f"MRR spread, {plan.lower()}"] == expected
        assert rows[plan]["MRR spread"] == expected
        assert rows[plan]["MRR P10"] == fmt_money(mrr["p10"], "USD")
        assert rows[plan]["MRR median"] == fmt_money(mrr["p50"], "USD")
        assert rows[plan]["Cash collected P90"] == fmt_money(cash["p90"], "USD")
        assert rows[plan]["Cash collected spread"] == fmt_pct(
            (cash["p90"] - cash["p10"]) / cash["p50"]
        )
    # a real range: with 25% churn and 20% acquisition uncertainty the spread is wide
    mix = horizon_row(engine_fan, PLANS[0], "mrr", preset.horizon_months)
    assert 0.2 < (mix["p90"] - mix["p10"]) / mix["p50"] < 0.8


def test_default_target_is_the_projection_rounded_and_its_chance_equals_the_engine(
    pred_app: AppTest, preset: Scenario
) -> None:
    ending = summarize(preset)["ending_mrr"]
    assert 1_075_000 <= ending < 1_085_000  # so three significant figures give 1,080,000
    assert pred_app.number_input(key="pred.target").value == 1_080_000.0
    rows = plans_table(pred_app, 0)
    for plan, variant in zip(PLANS, plan_variants(preset), strict=True):
        chance = montecarlo.prob_reaching(variant, 1_080_000.0, PATHS, 0)
        assert rows[plan]["Chance of reaching target"] == fmt_pct(chance, 0)


def test_changing_the_target_does_not_rerun_the_simulation(
    monkeypatch: pytest.MonkeyPatch, preset: Scenario
) -> None:
    calls = {"plan_paths": 0}

    def counted(name: str) -> Callable[..., pl.DataFrame]:
        original = getattr(montecarlo, name)

        def wrapper(*args: object, **kwargs: object) -> pl.DataFrame:
            calls[name] += 1
            return original(*args, **kwargs)

        return wrapper

    for name in calls:
        monkeypatch.setattr(montecarlo, name, counted(name))
    at = open_predictability(seed=4242)  # a seed no other test uses: the cache is cold
    assert calls == {"plan_paths": 1}
    at.number_input(key="pred.target").set_value(900_000.0).run()
    assert not at.exception
    assert calls == {"plan_paths": 1}
    rows = plans_table(at, 0)
    for plan, variant in zip(PLANS, plan_variants(preset), strict=True):
        expected = montecarlo.ending_distribution(variant, PATHS, 4242)
        share_reaching = float((expected.get_column("mrr") >= 900_000.0).mean())
        assert rows[plan]["Chance of reaching target"] == fmt_pct(share_reaching, 0)
    # a new seed is a new simulation
    at.number_input(key="pred.seed").set_value(4243).run()
    assert calls["plan_paths"] == 2


def test_uncertainty_inputs_edit_the_scenario_and_the_share_link(preset: Scenario) -> None:
    at = open_predictability()
    at.number_input(key="pred.cv.churn").set_value(40.0).run()
    assert not at.exception
    scenario = shown_scenario(at)
    assert scenario.uncertainty.churn == 0.4
    assert scenario.uncertainty.acquisition == preset.uncertainty.acquisition
    assert token_scenario(at) == scenario
    assert at.session_state["ed.uncertainty.churn"] == 40.0  # the sidebar editor agrees
    # the spread now follows the new uncertainty, with the engine's numbers
    fan = montecarlo.simulate_plans(scenario, PATHS, 0)
    mrr = horizon_row(fan, PLANS[0], "mrr", scenario.horizon_months)
    assert metric_values(at)["MRR spread, your mix"] == fmt_pct(
        (mrr["p90"] - mrr["p10"]) / mrr["p50"]
    )


def test_no_uncertainty_gives_a_narrower_range(pred_app: AppTest) -> None:
    at = open_predictability()
    at.session_state["ed.uncertainty.acquisition"] = 0.0  # as typed in the sidebar
    at.number_input(key="pred.cv.churn").set_value(0.0).run()
    assert shown_scenario(at).uncertainty.acquisition == 0.0
    narrow = float(metric_values(at)["MRR spread, your mix"].rstrip("%"))
    wide = float(metric_values(pred_app)["MRR spread, your mix"].rstrip("%"))
    assert 0 < narrow < wide / 3  # only Poisson/binomial noise is left


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "pred.paths",
            0,
            "Simulated futures: must be a whole number between 100 and 10,000 (got 0).",
        ),
        (
            "pred.paths",
            20_000,
            "Simulated futures: must be a whole number between 100 and 10,000 (got 20000).",
        ),
        ("pred.target", -5.0, "Target MRR: please enter an amount of 0 or more."),
    ],
)
def test_invalid_page_inputs_give_a_message_and_keep_the_page(
    key: str, value: float, message: str
) -> None:
    at = open_predictability()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert message in [e.value for e in at.error]
    # the rest of the page still runs: the churn dashboard's tab, with the default paths
    at.session_state["pred.tab"] = DASHBOARD
    at.run()
    assert not at.exception
    assert message in [e.value for e in at.error]
    assert at.main.subheader[-1].value.startswith("How soon does a churn problem show")


def test_invalid_uncertainty_is_reported_and_the_last_valid_scenario_kept(
    preset: Scenario,
) -> None:
    at = open_predictability()
    before = metric_values(at)
    at.number_input(key="pred.cv.churn").set_value(500.0).run()
    assert not at.exception
    assert shown_scenario(at) == preset
    assert any("Churn uncertainty" in e.value and "500%" in e.value for e in at.error)
    assert metric_values(at) == before


def test_detection_figures_equal_the_engine(pred_dashboard: AppTest, preset: Scenario) -> None:
    results = detect.detect(preset, 1.5, 13, PATHS, 0, notice=preset.renewal_notice_months)
    rows = {r["Billing"]: r for r in table(pred_dashboard, 0)}
    for choice, plan in zip(detect.CHOICES, PLANS, strict=True):
        shown = rows[plan]
        assert shown["Months until half the futures alerted"] == results[choice].median_months
        assert shown["Chance within 3 months"] == fmt_pct(results[choice].p_within_3, 0)
        rate = results[choice].false_alarm_rate
        assert metric_values(pred_dashboard)[plan] == (f"{rate * 100:.1f}%")
    assert pred_dashboard.info[-1].value == detect.describe(results, 1.5, 13)


def test_notice_months_and_shock_inputs_rerun_the_detection() -> None:
    at = open_predictability(tab=DASHBOARD)
    at.number_input(key="pred.notice").set_value(3)
    at.number_input(key="pred.shock_factor").set_value(1.2)
    at.number_input(key="pred.shock_start").set_value(20).run()
    assert not at.exception
    preset = shown_scenario(at)
    results = detect.detect(preset, 1.2, 20, PATHS, 0, notice=3)
    assert at.info[-1].value == detect.describe(results, 1.2, 20)


def test_an_invalid_shock_is_reported() -> None:
    at = open_predictability(tab=DASHBOARD)
    at.number_input(key="pred.shock_start").set_value(99).run()
    assert not at.exception
    assert "Month the rise starts: must be a whole number between 1 and 36 (got 99)." in [
        e.value for e in at.error
    ]


def scenario_page(scenario: Scenario) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params[share.QUERY_KEY] = share.encode(scenario)
    at.run().switch_page(PREDICTABILITY)
    at.session_state["pred.paths"] = PATHS
    return at.run()


def test_a_scenario_without_customers_gets_a_message_not_a_crash() -> None:
    empty = parse_scenario({"name": "Nobody yet", "segments": [{"name": "A", "list_price": 9}]})
    at = scenario_page(empty)
    assert not at.exception
    assert any("no MRR in at least half of the simulated futures" in i.value for i in at.info)
    at.session_state["pred.tab"] = DASHBOARD
    at.run()
    assert not at.exception
    assert any("nothing for a churn dashboard to watch" in i.value for i in at.info)


def test_runaway_acquisition_gets_a_message_not_a_crash() -> None:
    rocket = parse_scenario(
        {
            "name": "Rocket",
            "horizon_months": 120,
            "segments": [
                {
                    "name": "A",
                    "list_price": 9,
                    "new_customers": 10_000,
                    "acquisition_growth": 0.3,
                    "monthly_churn": 0.02,
                }
            ],
        }
    )
    at = scenario_page(rocket)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("cannot be simulated" in e and "too many to simulate" in e for e in errors)


def test_a_scenario_beyond_the_budget_runs_fewer_paths_and_says_so() -> None:
    seg = {
        "name": "S",
        "list_price": 50,
        "new_customers": 100,
        "annual_share": 0.3,
        "monthly_churn": 0.03,
        "annual_churn": 0.2,
        "monthly_expansion": 0.01,
        "existing_monthly_customers": 1000,
    }
    big = parse_scenario(
        {
            "name": "Big",
            "horizon_months": 120,
            "segments": [{**seg, "name": f"S{i}"} for i in range(20)],
        }
    )
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params[share.QUERY_KEY] = share.encode(big)
    at.run().switch_page(PREDICTABILITY)
    at.session_state["pred.paths"] = 10_000
    at.run()
    assert not at.exception
    usable = montecarlo.affordable_paths(plan_variants(big), 10_000)
    assert usable < 10_000
    warnings = [w.value for w in at.warning]
    assert any(f"showing {usable:,}" in w for w in warnings)


# --- Sensitivity --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sens_app() -> AppTest:
    return open_page(SENSITIVITY).run()


@pytest.fixture(scope="module")
def sens_grid() -> AppTest:
    at = open_page(SENSITIVITY)
    at.session_state["sens.tab"] = GRID
    return at.run()


def lever_sentence(frame: pl.DataFrame, metric: str, delta: float) -> str:
    """The sentence the page must show for the tornado's top row, built from the engine."""
    row = frame.row(0, named=True)
    cols = ("ending_arr", "base_ending_arr") if metric == "ending_arr" else ("npv", "base_npv")
    low, high, base = row[f"{cols[0]}_low"], row[f"{cols[0]}_high"], row[cols[1]]
    pct = f"{delta * 100:.0f}%"
    return (
        f"{pct} less gives {fmt_money(low, 'USD')} ({fmt_delta_money(low - base, 'USD')}), "
        f"{pct} more gives {fmt_money(high, 'USD')} ({fmt_delta_money(high - base, 'USD')}), "
        f"against {fmt_money(base, 'USD')} with your inputs."
    )


def test_sensitivity_runs_with_its_charts(sens_app: AppTest) -> None:
    assert not sens_app.exception
    assert not sens_app.error
    assert sens_app.title[0].value == "Sensitivity"
    assert charts_on(sens_app) == 1  # the tornado; the heatmaps in their own tab
    assert "These maps count the horizon only" not in " ".join(m.value for m in sens_app.markdown)


def test_the_grid_tab_draws_the_two_heatmaps(sens_grid: AppTest) -> None:
    assert not sens_grid.exception
    assert not sens_grid.error
    assert charts_on(sens_grid) == 2
    assert not [r for r in sens_grid.radio if r.key == "sens.metric"]  # the tornado not drawn


def test_tornado_top_bar_equals_the_engine(sens_app: AppTest, preset: Scenario) -> None:
    frame = sensitivity.tornado(preset, 0.2, metric="ending_arr", top=12)
    text = sens_app.markdown[0].value
    assert "List price — all segments" in text  # the biggest lever, by hand: price moves all MRR
    assert frame.row(0, named=True)["label"] == "List price — all segments"
    assert lever_sentence(frame, "ending_arr", 0.2) in text
    # price scales every MRR: ±20% of price is exactly ±20% of ending ARR
    row = frame.row(0, named=True)
    assert row["ending_arr_high"] - row["base_ending_arr"] == pytest.approx(
        0.2 * row["base_ending_arr"], rel=1e-9
    )


def test_tornado_follows_the_metric_and_the_move(preset: Scenario) -> None:
    at = open_page(SENSITIVITY).run()
    at.radio(key="sens.metric").set_value("NPV of cash").run()
    at.select_slider(key="sens.move").set_value(10).run()
    assert not at.exception
    frame = sensitivity.tornado(preset, 0.1, metric="npv_cash", top=12)
    label = frame.row(0, named=True)["label"]
    text = at.markdown[0].value
    assert text.startswith("The biggest lever on the NPV of cash is")
    assert label.split(" — ")[0] in text
    assert lever_sentence(frame, "npv_cash", 0.1) in text


def test_your_point_is_shown_and_the_maps_say_what_they_count(sens_grid: AppTest) -> None:
    texts = " ".join(m.value for m in sens_grid.markdown)
    assert "These maps count the horizon only" in texts
    # Your mix, weighted by new customers 120 / 30 / 5: discount (120·15% + 30·15% + 5·20%) / 155
    # = 15.16%, annual share (120·15% + 30·45% + 5·80%) / 155 = 22.9%.
    caption = " ".join(c.value for c in sens_grid.caption)
    assert "discount 15.2% and annual share 23%" in caption


def test_an_invalid_scenario_input_keeps_the_sensitivity_page(sens_app: AppTest) -> None:
    at = open_page(SENSITIVITY).run()
    at.number_input(key="ed.annual_discount").set_value(150.0).run()
    assert not at.exception
    assert any("last valid scenario" in w.value for w in at.warning)
    assert at.markdown[0].value == sens_app.markdown[0].value
    assert charts_on(at) == 1


def test_a_short_scenario_without_new_customers_runs_on_both_pages() -> None:
    scenario = parse_scenario(
        {
            "name": "Base only",
            "horizon_months": 6,
            "currency": "EUR",
            "segments": [
                {
                    "name": "A",
                    "list_price": 50,
                    "existing_monthly_customers": 100,
                    "existing_annual_customers": 30,
                    "monthly_churn": 0.05,
                    "annual_churn": 0.2,
                }
            ],
        }
    )
    token = share.encode(scenario)
    for page in (PREDICTABILITY, SENSITIVITY):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        at.query_params[share.QUERY_KEY] = token
        at.run().switch_page(page)
        at.session_state["pred.paths"] = PATHS
        at.run()
        assert not at.exception
        assert not at.main.error
        assert shown_scenario(at) == scenario
        if page == PREDICTABILITY:
            assert charts_on(at) == 3  # the fan charts of one metric
            at.session_state["pred.tab"] = DASHBOARD
            at.run()
            assert not at.exception
            assert at.number_input(key="pred.shock_start").value == 6  # the last month, not 13
            assert charts_on(at) == 1
        else:
            assert charts_on(at) == 1  # the tornado
            at.session_state["sens.tab"] = GRID
            at.run()
            assert not at.exception
            texts = " ".join(m.value for m in at.markdown)
            assert "These maps count the horizon only" in texts
            assert charts_on(at) == 2
