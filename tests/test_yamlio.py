"""Safe YAML reading: hostile files are refused before any work, and dump/load round-trips."""

from __future__ import annotations

import pytest
from conftest import make, scenarios
from hypothesis import given

from mrrsim import ScenarioError, dump_scenario, load_scenario, loads_scenario
from mrrsim.scenario import parse_scenario
from mrrsim.yamlio import MAX_BYTES, load_preset, preset_names

GOOD = "name: Test\nsegments:\n  - name: Pro\n    list_price: 99\n"


def refused(data: str | bytes) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        loads_scenario(data)
    return err.value.problems


def test_loads_a_minimal_scenario():
    sc = loads_scenario(GOOD)
    assert sc.name == "Test" and sc.segments[0].list_price == 99


def test_json_is_yaml_too():
    assert loads_scenario('{"name": "J", "segments": [{"name": "A", "list_price": 5}]}').name == "J"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", "scenario file is empty"),
        ("   \n", "scenario file is empty"),
        (b"\xff\xfe\x00\x01", "scenario file is not UTF-8 text (is it a binary file?)"),
        ("name: a\x00b", "scenario file is not text (it contains NUL bytes)"),
        ("- 1\n- 2\n", "scenario: must be a mapping of fields (got list)"),
        ("just text", "scenario: must be a mapping of fields (got str)"),
        (
            "a: &x [1]\nb: *x\n",
            "scenario YAML uses anchors or aliases (& and *), which are not allowed",
        ),
        (
            "a: !!python/object/apply:os.system [ls]",
            "scenario YAML uses a tag (tag:yaml.org,2002:python/object/apply:os.system), which is not allowed",
        ),
        ("a: 1\n---\nb: 2\n", "scenario YAML holds more than one document"),
        ("a: " + "[" * 20 + "]" * 20, "scenario YAML is nested too deeply"),
        (
            "name: [unclosed",
            "scenario is not valid YAML: expected ',' or ']', but got '<stream end>' (line 1, column 16)",
        ),
    ],
)
def test_hostile_or_broken_files_are_refused(data, message):
    assert refused(data) == [message]


def test_billion_laughs_is_refused_before_expansion():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i in range(1, 10):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)},*{chr(96 + i)},*{chr(96 + i)}]\n"
    assert refused(bomb) == [
        "scenario YAML uses anchors or aliases (& and *), which are not allowed"
    ]


def test_oversized_files_are_refused(tmp_path):
    big = GOOD + "description: " + "x" * MAX_BYTES + "\n"
    assert refused(big) == [f"scenario file is larger than {MAX_BYTES:,} bytes"]
    path = tmp_path / "big.yaml"
    path.write_text(big)
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenario(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)


def test_preset_names_never_escape_the_scenarios_folder():
    for name in ("../etc/passwd", "/etc/passwd", "..", "mid-market-mixed.yaml"):
        with pytest.raises(ScenarioError, match="unknown preset"):
            load_preset(name)


def test_every_preset_loads_by_name():
    assert len(preset_names()) >= 4
    for name in preset_names():
        assert load_scenario(name).segments


def test_validation_errors_carry_field_paths():
    assert refused(
        "name: x\nsegments:\n  - name: A\n    list_price: 10\n    monthly_churn: 1.5\n"
    ) == ["segments[0].monthly_churn: must be between 0 and 1 (got 1.5)"]


@given(scenarios())
def test_dump_loads_back_identical(sc):
    assert loads_scenario(dump_scenario(sc)) == sc


def test_dump_is_readable():
    text = dump_scenario(make([{"name": "Pro", "list_price": 99, "annual_discount": 0.2}]))
    assert "list_price: 99\n" in text and "annual_discount: 0.2\n" in text
    assert text.startswith("name: test\n")


def test_a_name_too_long_for_the_file_system_is_a_clean_refusal():
    """Found by fuzzing the CLI: Path.exists() raised on a 400-character argument."""
    with pytest.raises(ScenarioError, match="File name too long"):
        load_scenario("v1." + "a" * 400)


