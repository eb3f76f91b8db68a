"""The check registry: ``@check("hw1.mlp.two_layer_forward.lecture_xor", hint=...)``.

A check is a function of a ``Context`` that returns nothing when the student's answer is right and
raises ``CheckFailed`` otherwise. Its points, visibility and timeout live in assignments.yaml only;
the decorator carries what belongs to the code: the id and the hint tied to the lecture.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .i18n import Text, text

if TYPE_CHECKING:
    from .context import Context

CheckFunction = Callable[["Context"], None]


@dataclass(frozen=True)
class CheckDef:
    id: str
    func: CheckFunction
    hint_text: Text  # both languages; a hint given as a plain string is English only (not translated)
    where: str  # "grader/checks/mlp.py:42", for error messages

    @property
    def hint(self) -> str:
        return self.hint_text.en


_REGISTRY: dict[str, CheckDef] = {}


def check(check_id: str, hint: Any = "") -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. ``hint`` is {"zh": ..., "en": ...} (or a Text); a plain string is English only."""
    def register(func: CheckFunction) -> CheckFunction:
        code = func.__code__
        where = f"{inspect.getsourcefile(func) or code.co_filename}:{code.co_firstlineno}"
        if check_id in _REGISTRY and _REGISTRY[check_id].func is not func:
            raise RuntimeError(f"check id {check_id} registered twice ({_REGISTRY[check_id].where}, {where})")
        hint_text = text(hint)
        _REGISTRY[check_id] = CheckDef(check_id, func, Text(hint_text.zh.strip(), hint_text.en.strip()), where)
        return func
    return register


def all_checks() -> dict[str, CheckDef]:
    """Import every module of grader.checks (once) and return the registry."""
    from . import checks

    for info in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{info.name}")
    return dict(_REGISTRY)
