"""Command line: `python -m iclsc <command>`.

Each command lives in its own module and registers itself in COMMANDS; the module is
imported only when its command runs, so a light command does not pay for heavy imports.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). The module defines add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("iclsc.pipeline", "build the warehouse and publish a release (./scripts/run)"),
    "generate": ("iclsc.generate", "write a synthetic I-CLSC extract"),
    "fiscal-periods": ("iclsc.fiscal", "write the fiscal period calendar seed"),
    "publish": ("iclsc.publish", "publish a release from a built warehouse"),
    "check-raw": ("iclsc.quality.preflight", "check the structure of a raw extract"),
    "upload": ("iclsc.publish.upload", "send a release to a CKAN portal (dry run by default)"),
    "changed": ("iclsc.changed", "build only what changed since a release (dbt state)"),
    "load-raw": ("iclsc.engines.load", "copy the raw extract into PostgreSQL or Spark"),
    "dbt": ("iclsc.engines.run_dbt", "run dbt on ICLSC_TARGET with the pseudonymisation key"),
    "audit": ("iclsc.privacy.audit", "prove what an attacker can learn of every withheld cell"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iclsc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    argv = sys.argv[1:] if argv is None else argv
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text)
        # Only the chosen command's module is imported.
        if argv and argv[0] == name:
            module = importlib.import_module(module_name)
            module.add_arguments(command_parser)
            modules[name] = module
    if argv[:1] == ["dbt"]:
        # Everything after `dbt` is dbt's, its global flags (--quiet, --debug) included,
        # which argparse would otherwise take for options of ours.
        args = argparse.Namespace(command="dbt", dbt_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    return int(modules[args.command].run(args) or 0)
