"""stage_submission: copy only the expected modules of a submission into a private folder, and
say what was left out and why. A submission is a folder of modules (found one or two folders down,
locate.py), a notebook, or a folder holding notebooks and modules (notebooks.py)."""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SubmissionError
from ..i18n import Text, tr
from ..manifest import Manifest
from ..text import strip_control
from .locate import locate_modules
from .names import near_misses
from .policy import Finding, scan_folder


@dataclass
class StagedSubmission:
    source: Path
    folder: Path
    present: set[str]
    dropped: list[str | Text] = field(default_factory=list)  # a file name, or why something was left out
    # "module.function" -> why its checks are not attempted (a notebook with no cell defining it)
    missing_functions: dict[str, str | Text] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # where the modules were found, when not at the top
    # [{"file": "MLP.py", "expected": "mlp.py"}]: left out, but surely meant as that module
    near_misses: list[dict[str, str]] = field(default_factory=list)
    # module -> why it could not be imported (a syntax error with its line): said once, up front
    load_errors: dict[str, Text] = field(default_factory=dict)
    # module -> what the judge's reading of its source found (staging/policy.py)
    findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def stage_submission(source: Path, manifest: Manifest) -> StagedSubmission:
    """Copy only the expected modules into a private folder; report everything else.

    A submission is a folder of modules, a notebook (hw1.ipynb), or a folder holding notebooks
    and modules; a notebook becomes module files there (see staging/notebooks.py).
    """
    source = Path(source)
    is_notebook = source.suffix == ".ipynb" and source.is_file()
    if not (source.is_dir() or is_notebook):
        raise SubmissionError(tr("not_a_submission", source=source))
    folder = Path(tempfile.mkdtemp(prefix="dlgrade-sub-"))
    where: list[str] = []
    try:
        if is_notebook:
            from .notebooks import stage_notebook

            present, dropped, notes = stage_notebook(source, manifest, folder)
        else:
            found, where = locate_modules(source, manifest)
            present, dropped, notes = _stage_folder(found, manifest, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    missing: dict[str, str | Text] = {f"{m}.{f}": tr("not_in_notebook", function=f"{m}.{f}", cell=cell)
               for m, cells in notes.items() for f, cell in cells.items()}
    # File names are the student's text too: no escape sequences reach results.json or a terminal.
    dropped = [Text(strip_control(d.zh, "?"), strip_control(d.en, "?")) if isinstance(d, Text)
               else strip_control(d, "?") for d in dropped]
    near = near_misses([d for d in dropped if isinstance(d, str)], [m.name for _, m in manifest.modules], present)
    policies = {m.name: (m.functions, m.torch_functions, m.forbidden) for _, m in manifest.modules}
    return StagedSubmission(source, folder, present, dropped, missing, [strip_control(w, "?") for w in where],
                            near_misses=near, findings=scan_folder(folder, policies, present))


def _stage_folder(source: Path, manifest: Manifest, folder: Path) -> tuple[set[str], list[str | Text], dict]:
    expected = {f"{m.name}.py": m.name for _, m in manifest.modules}
    present: set[str] = set()
    dropped: list[str | Text] = []
    notebooks: list[Path] = []
    for entry in sorted(source.iterdir()):
        name = entry.name
        if name in expected and entry.is_file() and not entry.is_symlink():
            try:
                shutil.copyfile(entry, folder / name)
            except OSError as exc:
                dropped.append(tr("unreadable_file", name=name, error=exc.strerror))
                continue
            present.add(expected[name])
        elif name.startswith(".") or name == "__pycache__":
            continue
        elif name in expected:
            dropped.append(tr("not_regular_file", name=name))
        elif entry.suffix == ".ipynb" and entry.is_file() and not entry.is_symlink():
            notebooks.append(entry)
        else:
            dropped.append(name)
    if not notebooks:
        return present, dropped, {}
    from .notebooks import stage_notebook

    # A .py module wins over a notebook's cells for it; of two notebooks, the first by name wins.
    origin: dict[str, str | Text] = {m: tr("py_wins", module=m) for m in present}
    notes: dict[str, dict[str, Text]] = {}
    for notebook in notebooks:
        try:
            written, left_out, found = stage_notebook(notebook, manifest, folder, taken=origin)
        except SubmissionError as exc:
            dropped.append(exc.text)
            continue
        origin.update({m: notebook.name for m in written})
        present |= written
        dropped += left_out
        notes.update(found)
    return present, dropped, notes
