"""The dashboard test of docs/model.md, "How soon a churn problem shows": determinism, the
comparisons the analysis exists for, the false-alarm rate the test is built for, hand-checked
small cases and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make

from mrrsim import cli
from mrrsim.detect import CHOICES, Z_ALARM, Detection, _alarms, describe, detect, detection_draws
from mrrsim.montecarlo import MAX_DRAWS, SimulationTooLargeError


def grown_base(**top: object) -> object:
    """No existing customers; 400 new a month for 24 months before the shock, so the monthly
    plan has thousands of customers at risk every month and annual renewals are a twelfth."""
    seg = {
        "name": "A",
        "list_price": 50,
        "new_customers": 400,
        "annual_share": 0.5,
        "monthly_churn": 0.03,
        "annual_churn": 0.3,
    }
    return make([seg], horizon_months=48, **top)


def test_same_seed_same_output_other_seed_other_output() -> None:
    sc = grown_base()
    first = detect(sc, start=25, paths=200, seed=3)
    assert first == detect(sc, start=25, paths=200, seed=3)
    assert first != detect(sc, start=25, paths=200, seed=4)
    assert list(first) == list(CHOICES)


# 300 new customers a month, monthly churn 4% against 10% per annual renewal: a large monthly
# base, so a churn rise is far easier to see under monthly billing
LOPSIDED = {
    "name": "A",
    "list_price": 50,
    "new_customers": 300,
    "annual_share": 0.5,
    "monthly_churn": 0.04,
    "annual_churn": 0.1,
}


def test_monthly_billing_detects_sooner_than_annual_without_notice() -> None:
    # 300 new customers a month, monthly churn 4% against 10% per annual renewal, movers taking
    # the other plan's churn (billing_effect 1). By month 25 all-monthly has ~4,000 customers at
    # risk every month (~160 losses a month, a 15% shock adds ~24: z ~ 1.9 in one month, ~3.3
    # over three), all-annual only the ~400 renewing (~40 losses, +6: z ~ 1 a month) -- the same
    # shock is several times harder to see when only a twelfth of the base can leave.
    sc = make([LOPSIDED], horizon_months=48, billing_effect=1.0)
    out = detect(sc, factor=1.15, start=25, paths=400, seed=1)
    monthly, annual = out["all_monthly"], out["all_annual"]
    assert monthly.median_months is not None and annual.median_months is not None
    assert monthly.median_months < annual.median_months
    assert monthly.p_within_3 is not None and annual.p_within_3 is not None
    assert monthly.p_within_3 > annual.p_within_3 + 0.2
    assert all(m >= a for m, a in zip(monthly.by_month, annual.by_month, strict=True))


def test_notice_months_shorten_annual_delay() -> None:
    # 5,000 annual customers all renewing in months 12, 24, 36: a shock from month 13 can only
    # show at the next renewal, month 24 (12 months, the 13th month counting as 1). With 3 months'
    # notice the non-renewals are announced in month 21: 9 months. The shock is large (50% more
    # of 500 expected losses), so every path alarms in exactly that month.
    seg = {"name": "A", "list_price": 50, "annual_churn": 0.1}
    calendar = [0] * 11 + [5000]
    sc = make([{**seg, "existing_annual_renewals": calendar}], horizon_months=48)
    plain = detect(sc, start=13, paths=100, seed=1)
    noticed = detect(sc, start=13, paths=100, seed=1, notice=3)
    for choice in CHOICES:
        assert plain[choice].median_months == 12
        assert noticed[choice].median_months == 9
        assert plain[choice].by_month[10] < 0.5 and plain[choice].by_month[11] == 1.0
    # the scenario's own renewal_notice_months is the default
    own = make(
        [{**seg, "existing_annual_renewals": calendar}], horizon_months=48, renewal_notice_months=3
    )
    assert detect(own, start=13, paths=100, seed=1) == noticed


def test_false_alarm_rate_is_near_the_one_percent_the_test_is_built_for() -> None:
    # Large counts (z close to normal): the rate is the share of path-months with z >= 2.326,
    # nominally 1%. With 600 paths x 48 months per choice (~29,000 correlated path-months; the
    # 3-month windows overlap, so about a third as many independent ones) the standard error is
    # about sqrt(0.01 x 0.99 / 9600) = 0.1%; we allow 0.5% to 1.6% -- the lower side wider
    # because Binomial counts are discrete and slightly lighter-tailed above the mean.
    sc = make(
        [
            {
                "name": "A",
                "list_price": 50,
                "new_customers": 300,
                "annual_share": 0.4,
                "monthly_churn": 0.04,
                "annual_churn": 0.25,
                "existing_monthly_customers": 8000,
                "existing_annual_customers": 6000,
            }
        ],
        horizon_months=48,
    )
    out = detect(sc, paths=600, seed=5)
    for choice in CHOICES:
        rate = out[choice].false_alarm_rate
        assert rate is not None and 0.005 <= rate <= 0.016, (choice, rate)


def test_by_month_is_cumulative_and_ends_with_the_horizon() -> None:
    sc = grown_base()
    out = detect(sc, start=40, paths=100, seed=0)
    for result in out.values():
        assert len(result.by_month) == 48 - 40 + 1
        assert list(result.by_month) == sorted(result.by_month)
        assert result.p_within_3 == result.by_month[2] and result.p_within_6 == result.by_month[5]
    late = detect(sc, start=47, paths=50, seed=0)["mix"]
    assert len(late.by_month) == 2 and late.p_within_3 is None and late.p_within_6 is None


def test_no_shock_to_see_without_churn_and_no_test_without_customers() -> None:
    # Nobody churns: V = 0 everywhere, so the test never runs, never alarms, and the
    # false-alarm rate is undefined.
    quiet = make([{"name": "A", "list_price": 10, "existing_monthly_customers": 100}])
    for result in detect(quiet, paths=20).values():
        assert result.median_months is None and result.false_alarm_rate is None
        assert set(result.by_month) == {0.0}
    empty = make([{"name": "A", "list_price": 10}])
    assert detect(empty, paths=20)["mix"].false_alarm_rate is None


def test_alarm_rule_by_hand() -> None:
    # One path, exposure 100 a month at rate 0.1: E = 10, V = 9 a month. Losses 10, 10, 25:
    # month 1 z = 0; month 2 z = 0; month 3 window O = 45, E = 30, V = 27 -> z = 15 / 5.196 =
    # 2.887 >= 2.326: alarm. Losses 10, 10, 20: z = 10 / 5.196 = 1.92: no alarm.
    exp = np.full((3, 1), 10.0)
    var = np.full((3, 1), 9.0)
    alarm, testable = _alarms(np.array([[10.0], [10.0], [25.0]]), exp, var)
    assert alarm[:, 0].tolist() == [False, False, True] and testable.all()
    alarm, _ = _alarms(np.array([[10.0], [10.0], [20.0]]), exp, var)
    assert not alarm.any()
    assert 10 / np.sqrt(27) < Z_ALARM < 15 / np.sqrt(27)
    alarm, testable = _alarms(np.ones((3, 1)), np.zeros((3, 1)), np.zeros((3, 1)))
    assert not alarm.any() and not testable.any()  # no alarm while V = 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 0}, "factor: must be above 0 and at most 100 (got 0)"),
        ({"factor": float("nan")}, "factor: must be above 0"),
        ({"start": 0}, "start: must be between 1 and 48 (got 0)"),
        ({"start": 49}, "start: must be between 1 and 48 (got 49)"),
        ({"paths": 0}, "paths: must be between 1 and 100,000 (got 0)"),
        ({"seed": -1}, "seed: must be between 0 and"),
        ({"notice": 12}, "notice: must be between 0 and 11 (got 12)"),
        ({"start": 2.5}, "start: must be a whole number (got 2.5)"),
    ],
)
def test_bad_arguments_get_a_clear_message(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        detect(grown_base(), **kwargs)
    assert str(info.value).startswith(message)


def test_a_detection_beyond_the_budget_is_refused() -> None:
    seg = {"name": "S", "list_price": 9, "new_customers": 50, "annual_share": 0.5}
    sc = make([{**seg, "name": f"S{i}"} for i in range(20)], horizon_months=120)
    # 2 runs x 120 months x 20 segments x 2 live groups in each of the 3 choices
    assert detection_draws(sc, 1) == 2 * 120 * 20 * 6
    most = MAX_DRAWS // detection_draws(sc, 1)
    with pytest.raises(SimulationTooLargeError, match=f"use at most {most:,} paths"):
        detect(sc, paths=most + 1)


def test_cli_prints_the_json_of_every_choice(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["detect", "self-serve-smb", "--paths", "50", "--seed", "2", "--start", "6"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["mix", "all_monthly", "all_annual"]
    for result in data.values():
        assert set(result) == {
            "median_months",
            "p_within_3",
            "p_within_6",
            "false_alarm_rate",
            "by_month",
        }
    preset = cli._read_scenario("self-serve-smb")
    expected = detect(preset, start=6, paths=50, seed=2)
    assert data["mix"] == expected["mix"].to_dict()


def test_cli_refuses_bad_arguments_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["detect", "self-serve-smb", "--factor", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: factor: must be above 0") and err.count("\n") == 1
    assert cli.main(["detect", "self-serve-smb", "--start", "999"]) == 2
    assert "start: must be between 1 and 24" in capsys.readouterr().err


def result(by_month: list[float]) -> Detection:
    """A Detection whose median follows from ``by_month`` as detect() computes it."""
    reached = [j for j, p in enumerate(by_month, start=1) if p >= 0.5]
    return Detection(
        median_months=reached[0] if reached else None,
        p_within_3=by_month[2] if len(by_month) >= 3 else None,
        p_within_6=by_month[5] if len(by_month) >= 6 else None,
        false_alarm_rate=0.01,
        by_month=tuple(by_month),
    )


SLOW = [0.1, 0.2, 0.3, 0.55, 0.7, 0.9]
FAST = [0.3, 0.6, 0.9, 1.0, 1.0, 1.0]
NEVER = [0.0, 0.05, 0.1, 0.1, 0.2, 0.3]


@pytest.mark.parametrize(
    ("monthly", "annual", "expected"),
    [
        (FAST, SLOW, "Monthly billing shows it 2 months sooner: with churn 1.5 times as high "
         "from month 13, half of the simulated futures raise the alarm within 2 months under "
         "all-monthly billing and 4 months under all-annual billing."),
        (SLOW, FAST, "Here annual billing shows it 2 months sooner: with churn 1.5 times as high "
         "from month 13, half of the simulated futures raise the alarm within 4 months under "
         "all-monthly billing and 2 months under all-annual billing."),
        (FAST, NEVER, "Monthly billing shows it sooner: with churn 1.5 times as high from month "
         "13, half of the futures raise the alarm within 2 months under all-monthly billing, "
         "while under all-annual billing fewer than half do within the 6 months left in the "
         "plan."),
        (NEVER, SLOW, "Here annual billing shows it sooner: with churn 1.5 times as high from "
         "month 13, half of the futures raise the alarm within 4 months under all-annual "
         "billing, while under all-monthly billing fewer than half do within the 6 months left "
         "in the plan."),
        (NEVER, NEVER, "With churn 1.5 times as high from month 13, fewer than half of the "
         "simulated futures raise the alarm within the 6 months left in the plan under either "
         "all-monthly or all-annual billing: a rise of this size would likely go unnoticed that "
         "long."),
        (FAST, [0.32, 0.62, 0.9, 1.0, 1.0, 1.0], "Monthly and annual billing show it equally "
         "soon: with churn 1.5 times as high from month 13, half of the simulated futures raise "
         "the alarm within 2 months under both (60% under all-monthly, 62% under all-annual by "
         "then)."),
        ([0.3, 0.8, 1.0, 1.0, 1.0, 1.0], FAST, "Both show it within 2 months in half of the "
         "simulated futures, with churn 1.5 times as high from month 13; all-monthly billing in "
         "more of them by then (80% against 60% under all-annual)."),
        (FAST, [0.5, 0.9, 1.0, 1.0, 1.0, 1.0], "Here annual billing shows it 1 month sooner: "
         "with churn 1.5 times as high from month 13, half of the simulated futures raise the "
         "alarm within 2 months under all-monthly billing and 1 month under all-annual billing."),
    ],
)  # fmt: skip
def test_the_sentence_says_what_the_numbers_show_whichever_way_they_point(
    monthly: list[float], annual: list[float], expected: str
) -> None:
    results = {"mix": result(FAST), "all_monthly": result(monthly), "all_annual": result(annual)}
    assert describe(results, 1.5, 13) == expected


def test_the_sentence_agrees_with_the_engine_on_a_case_each_way() -> None:
    # monthly sooner: the lopsided case of the test above
    monthly_case = detect(
        make([LOPSIDED], horizon_months=48, billing_effect=1.0), factor=1.15, start=25, paths=300
    )
    assert describe(monthly_case, 1.15, 25).startswith("Monthly billing shows it")
    # annual sooner: monthly customers hardly churn (0.5% a month, ~35 losses a month) while
    # 40% of annual customers leave at renewal (~140 a month): the same 20% rise is ~3 standard
    # deviations a month under all-annual and ~1 under all-monthly
    rare = {**LOPSIDED, "monthly_churn": 0.005, "annual_churn": 0.4}
    annual_case = detect(
        make([rare], horizon_months=48, billing_effect=1.0), factor=1.2, start=25, paths=300
    )
    assert describe(annual_case, 1.2, 25).startswith("Here annual billing shows it")


def test_a_superseded_request_stops_before_the_next_chunk() -> None:
    seen: list[int] = []

    def checkpoint() -> None:
        seen.append(1)
        if len(seen) == 2:
            raise KeyboardInterrupt  # stands for Streamlit's stop at a yield point

    with pytest.raises(KeyboardInterrupt):
        detect(grown_base(), paths=3000, checkpoint=checkpoint)
    assert len(seen) == 2  # the first chunk ran, the second never started
