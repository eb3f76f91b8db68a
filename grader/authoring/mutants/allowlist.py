"""The equivalent mutants, listed with a reason in mutants-equivalent.yaml at the course root."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ALLOWLIST_NAME = "mutants-equivalent.yaml"


@dataclass(frozen=True)
class Equivalent:
    id: str
    reason: str


def load_allowlist(path: Path) -> dict[str, Equivalent]:
    """mutants-equivalent.yaml: a list of {id, reason}; a missing file is an empty list."""
    from ...errors import HarnessError

    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise HarnessError(f"{path}: expected a list of {{id, reason}} entries")
    entries: dict[str, Equivalent] = {}
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or set(item) != {"id", "reason"}:
            raise HarnessError(f"{path}: entry {i} must have exactly the keys id and reason")
        mid, reason = str(item["id"]).strip(), str(item["reason"] or "").strip()
        if not reason:
            raise HarnessError(f"{path}: entry {mid} has no reason")
        if mid in entries:
            raise HarnessError(f"{path}: {mid} is listed twice")
        entries[mid] = Equivalent(mid, reason)
    return entries
