"""Command line: ``python -m mrrsim project|summary|simulate|detect|validate|link|from-link|
history|calibrate``.

Bad input of any kind exits with status 2 and one line per problem on stderr (the first ten and a
count of the rest); never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import polars as pl

from mrrsim.metrics import summarize
from mrrsim.problems import capped
from mrrsim.projection import project
from mrrsim.scenario import Scenario, ScenarioError
from mrrsim.yamlio import MAX_BYTES, dump_scenario, load_scenario, loads_scenario, preset_names

if TYPE_CHECKING:
    from mrrsim.billing import Export

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad command-line arguments (exit status 2)."""


class BadInputError(Exception):
    """Bad input with one or more problems, printed one per line (exit status 2)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


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


def _billing_export(args: argparse.Namespace) -> Export:
    """The export named on the command line, its problems raised unless --skip-bad-rows."""
    from mrrsim.billing import read_export

    source: str | bytes = args.export
    if args.export == "-":
        source = sys.stdin.buffer.read()
    elif not Path(args.export).is_file():
        raise UsageError(f"no such file: {args.export}")
    export = read_export(source)
    if not export.usable or (export.problems and not args.skip_bad_rows):
        problems = list(export.problems)
        if export.usable:
            problems.append(
                f"{export.rows_skipped:,} of {export.rows_read:,} rows have problems: fix them, "
                "or pass --skip-bad-rows to leave them out"
            )
        raise BadInputError(problems)
    for line in export.problems:
        print(f"skipped: {line}", file=sys.stderr)
    for line in export.notes:
        print(f"note: {line}", file=sys.stderr)
    return export


def _segment_map(path: str | None) -> dict[str, str] | None:
    """A YAML mapping ``plan name: segment`` (both text), or None."""
    if path is None:
        return None
    import yaml

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES:,} bytes")
    try:
        mapping = yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid YAML ({type(exc).__name__})") from None
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in mapping.items()
    ):
        raise UsageError(f"{path}: must map plan names to segment names (plan: segment)")
    return {k: v.strip() for k, v in mapping.items()}


def _cmd_history(args: argparse.Namespace) -> None:
    from mrrsim.billing import history

    frame = history(_billing_export(args), segments=_segment_map(args.segments))
    if frame.height == 0:
        raise UsageError("no subscription is active at the end of any complete month")
    _write_frame(frame, "csv", args.out)


def _cmd_calibrate(args: argparse.Namespace) -> None:
    from mrrsim.billing import calibrate

    export = _billing_export(args)
    try:
        result = calibrate(
            export, as_of=args.as_of, window=args.window, segments=_segment_map(args.segments)
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    text = result.to_yaml()
    loads_scenario(text)  # the output is a valid scenario (ScenarioError otherwise)
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    if args.out is None:
        sys.stdout.write(text)
        return
    try:
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror}") from None


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
    _billing_commands(command)
    return parser


def _billing_commands(
    command: Callable[[str, Callable[[argparse.Namespace], None], str], argparse.ArgumentParser],
) -> None:
    """``history`` and ``calibrate``: starting from a subscription export."""

    def export_args(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument(
            "export", metavar="EXPORT", help="subscription export CSV (Baremetrics or Stripe), or -"
        )
        cmd.add_argument(
            "--segments", metavar="MAP.yaml", help="YAML mapping plan name -> segment name"
        )
        cmd.add_argument(
            "--skip-bad-rows", action="store_true", help="leave out rows with problems"
        )
        cmd.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")

    cmd = command("history", _cmd_history, "MRR history of a subscription export, as CSV.")
    export_args(cmd)
    cmd = command(
        "calibrate", _cmd_calibrate, "A scenario (YAML) estimated from a subscription export."
    )
    export_args(cmd)
    cmd.add_argument("--as-of", metavar="YYYY-MM", help="default: the last complete month")
    cmd.add_argument("--window", type=_non_negative_int, default=12, metavar="N")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
        args.handler(args)
    except ScenarioError as exc:
        for problem in capped(exc.problems):
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadInputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
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