@pytest.mark.parametrize("name", ["0\x850", "a\x85b", "line\u2028break", "para\u2029graph"])
def test_unicode_line_breaks_in_names_survive_yaml(name: str) -> None:
    """Found by a long fuzz run: PyYAML wrote NEL (U+0085) raw in single quotes and read it back
    as a space. Such text is now double-quoted with escapes."""
    data = load_preset("self-serve-smb").to_dict()
    data["name"] = f"Plan {name} x"
    data["segments"][0]["name"] = name
    scenario = parse_scenario(data)
    text = dump_scenario(scenario)
    assert "\x85" not in text and "\u2028" not in text and "\u2029" not in text
    back = loads_scenario(text)
    assert back == scenario
    assert back.segments[0].name == name


SEGMENT = "name: {name}\nsegments:\n  - name: Pro\n    list_price: {price}\n"


@pytest.mark.parametrize(
    ("name", "price", "problem"),
    [
        (
            "x",
            "1:20",
            "line 4: '1:20' is a base-60 number (old YAML reads it as 80): write the number in "
            "plain decimal, or quote it ('1:20') if it is text",
        ),
        ("x", "0x10", "line 4: '0x10' is not a decimal number (old YAML reads it as 16)"),
        ("x", "010", "line 4: '010' is a number with a leading zero (old YAML reads it as 8)"),
        ("x", "0o10", "line 4: '0o10' is not a decimal number (old YAML reads it as text)"),
        ("x", "0b101", "line 4: '0b101' is not a decimal number (old YAML reads it as 5)"),
        ("x", "1_000", "line 4: '1_000' is a number with underscores (old YAML reads it as 1000)"),
        (
            "yes",
            "5",
            "line 1: 'yes' is a yes/no word (old YAML reads it as True): write true or false, "
            "or quote it ('yes') if it is text",
        ),
        ("Off", "5", "line 1: 'Off' is a yes/no word (old YAML reads it as False)"),
        ("ON", "5", "line 1: 'ON' is a yes/no word (old YAML reads it as True)"),
    ],
)
def test_yaml_1_1_look_alikes_are_refused_saying_what_to_write(name, price, problem):
    (line,) = refused(SEGMENT.format(name=name, price=price))
    assert line.startswith(problem)
    assert "write" in line


def test_plain_values_follow_yaml_1_2_core_rules():
    """Dates and yes/no words quoted are text, ``1e3`` and ``.5`` are numbers."""
    sc = loads_scenario(SEGMENT.format(name="2020-01-01", price="1e3"))
    assert (sc.name, sc.segments[0].list_price) == ("2020-01-01", 1000.0)
    sc = loads_scenario(SEGMENT.format(name="'yes'", price=".5"))
    assert (sc.name, sc.segments[0].list_price) == ("yes", 0.5)
    sc = loads_scenario(SEGMENT.format(name='"1:20"', price="+12"))
    assert (sc.name, sc.segments[0].list_price) == ("1:20", 12)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "name: a\nname: b\nsegments: [{name: Pro, list_price: 1}]\n",
            ["line 2: the key 'name' is given twice (also on line 1); keep one"],
        ),
        (
            "name: a\nsegments:\n  - name: Pro\n    list_price: 1\n    list_price: 2\n",
            ["line 5: the key 'list_price' is given twice (also on line 4); keep one"],
        ),
        (
            '{"name": "a", "segments": [], "name": "b", "segments": []}',
            [
                "line 1: the key 'name' is given twice (also on line 1); keep one",
                "line 1: the key 'segments' is given twice (also on line 1); keep one",
            ],
        ),
    ],
)
def test_duplicate_keys_are_refused_naming_key_and_line(text, problems):
    assert refused(text) == problems


@pytest.mark.parametrize("name", ["1e3", "0o10", "yes", "1.0e5", "1:20", "010", "null", "0x1F"])
def test_names_that_look_like_values_are_quoted_when_written(name):
    sc = make([{"name": name, "list_price": 1}], name=name)
    text = dump_scenario(sc)
    assert text.count(f"name: '{name}'") == 2
    assert loads_scenario(text) == sc
