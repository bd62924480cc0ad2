"""Every validation rule of docs/model.md, "The scenario", with the exact message a user sees."""

from __future__ import annotations

import pytest
from conftest import make

from mrrsim import ScenarioError, parse_scenario

SEG = {"name": "Pro", "list_price": 99}


def problems(data: object) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    return err.value.problems


def seg_problems(**fields: object) -> list[str]:
    return problems({"name": "x", "segments": [SEG, {**SEG, "name": "B", **fields}]})


def test_defaults():
    sc = make([SEG])
    assert (sc.horizon_months, sc.annual_discount, sc.cost_of_capital, sc.currency) == (
        36,
        0.15,
        0.10,
        "USD",
    )
    seg = sc.segments[0]
    assert seg.new_customers == 0 and seg.annual_share == 0 and seg.annual_discount is None
    assert sc.discount_for(seg) == 0.15
    assert sc.uncertainty.churn == 0 and sc.uncertainty.acquisition == 0


def test_segment_discount_override():
    sc = make([{**SEG, "annual_discount": 0.3}], annual_discount=0.1)
    assert sc.discount_for(sc.segments[0]) == 0.3


def test_scenario_is_frozen():
    sc = make([SEG])
    with pytest.raises(Exception, match="frozen"):
        sc.horizon_months = 12  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("list_price", 0, "segments[1].list_price: must be above 0 and at most 1,000,000 (got 0)"),
        (
            "list_price",
            1_000_001,
            "segments[1].list_price: must be above 0 and at most 1,000,000 (got 1000001)",
        ),
        (
            "new_customers",
            -1,
            "segments[1].new_customers: must be between 0 and 10,000,000 (got -1)",
        ),
        (
            "new_customers",
            10_000_001,
            "segments[1].new_customers: must be between 0 and 10,000,000 (got 10000001)",
        ),
        (
            "acquisition_growth",
            0.6,
            "segments[1].acquisition_growth: must be between -0.5 and 0.5 (got 0.6)",
        ),
        (
            "acquisition_growth",
            -0.51,
            "segments[1].acquisition_growth: must be between -0.5 and 0.5 (got -0.51)",
        ),
        ("annual_share", 1.01, "segments[1].annual_share: must be between 0 and 1 (got 1.01)"),
        (
            "annual_discount",
            1,
            "segments[1].annual_discount: must be at least 0 and below 1 (got 1)",
        ),
        (
            "annual_discount",
            -0.1,
            "segments[1].annual_discount: must be at least 0 and below 1 (got -0.1)",
        ),
        ("monthly_churn", 1.5, "segments[1].monthly_churn: must be between 0 and 1 (got 1.5)"),
        ("annual_churn", -0.01, "segments[1].annual_churn: must be between 0 and 1 (got -0.01)"),
        (
            "monthly_expansion",
            0.51,
            "segments[1].monthly_expansion: must be between -0.5 and 0.5 (got 0.51)",
        ),
        (
            "annual_expansion",
            -0.95,
            "segments[1].annual_expansion: must be between -0.9 and 2 (got -0.95)",
        ),
        (
            "annual_expansion",
            2.5,
            "segments[1].annual_expansion: must be between -0.9 and 2 (got 2.5)",
        ),
        (
            "existing_monthly_customers",
            -3,
            "segments[1].existing_monthly_customers: must be between 0 and 100,000,000 (got -3)",
        ),
        (
            "existing_annual_customers",
            1e9,
            "segments[1].existing_annual_customers: must be between 0 and 100,000,000 (got 1000000000)",
        ),
        ("monthly_churn", "3%", "segments[1].monthly_churn: must be a number (got '3%')"),
        ("monthly_churn", True, "segments[1].monthly_churn: must be a number (got True)"),
        (
            "monthly_churn",
            float("nan"),
            "segments[1].monthly_churn: must be a finite number (got nan)",
        ),
        ("list_price", None, "segments[1].list_price: must be a number (got None)"),
        (
            "montly_churn",
            0.1,
            "segments[1].montly_churn: unknown field (did you mean 'monthly_churn'?)",
        ),
        ("name", "", "segments[1].name: must not be empty"),
        ("name", "x" * 81, "segments[1].name: must be at most 80 characters (got 81)"),
        ("name", 7, "segments[1].name: must be text (got 7)"),
    ],
)
def test_segment_field_rules(field, value, message):
    assert seg_problems(**{field: value}) == [message]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"horizon_months": 0}, "horizon_months: must be between 1 and 120 (got 0)"),
        ({"horizon_months": 121}, "horizon_months: must be between 1 and 120 (got 121)"),
        ({"horizon_months": 12.5}, "horizon_months: must be a whole number (got 12.5)"),
        ({"annual_discount": 1.0}, "annual_discount: must be at least 0 and below 1 (got 1)"),
        ({"cost_of_capital": 1.2}, "cost_of_capital: must be between 0 and 1 (got 1.2)"),
        ({"description": "d" * 2001}, "description: must be at most 2000 characters (got 2001)"),
        ({"name": "n" * 81}, "name: must be at most 80 characters (got 81)"),
        ({"name": "   "}, "name: must not be empty"),
        ({"currency": ""}, "currency: must not be empty"),
        ({"uncertainty": {"churn": 2.5}}, "uncertainty.churn: must be between 0 and 2 (got 2.5)"),
        (
            {"uncertainty": {"acquisition": -1}},
            "uncertainty.acquisition: must be between 0 and 2 (got -1)",
        ),
        (
            {"uncertainty": {"churm": 0.1}},
            "uncertainty.churm: unknown field (did you mean 'churn'?)",
        ),
        ({"horizon": 12}, "horizon: unknown field (did you mean 'horizon_months'?)"),
    ],
)
def test_scenario_field_rules(fields, message):
    assert problems({"name": "x", "segments": [SEG], **fields}) == [message]


