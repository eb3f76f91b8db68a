"""The ``dlgrade`` command: a thin layer over the pipeline (grade, check, validate)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import HarnessError
from .pipeline import Course, find_course_root, grade, load_course
from .report import terminal_summary, write_reports


def _course(args: argparse.Namespace, start: Path) -> Course:
    root = Path(args.course) if args.course else find_course_root(start)
    return load_course(root)


def cmd_grade(args: argparse.Namespace) -> int:
    submission = Path(args.submission)
    course = _course(args, Path.cwd())
    results = grade(course, submission, assignment_ids=args.assignment or None, seed=args.seed)
    paths = write_reports(results, Path(args.out))
    print(terminal_summary(results, details=False), end="")
    print(f"\nwrote {paths['json']}, {paths['markdown']}, {paths['html']}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    course = _course(args, folder if folder.is_dir() else Path.cwd())
    results = grade(course, folder, assignment_ids=args.assignment or None, seed=0, visible_only=True,
                    label=str(folder))
    print(terminal_summary(results, details=True), end="")
    print("\nThese are the visible checks only; hidden checks on random inputs run when you hand in.")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate_course

    course = _course(args, Path.cwd())
    problems = validate_course(course, seed=args.seed, report=print)
    for p in problems:
        print(f"PROBLEM: {p}")
    print("validate: OK" if not problems else f"validate: {len(problems)} problem(s)")
    return 0 if not problems else 1


def cmd_release(args: argparse.Namespace) -> int:
    from .release import release

    course = _course(args, Path.cwd())
    out = Path(args.out) if args.out else course.root / "exercises"
    stubs = release(course.root, course.manifest, out)
    print(f"wrote {len(stubs)} stub modules to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlgrade", description="Autograder for the deep-learning course.")
    parser.add_argument("--version", action="version", version=f"dlgrade {__version__}")
    parser.add_argument("--course", help="course folder holding assignments.yaml (default: found "
                                         "by looking upwards from the current folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("grade", help="grade a submission folder; writes results.json, report.md, report.html")
    p.add_argument("submission", help="folder holding the student's modules")
    p.add_argument("--out", required=True, help="folder for the reports")
    p.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    p.add_argument("--seed", type=int, help="seed of the hidden checks' random inputs (default: random)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("check", help="run the visible checks on your own work")
    p.add_argument("folder", nargs="?", default=".", help="your exercises folder (default: .)")
    p.add_argument("--assignment", action="append", metavar="ID", help="only this assignment (repeatable)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("release", help="instructor: generate exercises/ (stubs) from reference/")
    p.add_argument("--out", help="folder for the stubs (default: exercises/ of the course)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("validate", help="instructor: reference full marks, stubs zero, every function checked")
    p.add_argument("--seed", type=int, default=12345)
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HarnessError as exc:
        print(f"dlgrade: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dlgrade: interrupted; reports already written are complete", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
