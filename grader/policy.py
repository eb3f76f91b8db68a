"""The judge's own reading of a submission's source: what it may not use, and what it may not touch.

The child enforces the API policy at run time (torch swapped out of numpy exercises during each
call). That sees only what happens inside the call, on the calling thread. This module reads the
staged source with ``ast`` (the student's code is parsed, never run, in the judge) and reports:

- ``forbidden_library``: a numpy exercise that reaches torch (an import, a name bound to torch or
  to anything taken from it, an attribute chain), directly or through the helpers and module-level
  code it uses: a reference saved at import and work done on a thread no longer hide;
- ``forbidden_name``: a name the course forbids for a module (``forbidden:`` in assignments.yaml,
  e.g. nn.MultiheadAttention for the EncoderLayer exercise), however it was imported;
- ``tampering``: code that reaches into the grader or the interpreter's machinery (the harness's
  modules, frames, the garbage collector's object lists, import hooks, code run from strings).

Checks see their module's findings as ``ctx.findings``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    kind: str       # forbidden_library | forbidden_name | tampering
    what: str       # e.g. "torch", "torch.nn.MultiheadAttention", "sys._getframe"
    module: str     # the graded module it was found in
    line: int       # 1-based line in that module's file
    function: str = ""  # the contract function it concerns ("" for the whole module)
