"""``dlgrade gradescope``: the autograder zip that Gradescope builds its image from.

Gradescope's layout (its "Autograder Specifications"): the zip's root holds ``setup.sh``, run once
when the image is built, and ``run_autograder``, run for every submission; the zip is unpacked in
/autograder/source, the submission is in /autograder/submission, and the score goes to
/autograder/results/results.json. Both scripts come from templates in grader/templates and honour
``DLGRADE_AUTOGRADER_ROOT`` instead of /autograder, so tests run them in a temporary tree.

The zip holds the course as far as grading needs it: assignments.yaml, the grader package (checks
included) and what makes it installable (pyproject.toml, README.md). Not the reference solutions,
the stubs, the tests or the example class: no check reads them.
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from .. import HOME, __version__
from ..errors import HarnessError
from ..pipeline import MANIFEST_NAME, Course
from ..report import environment

TORCH = "2.13.0"
ZIP_NAME = "autograder.zip"
COURSE_DIR = "course"
COURSE_FILES = (MANIFEST_NAME, "pyproject.toml", "README.md")
_SKIPPED = ("__pycache__", ".pyc", ".pyo")
# A fixed time stamp: the same course gives the same zip, byte for byte.
_EPOCH = (2020, 1, 1, 0, 0, 0)


def build_autograder(course: Course, assignment_ids: list[str], out: Path, lang: str = "en") -> Path:
    """Write ``out/autograder.zip`` for the given assignments; return its path."""
    known = [a.id for a in course.manifest.assignments]
    unknown = [a for a in assignment_ids if a not in known]
    if not assignment_ids or unknown:
        problem = "no assignment given" if not assignment_ids else f"no {', '.join(unknown)} in the course"
        raise HarnessError(f"gradescope --assignment: {problem}; choose from {', '.join(known)} "
                           "(one Gradescope assignment per dlgrade assignment)")
    missing = [name for name in COURSE_FILES if not (course.root / name).is_file()]
    if missing:
        raise HarnessError(f"{course.root}: {', '.join(missing)} missing; the autograder installs the course "
                           "from these, run this from a complete course folder")
    env = environment()
    values = {"assignments": assignment_ids, "version": __version__, "torch": TORCH, "lang": lang}
    scripts = {"setup.sh": env.get_template("gradescope_setup.sh.j2").render(**values),
               "run_autograder": env.get_template("gradescope_run_autograder.j2").render(**values)}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / ZIP_NAME
    partial = out / f".{ZIP_NAME}.partial"
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in scripts.items():
                _add(zf, name, text.encode("utf-8"), executable=True)
            for name in COURSE_FILES:
                _add(zf, f"{COURSE_DIR}/{name}", (course.root / name).read_bytes())
            grader = HOME
            for path in sorted(grader.rglob("*")):
                if path.is_file() and not any(part in _SKIPPED or part.endswith(_SKIPPED)
                                              for part in path.relative_to(grader).parts):
                    _add(zf, f"{COURSE_DIR}/grader/{path.relative_to(grader).as_posix()}", path.read_bytes())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    zf.writestr(info, data)
