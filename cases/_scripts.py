"""Helpers shared by case modules (not a category: the plugin skips ``_``-prefixed files)."""

from __future__ import annotations

from harness.guest import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from harness.guest.catalog import Context

__all__ = ["run_json"]


def run_json(ctx: "Context", *parts: str, mode: str = "file") -> Any:
    """Run the parts (each dedented) as one main program; its last stdout line is JSON.

    A program that fails or prints nothing raises RuntimeError with its last error line.
    """
    import json
    import textwrap

    result = ctx.run_script("".join(textwrap.dedent(part) for part in parts), mode=mode)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise RuntimeError("script exit %s: %s" % (result.returncode,
                                                   result.last_error_line() or "no output"))
    return json.loads(lines[-1])
