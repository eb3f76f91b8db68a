"""Rendering: results.json, the terminal summary, Markdown and self-contained HTML, from jinja2
templates in grader/templates. Everything that came from a submission passes through a filter:
HTML autoescaping, a Markdown fence longer than any backtick run inside, control characters removed.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from .i18n import tr, translator
from .results import RESULTS_NAME, STATUSES, CheckResult, Results, write_results, write_text_atomic
from .statuses import Status
from .text import strip_control

# Reports list failures first: what a student must act on, then what is done, then what is left.
GROUP_ORDER = (Status.ERROR, Status.FAILED, Status.TIMEOUT, Status.INTERNAL_ERROR, Status.PASSED, Status.NOT_ATTEMPTED)
assert set(GROUP_ORDER) == set(STATUSES)


def marks(lang: str) -> dict[str, str]:
    """[FAIL], [ERROR]... of the terminal summary, per status, in ``lang``."""
    return {status: tr(f"mark_{status}").get(lang) for status in STATUSES}


STATUS_MARK = marks("en")


def groups(checks: list[CheckResult]) -> list[dict[str, Any]]:
    """The checks by status, in GROUP_ORDER, each group in course order; empty groups left out."""
    return [{"status": status, "checks": [c for c in checks if c.status == status]}
            for status in GROUP_ORDER if any(c.status == status for c in checks)]


def plain(text: object) -> str:
    """Terminal-safe text: no escape sequences from a submission reach the user's terminal."""
    return strip_control(text)


def md_code(text: object) -> str:
    """A fenced block that the content cannot close early."""
    body = plain(text)
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def md_cell(text: object) -> str:
    """Safe inside a Markdown table cell."""
    return re.sub(r"([\\`*_{}\[\]<>|#!])", r"\\\1", plain(text).replace("\n", " "))


def points(value: float) -> str:
    return f"{value:g}"


TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    # Read into memory now, at import: the judge is loaded before any student code runs, so not
    # even a child that could write this folder would change a report rendered afterwards.
    sources = {p.name: p.read_text(encoding="utf-8") for p in sorted(TEMPLATES.glob("*.j2"))}
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources), auto_reload=False,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "xml.j2"), default_for_string=False),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(plain=plain, md_code=md_code, md_cell=md_cell, points=points)
    env.globals.update(say=say, group_of=_group_heading)
    return env


@jinja2.pass_context
def say(context: Any, obj: Any, field: str) -> str:
    """A check's ``message``/``hint`` (or a staging entry's) in the template's language."""
    lang = context.get("lang", "en")
    if isinstance(obj, CheckResult):
        return obj.text(field, lang)
    if isinstance(obj, dict):
        return (obj.get(f"{field}_zh") or obj.get(field, "")) if lang == "zh" else obj.get(field, "")
    return str(obj)


@jinja2.pass_context
def _group_heading(context: Any, group: dict[str, Any]) -> str:
    t = context["t"]
    return t("group_count", name=t(f"group_{group['status']}"), n=len(group["checks"]))


_ENV = _environment()


def environment() -> jinja2.Environment:
    return _ENV


def render(template: str, results: Results, lang: str = "en", **extra: object) -> str:
    staging = results.staging or {}
    dropped = staging.get("dropped_zh" if lang == "zh" else "dropped") or staging.get("dropped") or []
    return _ENV.get_template(template).render(
        r=results, data=results.to_dict(), functions=results.by_function(), t=translator(lang), lang=lang,
        mark=marks(lang), groups=groups(results.checks), near_misses=staging.get("near_misses") or [],
        load_errors=staging.get("load_errors") or [], dropped=dropped, **extra)


def terminal_summary(results: Results, details: bool = True, lang: str = "en") -> str:
    return render("summary.txt.j2", results, lang, details=details)


INSTRUCTOR_LOG = "instructor.log"


def write_reports(results: Results, out: Path, lang: str = "en") -> dict[str, Path]:
    out = Path(out)
    paths = {"json": out / RESULTS_NAME, "markdown": out / "report.md", "html": out / "report.html"}
    # results.json last: batch grading takes its presence to mean "this student is done".
    write_text_atomic(paths["markdown"], render("report.md.j2", results, lang))
    write_text_atomic(paths["html"], render("report.html.j2", results, lang))
    if results.instructor_log:  # judge-side tracebacks: next to the reports, never inside them
        paths["instructor_log"] = out / INSTRUCTOR_LOG
        write_text_atomic(paths["instructor_log"], "Not for students: the grader's own tracebacks (internal "
                          "errors) for this submission.\n\n" + results.instructor_log)
    write_results(out, results)
    return paths
