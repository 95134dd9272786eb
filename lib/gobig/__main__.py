"""Command line: run a study's sweep without Jupyter (e.g. on a GPU box).

    python -m gobig run mnist --profile full
    python -m gobig run mnist --params my.yaml --set SEEDS=[0] --device cuda
    python -m gobig run alphacode --profile cpu
    python -m gobig evaluate mnist 0123456789abcdef --attack autoattack
    python -m gobig retrain mnist 0123456789abcdef   # reproduce a record's weights to re-attack it
    python -m gobig render out.ipynb      # a papermill rerun as one HTML page

It writes the same result records the chapter loads. Once every record of
a profile is committed, ``python -m gobig promote mnist full`` makes that
profile the chapter's defaults (gobig.report.promote).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import yaml

from gobig.core import registry
from gobig.core.errors import UserError, debugging
from gobig.core.params import ParameterError, load_yaml

#: The studies by name (``gobig.core.registry``; each module is imported when its command runs).
STUDIES = {entry.name: entry for entry in registry.STUDIES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gobig", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="load or compute every config of a study")
    run.add_argument("study", choices=sorted(STUDIES))
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--profile", default=None, help="a profile in lib/gobig/profiles (<study>_<profile>.yaml: smoke, full, ...)"
    )
    source.add_argument("--params", default=None, help="a YAML file of NAME: value (as for papermill -f)")
    run.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="override one parameter (YAML value)"
    )
    run.add_argument("--device", default=None, help="auto, cpu or cuda")
    run.add_argument(
        "--results-dir",
        default=None,
        help="folder of result records, read and written (default: $GOBIG_RESULTS_DIR, else results/ in the checkout)",
    )
    run.add_argument(
        "--data-dir",
        default=None,
        help="data folder: MNIST, CodeContests, the Python corpus (default: $GOBIG_DATA_DIR, else ../shared/data beside the checkout, else data/)",
    )
    evaluate = commands.add_parser(
        "evaluate",
        help="attack a record's committed checkpoint again (no retraining); writes results/<study>/evaluations/KEY.ATTACK.json",
    )
    evaluate.add_argument("study", choices=["mnist"])
    evaluate.add_argument(
        "key", nargs="?", default=None, help="the record's key (its file name in results/mnist/, without .json)"
    )
    evaluate.add_argument(
        "--profile",
        default=None,
        help="instead of KEY: every adversarially trained record of this profile that keeps a checkpoint",
    )
    evaluate.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --profile: override one of its parameters",
    )
    evaluate.add_argument(
        "--attack",
        default="autoattack",
        help="autoattack (APGD-CE, APGD-T, FAB-T, Square), one of apgd-ce, apgd-t, fab-t, square, square-strong "
        "(Square with 4x the budget), or eps-sweep (PGD, APGD-CE and APGD-T at l-inf radii 0.05 to 0.4)",
    )
    evaluate.add_argument(
        "--images",
        type=int,
        default=None,
        help="with KEY: attack only the first N of the record's attacked images (a strong attack on a large model)",
    )
    evaluate.add_argument("--device", default="auto", help="auto, cpu or cuda")
    evaluate.add_argument(
        "--results-dir", default=None, help="folder holding <study>/ records (default: the repository's results/)"
    )
    evaluate.add_argument("--data-dir", default=None, help="folder with MNIST (default: gobig.core.paths.data_dir())")
    retrain = commands.add_parser(
        "retrain",
        help="reproduce the weights of an adversarially trained record that kept none (CPU, checked epoch by epoch against "
        "the record's history), so that `evaluate` can attack it",
    )
    retrain.add_argument("study", choices=["mnist"])
    retrain.add_argument("key", help="the record's key (its file name in results/mnist/, without .json)")
    retrain.add_argument(
        "--results-dir", default=None, help="folder holding <study>/ records (default: the repository's results/)"
    )
    retrain.add_argument("--data-dir", default=None, help="folder with MNIST (default: gobig.core.paths.data_dir())")
    render = commands.add_parser(
        "render", help="build an executed notebook (e.g. a papermill rerun) as one HTML page with the book's theme"
    )
    render.add_argument("notebook", help="the executed notebook, e.g. out.ipynb")
    render.add_argument("--output", default=None, help="folder for the page (default: <notebook>_html beside it)")
    check = commands.add_parser(
        "check",
        help="before a book build: every record under the results folder reads and matches its key, and every "
        "chapter's default config has its record (one line per problem)",
    )
    check.add_argument(
        "--results-dir", default=None, help="folder of result records (default: $GOBIG_RESULTS_DIR, else results/)"
    )
    commands.add_parser(
        "reliability-report", help="run the fault-injection and bad-input tests; write results/reliability/report.json"
    )
    promote = commands.add_parser(
        "promote", help="make a profile whose records are all committed the chapter's defaults"
    )
    promote.add_argument("study", choices=sorted(STUDIES))
    promote.add_argument("profile", help="a profile in lib/gobig/profiles, e.g. full")
    parser.add_argument(
        "--debug", action="store_true", help="show the stack of an error, not only its line (also: GOBIG_DEBUG=1)"
    )
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except UserError as error:
        # A wrong parameter, a missing or damaged input, an unwritable folder: the line says what to do.
        if args.debug or debugging():
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    # A process started in the background by a non-interactive shell (nohup
    # ... &) inherits SIGINT ignored, and Python then leaves it so; a sweep
    # must still stop cleanly, keeping its records, when a driver such as
    # gpu/session.sh's `timeout --signal=INT` interrupts it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.command == "promote":
        return _promote(STUDIES[args.study].study, args.profile)
    if args.command == "evaluate":
        from gobig.studies import mnist

        if (args.key is None) == (args.profile is None):
            print("error: give a record's KEY or --profile NAME, not both", file=sys.stderr)
            return 2
        if args.profile is not None:
            try:
                values = {**mnist.load_profile(args.profile), "RESULTS_DIR": args.results_dir}
                for item in args.set:
                    name, _, text = item.partition("=")
                    values[name] = yaml.safe_load(text)
                outcomes = mnist.reattack_profile(values, args.attack, args.data_dir, args.device)
            except (ParameterError, ValueError) as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
            print(f"{len(outcomes)} record(s) of profile {args.profile} re-attacked with {args.attack}")
            return 0
        try:
            outcome = mnist.reattack(
                args.key, args.attack, args.results_dir, args.data_dir, args.device, images=args.images
            )
        except (ParameterError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"{args.key}: {mnist.outcome_text(outcome)}")
        return 0
    if args.command == "retrain":
        from gobig.core.checkpoints import CheckpointError
        from gobig.studies import mnist

        try:
            trained = mnist.retrain(args.key, args.results_dir, args.data_dir)
        except (ParameterError, ValueError, CheckpointError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(
            f"{args.key}: weights reproduced, checkpoint {trained['checkpoint']['file']} (sha256 {trained['checkpoint']['sha256'][:12]})"
        )
        return 0
    if args.command == "render":
        from gobig.report.render import render

        try:
            page = render(args.notebook, args.output)
        except (ValueError, RuntimeError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"wrote {page}")
        return 0
    if args.command == "check":
        from gobig.report.records_check import check_results

        problems = check_results(args.results_dir)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2 if problems else 0
    if args.command == "reliability-report":
        from gobig.report import reliability

        report = reliability.run_suite()
        print(reliability.summary_frame(report).to_string(index=False))
        return 0

    study = STUDIES[args.study].study
    try:
        if args.params and not Path(args.params).is_file():
            raise ParameterError(f"--params: {args.params} does not exist; give a YAML file of NAME: value")
        values = load_yaml(args.params) if args.params else study.load_profile(args.profile or "full")
        for item in args.set:
            name, _, text = item.partition("=")
            values[name] = yaml.safe_load(text)
        for name, value in (("DEVICE", args.device), ("RESULTS_DIR", args.results_dir), ("DATA_DIR", args.data_dir)):
            if value is not None:
                values[name] = value
        records = study.run(values)
    except (ParameterError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Every unit that finished is already on disk; a rerun computes only the rest.
        print(
            f"interrupted: the records written so far are kept; rerun the same command to resume {study.STUDY}",
            file=sys.stderr,
        )
        return 130
    devices = sorted({record["provenance"]["device_name"] for record in records})
    print(f"{len(records)} record(s) in {study.STUDY}: devices {', '.join(devices)}")
    return 0


def _promote(study, profile: str) -> int:
    from gobig.core.store import CorruptRecordError
    from gobig.report.promote import CHAPTERS, DEFAULTS_PATH, PromotionError, promote

    try:
        outcome = promote(study, profile)
    except (PromotionError, ValueError, CorruptRecordError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"{study.STUDY}: the default profile is now {profile!r} ({DEFAULTS_PATH}), and {CHAPTERS[study.STUDY]}'s parameters cell holds its values "
        f"({outcome['records']} records, from {', '.join(outcome['devices'])})."
    )
    for sentence in outcome["interim_prose"]:
        print(f'  rewrite: the chapter still says "{sentence}"')
    print("Then: make notebooks, make test (README and CONTRIBUTING say which profiles are the defaults).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
