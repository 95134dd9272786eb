"""``python -m gobig.methods.code.sandbox run PROGRAM.py --input FILE ...``: one program,
one input, its result as JSON."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path

from gobig.methods.code.sandbox.compare import COMPARE_MODES
from gobig.methods.code.sandbox.isolation import Limits
from gobig.methods.code.sandbox.supervise import run_program


def _positive(kind: type) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a positive {kind.__name__}, got {text!r}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gobig.methods.code.sandbox", description="Run untrusted Python programs in the sandbox."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run one program on one input and print its result as JSON")
    run.add_argument("program", type=Path, help="the Python source to run")
    run.add_argument("--input", type=Path, required=True, help="file fed to the program's stdin")
    run.add_argument("--expected", type=Path, help="expected output; the verdict is then passed or wrong_answer")
    run.add_argument(
        "--timeout", type=_positive(float), required=True, metavar="S", help="CPU seconds; the wall limit is 2S+1"
    )
    run.add_argument("--memory-mb", type=_positive(int), required=True, metavar="M", help="address-space limit in MiB")
    run.add_argument("--compare", choices=COMPARE_MODES, default="exact")
    args = parser.parse_args(argv)
    try:
        source = args.program.read_text(encoding="utf-8")
        stdin = args.input.read_text(encoding="utf-8")
        expected = args.expected.read_text(encoding="utf-8") if args.expected else None
    except (OSError, UnicodeDecodeError) as error:
        run.error(str(error))
    limits = Limits(cpu_seconds=args.timeout, wall_seconds=2 * args.timeout + 1, memory_mb=args.memory_mb)
    result = run_program(source, stdin, expected=expected, limits=limits, compare=args.compare)
    print(json.dumps(result.to_json()))
    return 0
