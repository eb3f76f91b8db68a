"""Standard result formats for CI and hosted graders: JUnit XML, Gradescope JSON, a Markdown
step summary. Each is a view of ``Results``; none changes a score."""
from __future__ import annotations

import re
from pathlib import Path

from .i18n import translator
from .report import environment, groups, marks, plain
from .results import Results, write_json_atomic, write_text_atomic

FORMATS = ("junit", "gradescope", "markdown")
FILE_NAMES = {"junit": "junit.xml", "gradescope": "gradescope_results.json", "markdown": "summary.md"}
# XML 1.0 forbids most control characters even when escaped.
_XML_BAD = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd]")
_GRADESCOPE_VISIBILITY = {"visible": "visible", "hidden": "after_published"}


def xml_text(text: object) -> str:
    return _XML_BAD.sub("", plain(text))


def gradescope(results: Results, lang: str = "en") -> dict:
    """Gradescope's autograder results.json: score, and one test per check."""
    tests = []
    t = translator(lang)
    for number, c in enumerate(results.checks, start=1):
        output = c.text("message", lang) + (f"\n{t('hint_label')}{c.text('hint', lang)}" if c.hint else "")
        tests.append({"name": c.id, "number": str(number), "score": c.score, "max_score": c.max_score,
                      "status": "passed" if c.status == "passed" else "failed",
                      "visibility": _GRADESCOPE_VISIBILITY[c.visibility],
                      "output": plain(output) or c.status, "tags": [c.assignment, c.module]})
    return {"score": results.score, "output": f"dlgrade {results.grader_version}, seed {results.seed}",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


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
