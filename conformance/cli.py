"""The ``conformance`` command: one sub-command per module, each adding its own arguments.

A sub-command module exposes ``configure(parser)`` and ``execute(args) -> int``. Usage
errors exit 2 with a one-line message (argparse's convention); nothing prints a traceback
for a user's mistake.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from conformance import __version__

# name -> (module, one-line help). Each module keeps its top-level imports light (heavy ones
# go inside `execute`), so `conformance requirements` does not pay for the server or engine.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("conformance.run_command", "certify a server (default: the embedded reference server)"),
    "serve": ("conformance.server.command", "serve the reference implementation"),
    "requirements": ("conformance.requirements_command", "print the requirement catalogue"),
    "report": ("reports.command", "re-render a saved report.json"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conformance",
        description="Conformance suite for the OpenAI Assistants API POST /v1/threads/runs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        module.configure(command_parser)
        command_parser.set_defaults(_execute=module.execute)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._execute(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
