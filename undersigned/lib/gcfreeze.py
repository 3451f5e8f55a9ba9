"""Keep the garbage collector's full passes short in the long-running processes.

Every so often CPython's collector walks every object a process holds to find reference
cycles. After start-up a web process holds tens of thousands (modules, Django's URL patterns,
models, translations), none of them garbage, and walking them all takes CPU with the GIL held:
every request in that process stops meanwhile, and on SQLite a pass that falls inside a batch's
commit holds up the other process's signers too. `gc.freeze()` moves what exists at that moment
out of the collector's sight, which keeps those passes short. What is created later is
collected as usual.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Call once a process has loaded what it keeps for its whole life, before it serves."""
    # Collect first, so that start-up's own garbage is freed rather than frozen with the rest.
    gc.collect()
    gc.freeze()
