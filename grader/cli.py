"""The ``dlgrade`` command: a thin layer over the pipeline (grade, check, validate)."""
from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from . import __version__
from .errors import HarnessError
from .i18n import LANGUAGES, Text, tr, translator
from .oracles import RECORD_SEED
from .pipeline import Course, find_course_root, grade, load_course, warm_judge
from .report import terminal_summary, write_reports
from .runners import isolation
from .statuses import EntryStatus
from .text import strip_control

_LANG: list[str] = []  # the language in force once known (for errors raised before a course is loaded)


def _course(args: argparse.Namespace, start: Path) -> Course:
    root = Path(args.course) if args.course else find_course_root(start)
    course = load_course(root)
    _LANG[:] = [_lang(args, course)]
    return course


def _lang(args: argparse.Namespace, course: Course | None = None) -> str:
    """--lang, else the course's language (assignments.yaml), else English."""
    return args.lang or (course.manifest.language if course is not None else "en")


def _say(args: argparse.Namespace, course: Course, key: str, **fields: object) -> None:
    print(translator(_lang(args, course))(key, **fields))


def _instructor_course(args: argparse.Namespace, command: str) -> Course:
    """The course, for a command that needs the instructor's files (reference/, examples/)."""
    from .authoring.bundle import MARKER

    course = _course(args, Path.cwd())
    if (course.root / MARKER).is_file() or not (course.root / "reference").is_dir():
        raise HarnessError(tr("instructor_only", command=command, root=course.root))
    return course


def _start_sandbox(unsandboxed: bool) -> None:
    """The template imports torch in its own process while the judge loads the course."""
    from .pipeline import hidden_paths_of_package
    from .runners.sandbox import start_template

    start_template(hidden_paths_of_package(), unsandboxed)


def cmd_grade(args: argparse.Namespace) -> int:
    from .classroom.formats import write_format

    submission = Path(args.submission)
    _start_sandbox(args.unsandboxed)
    course = _course(args, Path.cwd())
    lang = _lang(args, course)
    threading.Thread(target=warm_judge, name="dlgrade-warm", daemon=True).start()
    results = grade(course, submission, assignment_ids=args.assignment or None, seed=args.seed,
                    visible_only=args.visible_only, unsandboxed=args.unsandboxed)
    paths = write_reports(results, Path(args.out), lang)
    extra = [write_format(results, fmt, Path(args.out), lang) for fmt in args.format or ()]
    if "markdown" in (args.format or ()) and os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as summary:
            summary.write(extra[args.format.index("markdown")].read_text(encoding="utf-8"))
    print(terminal_summary(results, details=False, lang=lang), end="")
    print()
    _say(args, course, "wrote", paths=", ".join(str(p) for p in [*paths.values(), *extra]))
    if results.instructor_log:  # an internal error: the results are written, the exit status says so
        print(translator(lang)("internal_errors_logged", path=paths["instructor_log"]), file=sys.stderr)
        return 3
    return _fail_under(results.score, results.max_score, args.fail_under, lang)


def _fail_under(score: float, max_score: float, percent: float | None, lang: str = "en") -> int:
    if percent is None or max_score == 0:
        return 0
    got = 100.0 * score / max_score
    if got < percent:
        print(translator(lang)("fail_under", got=f"{got:.1f}", percent=f"{percent:g}"), file=sys.stderr)
        return 1
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from .classroom.batch import run_batch
    from .classroom.roster import parse_assignment_option

    course = _course(args, Path.cwd())
    summary = run_batch(course, Path(args.submissions), Path(args.out), workers=args.workers, seed=args.seed,
                        assignment_ids=args.assignment or None, force=args.force, executor=args.executor,
                        scheduler=args.scheduler, lang=_lang(args, course),
                        roster=Path(args.roster) if args.roster else None, roster_column=args.roster_column,
                        missing=args.missing, canvas_columns=parse_assignment_option(args.canvas_assignment),
                        unsandboxed=args.unsandboxed)
    _print_batch(summary, Path(args.out), _lang(args, course))
    return 0


