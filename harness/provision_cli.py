"""The ``provision`` subcommand of ``python -m harness``: its arguments and what it says."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness.exits import EXIT_FAILED, EXIT_OK, error

__all__ = ["add_parser", "command"]


def add_parser(sub: Any) -> None:
    prov = sub.add_parser(
        "provision", help="build the Debian unstable root: CPython 3.13, 3.14, 3.15, PyPy",
        description="Create (or reuse, upgrade in place, or --refresh) a minimal Debian "
                    "unstable root with python3.13, python3.14, python3.15 and pypy3 "
                    "(debootstrap, needs root, ~30 s, ~480 MB) in a cache folder outside the "
                    "repository, so `nox -s matrix` also fills their columns. Exit 0 ready, 1 "
                    "skipped or failed.")
    prov.add_argument("--root-dir", metavar="DIR",
                      help="where the root lives (default: $HARNESS_ROOT_DIR or "
                           "~/.cache/start-method-matrix/sid-root)")
    prov.add_argument("--mirror", metavar="URL",
                      help="Debian mirror (default: $HARNESS_ROOT_MIRROR or %s)" % (
                          "http://deb.debian.org/debian"))
    action = prov.add_mutually_exclusive_group()
    action.add_argument("--refresh", action="store_true",
                        help="rebuild the root even when a finished one exists")
    action.add_argument("--remove", action="store_true",
                        help="delete the root (after checking nothing is mounted or running "
                             "inside it)")
    prov.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from harness import provision

    cfg = provision.Config.from_env(root_dir=args.root_dir, mirror=args.mirror)

    def out(line: str) -> None:
        sys.stdout.write("provision: %s\n" % line)
        sys.stdout.flush()

    try:
        if args.remove:
            provision.remove(cfg, out)
            out("removed %s" % cfg.root_dir)
            return EXIT_OK
        result = provision.provision(cfg, refresh=args.refresh, out=out)
    except provision.Skip as exc:
        sys.stderr.write("harness: provision skipped: %s\n" % exc)
        return EXIT_FAILED
    except provision.ProvisionError as exc:
        return error("provision failed: %s" % exc, EXIT_FAILED)
    out("%s: %s" % (result.status, result.message))
    return EXIT_OK