def test_whole_float_horizon_is_accepted():
    assert make([SEG], horizon_months=24.0).horizon_months == 24


def test_required_fields():
    assert problems({"segments": [SEG]}) == ["name: required field is missing"]
    assert problems({"name": "x"}) == ["segments: required field is missing"]
    assert problems({"name": "x", "segments": [{"name": "A"}]}) == [
        "segments[0].list_price: required field is missing"
    ]


def test_segment_count_and_unique_names():
    assert problems({"name": "x", "segments": []}) == [
        "segments: must list between 1 and 20 segments (got 0)"
    ]
    many = [{**SEG, "name": f"S{i}"} for i in range(21)]
    assert problems({"name": "x", "segments": many}) == [
        "segments: must list between 1 and 20 segments (got 21)"
    ]
    assert make([{**SEG, "name": f"S{i}"} for i in range(20)]).segments[19].name == "S19"
    assert problems({"name": "x", "segments": [SEG, {**SEG, "name": "pro"}]}) == [
        "segments[1].name: duplicate segment name 'pro' (also segments[0])"
    ]


def test_every_problem_is_reported_at_once():
    found = problems(
        {
            "name": "x",
            "bogus": 1,
            "segments": [{"name": "A", "list_price": -1, "monthly_churn": 2}, {"name": "B"}],
        }
    )
    assert found == [
        "segments[0].list_price: must be above 0 and at most 1,000,000 (got -1)",
        "segments[0].monthly_churn: must be between 0 and 1 (got 2)",
        "segments[1].list_price: required field is missing",
        "bogus: unknown field",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "scenario: must be a mapping of fields (got list)"),
        (None, "scenario: must be a mapping of fields (got nothing)"),
        ("text", "scenario: must be a mapping of fields (got str)"),
        ({1: "a"}, "scenario: field names must be text (got 1)"),
        ({"name": "x", "segments": "abc"}, "segments: must be a list (got 'abc')"),
        ({"name": "x", "segments": [5]}, "segments[0]: must be a mapping of fields (got 5)"),
    ],
)
def test_wrong_shapes(data, message):
    assert problems(data) == [message]


def test_with_segments_changes_every_segment():
    sc = make([SEG, {**SEG, "name": "B"}]).with_segments(annual_share=1.0)
    assert [s.annual_share for s in sc.segments] == [1.0, 1.0]


@pytest.mark.parametrize("currency", ["USD", "EUR", "US$", "€", "£", "CHF", "kr.", "R$"])
def test_currency_codes_and_symbols_are_accepted(currency):
    assert make([SEG], currency=currency).currency == currency


@pytest.mark.parametrize("currency", ["**€**", "<b>", "[a](b)", "$x$_"])
def test_currency_with_markup_is_refused(currency):
    assert problems({"name": "x", "segments": [SEG], "currency": currency}) == [
        "currency: must be a currency code or symbol: letters, digits and signs like $ € £ "
        f"(got {currency!r})"
    ]