def _print_batch(summary: dict, out: Path, lang: str = "en") -> None:
    t = translator(lang)
    print(t("batch_head", students=summary["students"], now=summary["graded_now"], skipped=summary["skipped"],
            seed=summary["seed"]))
    for row in summary["class"]:
        status = row["status"]
        score = f"{row.get('score', 0):g} / {row.get('max_score', 0):g}" if status == EntryStatus.GRADED else t(status)
        # Folder names are the students' text: no escape or bidi sequence reaches the terminal.
        print(f"  {strip_control(row['student'], '?'):<24} {score}")
        message = (row.get("message_zh") or row.get("message")) if lang == "zh" else row.get("message")
        if status != EntryStatus.GRADED and message:
            print(f"    {strip_control(message, '?')}")
    for row in summary.get("unmatched", []):
        if row is summary["unmatched"][0]:
            print(t("unmatched_head", n=len(summary["unmatched"])))
        print(f"  {strip_control(row['student'], '?'):<24} {strip_control(row['reason'], '?')}")
    if summary.get("roster_without_submission"):
        print(t("roster_without", n=summary["roster_without_submission"]))
    print(t("gradebook", path=out / "gradebook.csv"))
    print(t("class_report_at", path=out / "class_report.html"))


def cmd_demo(args: argparse.Namespace) -> int:
    from .classroom.batch import run_batch

    course = _instructor_course(args, "demo")
    submissions = course.root / "examples" / "class"
    out = Path(args.out)
    lang = _lang(args, course)
    summary = run_batch(course, submissions, out, workers=args.workers, seed=args.seed, force=True, lang=lang,
                        unsandboxed=args.unsandboxed)
    _print_batch(summary, out, lang)
    return 0


def cmd_gradescope(args: argparse.Namespace) -> int:
    from .classroom.gradescope import build_autograder

    course = _course(args, Path.cwd())
    path = build_autograder(course, args.assignment, Path(args.out), _lang(args, course))
    points = sum(course.manifest.assignment(a).max_score for a in args.assignment)
    print(f"wrote {path}: grades {', '.join(args.assignment)} ({points:g} points).\n"
          "On Gradescope: create a Programming Assignment with that many points, open Configure "
          "Autograder, upload this zip (base image: Ubuntu 22.04 or newer) and build; see docs/platforms.md.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    start = folder if folder.is_dir() else Path.cwd()
    if folder.suffix == ".ipynb" and not args.course:
        try:  # a notebook inside the course: its course, wherever the command runs
            start = find_course_root(folder.parent)
        except HarnessError:
            pass
    course = _course(args, start)
    unsandboxed = args.unsandboxed
    if not unsandboxed:
        try:
            isolation.detect()
        except isolation.SandboxUnavailable:
            # Students check their own code on their own machine (macOS, Windows, WSL...): nothing
            # to forge there, so the checks run without the sandbox, and the summary says so.
            unsandboxed = True
    results = grade(course, folder, assignment_ids=args.assignment or None, seed=RECORD_SEED, visible_only=True,
                    label=str(folder), unsandboxed=unsandboxed)
    lang = _lang(args, course)
    print(terminal_summary(results, details=True, lang=lang), end="")
    print("\n" + translator(lang)("visible_only"))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .authoring.validate import validate_course

    course = _instructor_course(args, "validate")
    problems = validate_course(course, seed=args.seed, report=print)
    for p in problems:
        _say(args, course, "problem", text=p)
    if problems:
        _say(args, course, "validate_problems", n=len(problems))
    else:
        _say(args, course, "validate_ok")
    return 0 if not problems else 1


def cmd_release(args: argparse.Namespace) -> int:
    from .authoring.release import release

    course = _instructor_course(args, "release")
    if args.student:
        from .authoring.bundle import build_bundle

        if not args.out:
            raise HarnessError("release --student needs --out DIR: the folder for the student bundle")
        counts = build_bundle(course, Path(args.out))
        _say(args, course, "bundle_written", out=args.out, stubs=counts["stubs"], notebooks=counts["notebooks"],
             visible=counts["visible_checks"], hidden=counts["hidden_checks_left_out"])
        return 0
    out = Path(args.out) if args.out else course.root / "exercises"
    stubs = release(course.root, course.manifest, out, force=args.force)
    _say(args, course, "stubs_written", n=len(stubs), out=out)
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    from .authoring.notebooks import write_notebooks

    course = _instructor_course(args, "notebooks")
    paths = write_notebooks(course.root, course.manifest, Path(args.out), args.assignment or None)
    _say(args, course, "notebooks_written", names=", ".join(p.name for p in paths), out=args.out)
    return 0


def cmd_mutants(args: argparse.Namespace) -> int:
    import time

    from .authoring import mutants

    course = _instructor_course(args, "mutants")
    names = [m.name for _, m in course.manifest.modules]
    unknown = [n for n in args.module or () if n not in names]
    if unknown:
        raise HarnessError(f"no module {', '.join(unknown)} in the course (modules: {', '.join(names)})")
    selected = [n for n in names if not args.module or n in args.module]
    allowlist = mutants.load_allowlist(course.root / mutants.ALLOWLIST_NAME)
    started = time.monotonic()
    results = mutants.run_mutants(course.root, selected, seed=args.seed, workers=args.workers, allowlist=allowlist)
    out = Path(args.out) if args.out else _mutants_report(course.root, selected, names)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mutants.render_report(results, seed=args.seed, min_kill=args.min_kill,
                                         seconds=time.monotonic() - started), encoding="utf-8")
    print("\n".join(mutants.summary_lines(results, args.min_kill)))
    _say(args, course, "wrote", paths=out)
    return 1 if any(r.total()["rate"] < args.min_kill for r in results) else 0


