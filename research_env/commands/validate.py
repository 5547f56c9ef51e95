"""``research-env validate FILE``: the guide's five validation layers on a strategy file you did not write."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    validate = commands.add_parser(
        "validate", help="check untrusted strategy code: imports, builtins, restricted execution, subclass, "
                         "instantiation (layers 3-5 run in the sandbox)")
    validate.add_argument("file", help="the strategy's .py file")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the report; exit status 2 when the code is refused."""
    import json
    from pathlib import Path

    from ..errors import InputError
    from ..strategy.untrusted import validate_strategy

    path = Path(args.file).expanduser()
    if not path.is_file():
        raise InputError(f"strategy file {path} does not exist")
    name = path.stem if path.stem.isidentifier() else "untrusted"
    report = validate_strategy(path.read_text(encoding="utf-8"), name=name)
    print(json.dumps(report.to_dict(), indent=2) if args.json else f"{path}: {report}")
    return 0 if report.ok else 2
