"""assignments.yaml: assignments, their modules, contract functions and checks with points.

Loaded from the YAML node tree (not ``safe_load``) so that every error names its line.
Validation against the implemented checks lives in ``validate_against_registry``.
"""
from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ManifestError

VISIBILITIES = ("visible", "hidden")
LANGUAGES = ("zh", "en")  # the languages every student-facing text exists in (see i18n.py)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    assignment: str
    module: str
    function: str
    points: float
    visibility: str
    timeout: float
    line: int
    torch_functions: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The last part of the id: what this check examines."""
        return self.id.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ModuleSpec:
    name: str
    functions: tuple[str, ...]
    checks: tuple[CheckSpec, ...]
    import_timeout: float
    line: int
    torch_functions: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()  # dotted names this module may not use (staging/policy.py)


@dataclass(frozen=True)
class Assignment:
    id: str
    title_en: str
    title_zh: str
    lecture_part: int
    modules: tuple[ModuleSpec, ...]

    @property
    def checks(self) -> tuple[CheckSpec, ...]:
        return tuple(c for m in self.modules for c in m.checks)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)


DEFAULT_STUDENT_BUDGET = 900.0


@dataclass(frozen=True)
class Manifest:
    path: str
    assignments: tuple[Assignment, ...]
    language: str = "en"  # the course's default for reports and terminal output; --lang overrides it
    # Seconds of grading one student may take in all; past it the remaining checks are timeouts. A
    # submission whose every call runs just past its timeout would otherwise hold a worker for hours.
    student_budget: float = DEFAULT_STUDENT_BUDGET

    def assignment(self, assignment_id: str) -> Assignment:
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        known = ", ".join(a.id for a in self.assignments)
        raise ManifestError(self.path, None, assignment_id, f"no such assignment (known: {known})")

    def select(self, ids: list[str] | None) -> tuple[Assignment, ...]:
        return tuple(self.assignment(i) for i in ids) if ids else self.assignments

    @property
    def modules(self) -> Iterator[tuple[Assignment, ModuleSpec]]:
        for a in self.assignments:
            for m in a.modules:
                yield a, m

    def module(self, name: str) -> tuple[Assignment, ModuleSpec]:
        for a, m in self.modules:
            if m.name == name:
                return a, m
        raise KeyError(name)

    @property
    def checks(self) -> tuple[CheckSpec, ...]:
        return tuple(c for a in self.assignments for c in a.checks)


# --------------------------------------------------------------------------- loading

class _Reader:
    """Walks YAML nodes, checking keys and types, raising ManifestError with the line."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, key: str, problem: str) -> ManifestError:
        line = node.start_mark.line + 1 if node is not None else None
        return ManifestError(self.path, line, key, problem)

    def mapping(self, node: yaml.Node, where: str, required: set[str],
                optional: AbstractSet[str] = frozenset()) -> dict:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, "expected a mapping")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                raise self.fail(key_node, f"{where}.{key}", "duplicate key")
            if key not in required | optional:
                allowed = ", ".join(sorted(required | optional))
                raise self.fail(key_node, f"{where}.{key}", f"unknown key (allowed: {allowed})")
            out[key] = value_node
        for key in sorted(required - set(out)):
            raise self.fail(node, f"{where}.{key}", "missing required key")
        return out

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, where, "expected a list")
        return list(node.value)

    def string(self, node: yaml.Node, where: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:str" or not node.value:
            raise self.fail(node, where, "expected a non-empty string")
        return node.value

    def number(self, node: yaml.Node, where: str, positive: bool = True) -> float:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (
                "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            raise self.fail(node, where, f"expected a number, got {getattr(node, 'value', node)!r}")
        value = float(node.value)
        if positive and not value > 0:
            raise self.fail(node, where, f"must be positive, got {node.value}")
        return value


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(shown, None, "file", f"cannot read it ({exc.strerror}); "
                            "run from the course folder or pass --manifest") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ManifestError(shown, mark.line + 1 if mark else None, "yaml",
                            f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    r = _Reader(shown)
    if root is None:
        raise ManifestError(shown, None, "file", "is empty")
    top = r.mapping(root, "top", {"schema", "assignments"}, {"defaults", "language"})
    if r.number(top["schema"], "schema") != 1:
        raise r.fail(top["schema"], "schema", "only schema 1 is known")
    language = "en"
    if "language" in top:
        language = r.string(top["language"], "language")
        if language not in LANGUAGES:
            raise r.fail(top["language"], "language", f"must be one of {', '.join(LANGUAGES)}, got {language!r}")
    default_import_timeout = 60.0
    student_budget = DEFAULT_STUDENT_BUDGET
    if "defaults" in top:
        d = r.mapping(top["defaults"], "defaults", set(), {"import_timeout", "student_budget"})
        if "student_budget" in d:
            student_budget = r.number(d["student_budget"], "defaults.student_budget")
        if "import_timeout" in d:
            default_import_timeout = r.number(d["import_timeout"], "defaults.import_timeout")

    seen_checks: dict[str, int] = {}
    seen_modules: dict[str, int] = {}
    seen_assignments: dict[str, int] = {}
    assignments = []
    for a_node in r.sequence(top["assignments"], "assignments"):
        a = r.mapping(a_node, "assignment", {"id", "title", "lecture_part", "modules"})
        a_id = r.string(a["id"], "assignment.id")
        if a_id in seen_assignments:
            raise r.fail(a["id"], f"assignment {a_id}", f"duplicate id (first at line {seen_assignments[a_id]})")
        seen_assignments[a_id] = a["id"].start_mark.line + 1
        title = r.mapping(a["title"], f"{a_id}.title", {"en", "zh"})
        modules = []
        for m_node in r.sequence(a["modules"], f"{a_id}.modules"):
            m = r.mapping(m_node, f"{a_id}.module", {"name", "functions", "checks"},
                          {"import_timeout", "torch_functions", "forbidden"})
            m_name = r.string(m["name"], f"{a_id}.module.name")
            if m_name in seen_modules:
                raise r.fail(m["name"], f"module {m_name}", f"duplicate module (first at line {seen_modules[m_name]})")
            seen_modules[m_name] = m["name"].start_mark.line + 1
            functions = tuple(r.string(f, f"{m_name}.functions")
                              for f in r.sequence(m["functions"], f"{m_name}.functions"))
            torch_functions = tuple(r.string(f, f"{m_name}.torch_functions") for f in (
                r.sequence(m["torch_functions"], f"{m_name}.torch_functions") if "torch_functions" in m else ()))
            for f_name in torch_functions:
                if f_name not in functions:
                    raise r.fail(m["torch_functions"], f"{m_name}.torch_functions",
                                 f"{f_name!r} is not in {m_name}.functions")
            # Dotted names the module may not use, e.g. torch.nn.MultiheadAttention (staging/policy.py).
            forbidden = tuple(r.string(f, f"{m_name}.forbidden") for f in (
                r.sequence(m["forbidden"], f"{m_name}.forbidden") if "forbidden" in m else ()))
            for name in forbidden:
                if not all(part.isidentifier() for part in name.split(".")):
                    raise r.fail(m["forbidden"], f"{m_name}.forbidden", f"{name!r} is not a dotted name "
                                 "such as torch.nn.MultiheadAttention")
            checks = []
            for c_node in r.sequence(m["checks"], f"{m_name}.checks"):
                c = r.mapping(c_node, f"{m_name}.check", {"id", "function", "points", "visibility", "timeout"})
                c_id = r.string(c["id"], f"{m_name}.check.id")
                line = c["id"].start_mark.line + 1
                if c_id in seen_checks:
                    raise r.fail(c["id"], c_id, f"duplicate check id (first at line {seen_checks[c_id]})")
                seen_checks[c_id] = line
                function = r.string(c["function"], f"{c_id}.function")
                if function not in functions:
                    raise r.fail(c["function"], f"{c_id}.function",
                                 f"{function!r} is not in {m_name}.functions")
                prefix = f"{a_id}.{m_name}.{function}."
                if not c_id.startswith(prefix) or len(c_id) == len(prefix):
                    raise r.fail(c["id"], c_id, f"a check id is '{prefix}<name>'")
                visibility = r.string(c["visibility"], f"{c_id}.visibility")
                if visibility not in VISIBILITIES:
                    raise r.fail(c["visibility"], f"{c_id}.visibility", "must be 'visible' or 'hidden'")
                checks.append(CheckSpec(
                    id=c_id, assignment=a_id, module=m_name, function=function,
                    points=r.number(c["points"], f"{c_id}.points"), visibility=visibility,
                    timeout=r.number(c["timeout"], f"{c_id}.timeout"), line=line,
                    torch_functions=torch_functions))
            import_timeout = (r.number(m["import_timeout"], f"{m_name}.import_timeout")
                              if "import_timeout" in m else default_import_timeout)
            modules.append(ModuleSpec(m_name, functions, tuple(checks), import_timeout,
                                      m["name"].start_mark.line + 1, torch_functions, forbidden))
        assignments.append(Assignment(
            id=a_id, title_en=r.string(title["en"], f"{a_id}.title.en"),
            title_zh=r.string(title["zh"], f"{a_id}.title.zh"),
            lecture_part=int(r.number(a["lecture_part"], f"{a_id}.lecture_part")),
            modules=tuple(modules)))
    return Manifest(shown, tuple(assignments), language, student_budget)


def validate_against_registry(manifest: Manifest, implemented: dict[str, str]) -> None:
    """Every declared check is implemented and every implemented check is declared.

    ``implemented`` maps check id -> "file:line" of its implementation.
    """
    declared = {c.id: c for c in manifest.checks}
    for check_id, spec in declared.items():
        if check_id not in implemented:
            raise ManifestError(manifest.path, spec.line, check_id,
                                "no check with this id is implemented in grader/checks/"
                                f"{spec.module}.py; implement it or remove the entry")
    for check_id, where in sorted(implemented.items()):
        if check_id not in declared:
            raise ManifestError(manifest.path, None, check_id,
                                f"implemented at {where} but not declared; add it with its "
                                "points, visibility and timeout under its module")