def cmd_new_check(args: argparse.Namespace) -> int:
    from .authoring import new_check

    root = Path(args.course) if args.course else find_course_root(Path.cwd())
    if not (root / "reference").is_dir():
        raise HarnessError(tr("instructor_only", command="new-check", root=root))
    return new_check.run(root, args.id, points=args.points, visibility=args.visibility, timeout=args.timeout,
                         new_function=args.new_function, dry_run=args.dry_run)


def _mutants_report(root: Path, selected: list[str], names: list[str]) -> Path:
    """docs/mutants.md for the whole course; a run over some modules never replaces it."""
    if selected == names:
        return root / "docs" / "mutants.md"
    return root / "docs" / f"mutants-{'-'.join(selected)}.md"


def _global_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--course", default=default, help="course folder holding assignments.yaml (default: "
                        "found by looking upwards from the current folder)")
    parser.add_argument("--lang", choices=LANGUAGES, default=default, help="language of reports and terminal "
                        "output (default: the course's language in assignments.yaml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlgrade", description="Autograder for the deep-learning course.")
    parser.add_argument("--version", action="version", version=f"dlgrade {__version__}")
    _global_options(parser, None)
    # The same options after the subcommand (dlgrade check --course X): SUPPRESS keeps a subparser
    # from resetting a value given before the subcommand when it is not repeated after it.
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("grade", parents=[common],
                       help="grade a submission folder; writes results.json, report.md, report.html")
    p.add_argument("submission", help="folder holding the student's modules (or notebooks), or a notebook")
    p.add_argument("--out", required=True, help="folder for the reports")
    p.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    p.add_argument("--seed", type=int, help="seed of the hidden checks' random inputs (default: random)")
    p.add_argument("--format", action="append", choices=("junit", "gradescope", "markdown"),
                   help="also write junit.xml, gradescope_results.json or summary.md (repeatable)")
    p.add_argument("--fail-under", type=float, metavar="PERCENT", help="exit 1 when the score is below this")
    p.add_argument("--visible-only", action="store_true", help="only the visible checks (student CI)")
    p.add_argument("--unsandboxed", action="store_true", help="run submissions without the sandbox (only where "
                   "none is possible; every report then says so)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("batch", parents=[common], help="grade a class: one folder, .zip or notebook per student")
    p.add_argument("submissions", help="folder with one entry per student (the entry name is the id)")
    p.add_argument("--out", required=True, help="folder for per-student reports, gradebook.csv, class report")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    p.add_argument("--seed", type=int, help="seed for the whole class (default: random, kept for resumes)")
    p.add_argument("--force", action="store_true", help="regrade students already graded")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local: --workers processes on this machine (default); dask: one task per student "
                        "on a Dask distributed cluster (needs the 'dask' extra and a shared file system)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --executor dask: the scheduler, e.g. "
                   "tcp://10.0.0.5:8786 (default: a local cluster of --workers processes)")
    p.add_argument("--roster", metavar="CSV", help="the gradebook exported from Canvas (Grades > Export): the "
                   "gradebook then has a row per roster student with their IDs, matched to folder names")
    p.add_argument("--roster-column", metavar="NAME", help="the roster column that folder names are "
                   "(default: SIS Login ID, then ID, then SIS User ID)")
    p.add_argument("--missing", choices=("empty", "zero"), default="empty", help="score of roster students "
                   "without a submission: empty leaves Canvas's grade as it is (default), zero gives 0")
    p.add_argument("--canvas-assignment", action="append", metavar="ID=COLUMN", help="the gradebook column "
                   "of an assignment, as in your Canvas export, e.g. hw1='Homework 1 (104471)' (repeatable; "
                   "default: the roster's matching column, else the id)")
    p.add_argument("--unsandboxed", action="store_true", help="run submissions without the sandbox (only where "
                   "none is possible; every report then says so)")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("gradescope", parents=[common], help="instructor: write autograder.zip for a Gradescope "
                       "assignment")
    p.add_argument("--assignment", action="append", metavar="ID", required=True,
                   help="the assignment it grades (repeatable: one Gradescope assignment for several)")
    p.add_argument("--out", required=True, help="folder for autograder.zip")
    p.set_defaults(func=cmd_gradescope)

    p = sub.add_parser("demo", parents=[common], help="grade the bundled example class and show where the report is")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--unsandboxed", action="store_true", help="run submissions without the sandbox (only where "
                   "none is possible; every report then says so)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("check", parents=[common], help="run the visible checks on your own work")
    p.add_argument("folder", nargs="?", default=".", help="your exercises folder or notebook (default: .)")
    p.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    p.add_argument("--unsandboxed", action="store_true", help="run submissions without the sandbox (only where "
                   "none is possible; every report then says so)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("release", parents=[common], help="instructor: generate exercises/ (stubs) from reference/")
    p.add_argument("--out", help="folder for the stubs (default: exercises/ of the course)")
    p.add_argument("--student", action="store_true", help="write the whole student bundle into --out: stubs, "
                   "notebooks, visible checks, grader, README")
    p.add_argument("--force", action="store_true", help="overwrite stubs that were edited since the last release")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("notebooks", parents=[common], help="instructor: write one Jupyter notebook per assignment")
    p.add_argument("--out", required=True, help="folder for the notebooks")
    p.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    p.set_defaults(func=cmd_notebooks)

    p = sub.add_parser("mutants", parents=[common],
                       help="instructor: how strong are the checks? grade mutants of the reference")
    p.add_argument("--module", action="append", metavar="NAME", help="only this module (repeatable)")
    p.add_argument("--out", help="the Markdown report (default: docs/mutants.md of the course, or "
                   "docs/mutants-NAME.md with --module)")
    p.add_argument("--min-kill", type=float, default=95.0, metavar="PERCENT",
                   help="exit 1 when a module kills fewer of its non-equivalent mutants (default: 95)")
    p.add_argument("--seed", type=int, default=1, help="seed of the hidden checks' random inputs (default: 1)")
    p.add_argument("--workers", type=int, default=2, help="grading processes (default: 2)")
    p.set_defaults(func=cmd_mutants)

    p = sub.add_parser("new-check", parents=[common], help="instructor: add a check: its assignments.yaml "
                       "entry, a skeleton in grader/checks/, a WRONG placeholder in tests/")
    p.add_argument("id", help="<assignment>.<module>.<function>.<name>, e.g. hw1.mlp.mlp_forward.another_case")
    p.add_argument("--points", type=float, help="points of the check (default: 1)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--visible", dest="visibility", action="store_const", const="visible",
                       help="students see it (default for a function's first check)")
    shown.add_argument("--hidden", dest="visibility", action="store_const", const="hidden",
                       help="graded only (default when the function has a visible check)")
    p.add_argument("--timeout", type=float, help="seconds (default: the usual timeout of the function's checks)")
    p.add_argument("--new-function", action="store_true", help="the function is new: also add it to the "
                   "module's functions in assignments.yaml")
    p.add_argument("--dry-run", action="store_true", help="print the changes as a diff, write nothing")
    p.set_defaults(func=cmd_new_check)

    p = sub.add_parser("validate", parents=[common],
                       help="instructor: reference full marks, stubs zero, every function checked")
    p.add_argument("--seed", type=int, default=12345)
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _LANG.clear()
    try:
        return args.func(args)
    except HarnessError as exc:
        _complain(exc.text, args)
        return 2
    except KeyboardInterrupt:
        _complain(tr("interrupted"), args)
        return 130


def _complain(message: Text, args: argparse.Namespace) -> None:
    """``dlgrade: ...`` on stderr, in the language in force; both (Chinese first) before one is known."""
    lang = args.lang or (_LANG[0] if _LANG else None)
    if lang is not None or message.zh == message.en:
        print(f"dlgrade: {message.get(lang or 'en')}", file=sys.stderr)
    else:
        print(f"dlgrade: {message.zh}\ndlgrade: {message.en}", file=sys.stderr)


def run() -> None:
    """The ``dlgrade`` command: main(), then end the process without tearing the interpreter down.

    Everything has been written and closed by then (reports, children, worker pools); the normal
    teardown only frees torch's and numpy's modules, which costs ~0.4 s of every command.
    """
    try:
        code = main()
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        if not isinstance(exc.code, (int, type(None))):
            print(exc.code, file=sys.stderr)
    except BrokenPipeError:  # dlgrade ... | head: the reader has what it wanted; files are written
        code = 0
    from .runners.sandbox import shutdown

    shutdown()  # os._exit skips atexit: stop the templates now (they would die with us anyway)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (dlgrade ... | head): nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
