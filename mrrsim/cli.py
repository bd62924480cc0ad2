"""Command line: ``python -m mrrsim project|summary|simulate|detect|validate|link|from-link``.

Bad input of any kind exits with status 2 and one line per problem on stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import polars as pl

from mrrsim.metrics import summarize
from mrrsim.projection import project
from mrrsim.scenario import Scenario, ScenarioError
from mrrsim.yamlio import MAX_BYTES, dump_scenario, load_scenario, loads_scenario, preset_names

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad command-line arguments (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `python -m mrrsim {self._sub_hint()}--help`)")

    def _sub_hint(self) -> str:
        parts = self.prog.split()
        return f"{parts[-1]} " if len(parts) > 3 else ""


def _read_scenario(source: str) -> Scenario:
    """A path, ``-`` for standard input, or a preset name."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        return loads_scenario(data)
    return load_scenario(source)


def _write_frame(frame: pl.DataFrame, fmt: str, out: str | None) -> None:
    """CSV (full precision), JSON (a list of row objects) or Parquet, to a file or stdout."""
    buffer = io.BytesIO()
    if fmt == "csv":
        frame.write_csv(buffer)
    elif fmt == "json":
        frame.write_json(buffer)
    else:
        frame.write_parquet(buffer)
    data = buffer.getvalue()
    if out is None:
        if fmt == "parquet" and sys.stdout.isatty():
            raise UsageError("parquet is binary: pass --out FILE or redirect stdout")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(out).write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None


def _cmd_project(args: argparse.Namespace) -> None:
    _write_frame(project(_read_scenario(args.scenario)), args.format, args.out)


def _cmd_summary(args: argparse.Namespace) -> None:
    scenario = _read_scenario(args.scenario)
    result: dict[str, object] = dict(summarize(scenario).to_dict())
    if args.plans:
        from mrrsim.projection import all_annual, all_monthly

        result["all_monthly"] = summarize(all_monthly(scenario)).to_dict()
        result["all_annual"] = summarize(all_annual(scenario)).to_dict()
    print(json.dumps(result, indent=2))


def _cmd_simulate(args: argparse.Namespace) -> None:
    from mrrsim.montecarlo import simulate

    scenario = _read_scenario(args.scenario)
    try:
        frame = simulate(scenario, paths=args.paths, seed=args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _write_frame(frame, args.format, args.out)


def _cmd_detect(args: argparse.Namespace) -> None:
    from mrrsim.detect import detect

    scenario = _read_scenario(args.scenario)
    try:
        result = detect(
            scenario, factor=args.factor, start=args.start, paths=args.paths, seed=args.seed
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(json.dumps({choice: r.to_dict() for choice, r in result.items()}, indent=2))


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None


def _cmd_validate(args: argparse.Namespace) -> None:
    sc = _read_scenario(args.scenario)
    n = len(sc.segments)
    print(f"ok: {sc.name} ({n} segment{'s' if n != 1 else ''}, {sc.horizon_months} months)")


def _cmd_link(args: argparse.Namespace) -> None:
    from mrrsim.share import share_url

    print(share_url(_read_scenario(args.scenario), args.base_url))


def _cmd_from_link(args: argparse.Namespace) -> None:
    from mrrsim.share import scenario_from_url

    sys.stdout.write(dump_scenario(scenario_from_url(args.url)))


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more (got {value})")
    return value


def _parser() -> argparse.ArgumentParser:
    presets = ", ".join(preset_names())
    parser = _Parser(
        prog="python -m mrrsim",
        description="What-if planning for subscription billing: monthly vs annual prepaid.",
        epilog=f"SCENARIO is a YAML file, - for standard input, or a preset: {presets}",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    def command(
        name: str, handler: Callable[[argparse.Namespace], None], text: str
    ) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.set_defaults(handler=handler)
        return cmd

    def scenario_arg(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument(
            "scenario", metavar="SCENARIO", help="YAML path, - for stdin, or a preset name"
        )

    def output_args(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")
        cmd.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")

    cmd = command("project", _cmd_project, "The month-by-month projection table (SPEC section 4).")
    scenario_arg(cmd)
    output_args(cmd)
    cmd = command("summary", _cmd_summary, "Summary metrics as one JSON object (SPEC section 5).")
    scenario_arg(cmd)
    cmd.add_argument(
        "--plans", action="store_true", help="also summarise all-monthly and all-annual"
    )
    cmd = command("simulate", _cmd_simulate, "Monte Carlo ranges per month (SPEC section 6).")
    scenario_arg(cmd)
    cmd.add_argument("--paths", type=_non_negative_int, default=1000, metavar="N")
    cmd.add_argument("--seed", type=_non_negative_int, default=0, metavar="S")
    output_args(cmd)
    cmd = command(
        "detect",
        _cmd_detect,
        "How soon a churn shock raises a dashboard alarm, per billing choice (JSON).",
    )
    scenario_arg(cmd)
    cmd.add_argument("--factor", type=_number, default=1.5, metavar="K", help="churn x K")
    cmd.add_argument("--start", type=_whole, default=13, metavar="M", help="from month M")
    cmd.add_argument("--paths", type=_whole, default=1000, metavar="N")
    cmd.add_argument("--seed", type=_whole, default=0, metavar="S")
    cmd = command("validate", _cmd_validate, "Check a scenario; list every problem found.")
    scenario_arg(cmd)
    cmd = command("link", _cmd_link, "Print a share link that reproduces the scenario.")
    scenario_arg(cmd)
    cmd.add_argument("--base-url", default="http://localhost:8501/", metavar="URL")
    cmd = command("from-link", _cmd_from_link, "Print the scenario inside a share link as YAML.")
    cmd.add_argument("url", metavar="URL", help="a share link (or just its token)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
        args.handler(args)
    except ScenarioError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
