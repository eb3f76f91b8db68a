"""Standard result formats for CI and hosted graders: JUnit XML, Gradescope JSON, a Markdown
step summary. Each is a view of ``Results``; none changes a score."""
from __future__ import annotations

import re
from pathlib import Path

from ..i18n import translator
from ..report import environment, groups, marks, plain
from ..results import Results, write_json_atomic, write_text_atomic
from ..statuses import Status

FORMATS = ("junit", "gradescope", "markdown")
FILE_NAMES = {"junit": "junit.xml", "gradescope": "gradescope_results.json", "markdown": "summary.md"}
# XML 1.0 forbids most control characters even when escaped.
_XML_BAD = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd]")
_GRADESCOPE_VISIBILITY = {"visible": "visible", "hidden": "after_published"}


def xml_text(text: object) -> str:
    return _XML_BAD.sub("", plain(text))


def gradescope(results: Results, lang: str = "en") -> dict:
    """Gradescope's autograder results.json: score, and one test per check.

    The top-level ``output`` (shown above the tests) gives the score per assignment and what
    staging found: where the modules were, files left out, or that nothing gradable was there.
    The autograder's stdout stays hidden from students: it is the instructor's debugging log.
    """
    tests = []
    t = translator(lang)
    for number, c in enumerate(results.checks, start=1):
        output = c.text("message", lang) + (f"\n{t('hint_label')}{c.text('hint', lang)}" if c.hint else "")
        tests.append({"name": c.id, "number": str(number), "score": c.score, "max_score": c.max_score,
                      "status": "passed" if c.status == Status.PASSED else "failed",  # Gradescope's two
                      "visibility": _GRADESCOPE_VISIBILITY[c.visibility],
                      "output": plain(output) or t(c.status), "tags": [c.assignment, c.module]})
    return {"score": results.score, "output": plain(_overview(results, lang)),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def _overview(results: Results, lang: str) -> str:
    t = translator(lang)
    staging = results.staging or {}
    lines = [t("unsandboxed")] if results.unsandboxed else []
    lines += [t("near_miss", file=n["file"], expected=n["expected"]) for n in staging.get("near_misses") or []]
    lines += [f"{a.id} {a.title if lang == 'en' else a.title_zh}: {a.score:g} / {a.max_score:g}"
              for a in results.assignments]
    lines += staging.get("notes", [])
    if staging and not staging.get("modules"):
        expected = sorted({f"{c.module}.py" for c in results.checks})
        lines.append(t("nothing_staged").format(modules=", ".join(expected),
                                                notebooks=", ".join(a.id + ".ipynb" for a in results.assignments)))
    dropped = (staging.get("dropped_zh") if lang == "zh" else None) or staging.get("dropped")
    if dropped:
        lines.append(f"{t('not_graded')}{t('colon')} " + "; ".join(dropped))
    lines.append(f"dlgrade {results.grader_version}, {t('seed')} {results.seed}")
    return "\n".join(lines)


def write_format(results: Results, fmt: str, out: Path, lang: str = "en") -> Path:
    path = Path(out) / FILE_NAMES[fmt]
    if fmt == "gradescope":
        write_json_atomic(path, gradescope(results, lang))
        return path
    env = environment()
    env.filters["xml_text"] = xml_text
    template = {"junit": "junit.xml.j2", "markdown": "summary.md.j2"}[fmt]
    text = env.get_template(template).render(r=results, functions=results.by_function(), t=translator(lang),
                                             lang=lang, groups=groups(results.checks), mark=marks(lang))
    write_text_atomic(path, text)
    return path
