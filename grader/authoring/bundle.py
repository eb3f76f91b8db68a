"""The student bundle, ``dlgrade release --student --out DIR``: everything students receive.

    exercises/          the stubs (as ``dlgrade release`` writes them)
    notebooks/          one notebook per assignment
    assignments.yaml    the course with its visible checks only
    grader/             the grader package; its check modules hold the visible checks only
    pyproject.toml      so that ``pip install -e .`` gives the ``dlgrade`` command
    README.md

No reference code goes in, no hidden check (neither its code, removed with ast together with the
helpers only hidden checks used, nor its id), and no oracle: each ``@oracle`` function (see
oracles.py) is replaced by the recording of its calls in the visible checks, run against the
reference at release. ``build_bundle`` verifies that no hidden check id is left in any file, that
the bundle's own course loads (visible checks declared == implemented) in a fresh interpreter,
and that there its visible checks give the reference and the stubs the same statuses and messages
as the full grader does.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import TypeGuard

import yaml

from .. import HOME, __version__
from ..errors import HarnessError
from ..oracles import RECORDING_NAME, write_recording
from ..pipeline import MANIFEST_NAME, Course
from .notebooks import write_notebooks
from .recording import record_visible_checks, verdicts
from .release import release

MARKER = ".dlgrade-student-bundle"
# Judge-side helpers the checks import: what only hidden checks used goes too (finite_difference is a
# working numerical_gradient, for one).
JUDGE_LIBRARIES = ("compare.py", "gradients.py")


def build_bundle(course: Course, out: Path) -> dict[str, int]:
    """Write the student bundle into ``out`` (new, empty, or an earlier bundle); return counts."""
    out = Path(out)
    _prepare(out)
    manifest = course.manifest
    hidden = {c.id for c in manifest.checks if c.visibility == "hidden"}
    visible = {c.id for c in manifest.checks if c.visibility == "visible"}
    stubs = release(course.root, manifest, out / "exercises", record=False)
    notebooks = write_notebooks(course.root, manifest, out / "notebooks")
    (out / MANIFEST_NAME).write_text(student_manifest((course.root / MANIFEST_NAME).read_text(encoding="utf-8")),
                                     encoding="utf-8")
    calls = record_visible_checks(course)
    copy_grader(out / "grader", hidden)
    write_recording(out / "grader" / "checks" / RECORDING_NAME, calls)
    (out / "pyproject.toml").write_text(_pyproject(), encoding="utf-8")
    (out / "README.md").write_text(_readme(course), encoding="utf-8")
    (out / MARKER).write_text("made by `dlgrade release --student`; the next run replaces this folder\n",
                              encoding="utf-8")
    leaks = find_ids(out, hidden)
    if leaks:
        raise HarnessError("hidden check ids would reach students:\n  " + "\n  ".join(leaks))
    inside = _load_in_bundle(out, course.root / "reference")
    loaded = set(inside["checks"])
    if loaded != visible:
        raise HarnessError(f"the bundle's course has checks {sorted(loaded ^ visible)} that differ from "
                           "the course's visible checks")
    for label, folder in (("reference", course.root / "reference"), ("stubs", out / "exercises")):
        _same_verdicts(label, verdicts(course, folder), inside[label])
    return {"stubs": len(stubs), "notebooks": len(notebooks), "visible_checks": len(visible),
            "hidden_checks_left_out": len(hidden)}


def _prepare(out: Path) -> None:
    # Rebuild from scratch: a stale file from an earlier bundle could hold what must not ship.
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise HarnessError(f"{out} is not empty and holds no earlier student bundle; "
                               "choose a new or empty folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def student_manifest(text: str) -> str:
    """assignments.yaml with only the visible checks (comments do not survive: they may name others)."""
    data = yaml.safe_load(text)
    for assignment in data["assignments"]:
        for module in assignment["modules"]:
            module["checks"] = [c for c in module["checks"] if c.get("visibility") == "visible"]
    header = ("# The course's visible checks: what `dlgrade check` runs. Made by `dlgrade release --student`;\n"
              "# the hidden checks run when you hand in.\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                                   width=1000)


# --------------------------------------------------------------------------- the grader copy
def copy_grader(dest: Path, hidden: set[str]) -> None:
    """Copy the grader package to ``dest`` with the hidden checks and their helpers left out."""
    shutil.copytree(HOME, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    check_files = sorted((dest / "checks").glob("*.py"))
    for path in check_files:
        where = f"grader/checks/{path.name}"
        source = strip_hidden_checks(path.read_text(encoding="utf-8"), hidden, where)
        path.write_text(replace_oracles(source, path.stem, where), encoding="utf-8")
    _drop_unused(dest, check_files + [dest / name for name in JUDGE_LIBRARIES])


def _check_id(node: ast.stmt, where: str) -> str | None:
    """The id of a function decorated with @check, None for any other statement."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    for deco in node.decorator_list:
        if not isinstance(deco, ast.Call):  # @check always takes its id
            continue
        func = deco.func
        name = getattr(func, "id", None) or getattr(func, "attr", None)
        if name != "check":
            continue
        first = deco.args[0] if deco.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            raise HarnessError(f"{where}:{deco.lineno}: a @check id must be a string literal, so that the "
                               "student bundle can tell hidden checks from visible ones")
        return first.value
    return None


def strip_hidden_checks(source: str, hidden: set[str], where: str = "<check module>") -> str:
    """The check module without its hidden @check functions (and the comments right above them)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _check_id(node, where) in hidden:
            start = min(d.lineno for d in node.decorator_list) - 1
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1
            spans.append((start, node.end_lineno))
    for start, end in reversed(spans):
        del lines[start:end]
    return re.sub(r"\n{4,}", "\n\n\n", "".join(lines))


def _is_oracle(node: ast.AST) -> TypeGuard[ast.FunctionDef | ast.AsyncFunctionDef]:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
        (getattr(d, "id", None) or getattr(d, "attr", None)) == "oracle" for d in node.decorator_list)


def replace_oracles(source: str, module: str, where: str = "<check module>") -> str:
    """The check module with each @oracle function replaced by the replay of its recorded calls."""
    tree = ast.parse(source)
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if _is_oracle(node) and id(node) not in top:
            raise HarnessError(f"{where}:{node.lineno}: @oracle marks only module-level functions; "
                               f"{node.name} is nested in a class or function, so it cannot be replaced by its "
                               "recording in the student bundle")
    lines = source.splitlines(keepends=True)
    for node in reversed(tree.body):
        if _is_oracle(node):
            start = min(d.lineno for d in node.decorator_list) - 1
            lines[start:node.end_lineno] = [f'{node.name} = oracle.replay("{module}.{node.name}")\n']
    return "".join(lines)


def _used_names(package: Path) -> set[str]:
    names: set[str] = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):  # a use, not a binding
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name)
    return names


def _drop_unused(package: Path, files: list[Path]) -> None:
    """Drop top-level helpers, constants and imported names of ``files`` that nothing uses any more.

    They served hidden checks only: judge-side oracles, input tables, helpers. Repeated until
    stable, since a dropped helper may have been the last user of another.
    """
    while True:
        used = _used_names(package)
        changed = False
        for path in files:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
            here = _used_names_in(tree)
            lines = source.splitlines(keepends=True)
            edits: list[tuple[int, int | None, list[str]]] = []
            for node in tree.body:
                if _unused(node, used):
                    edits.append((node.lineno - 1, node.end_lineno, []))
                elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
                    kept = [a for a in node.names if (a.asname or a.name) in here]
                    if len(kept) < len(node.names):
                        text = f"from {'.' * node.level}{node.module or ''} import " + ", ".join(
                            a.name + (f" as {a.asname}" if a.asname else "") for a in kept) + "\n"
                        edits.append((node.lineno - 1, node.end_lineno, [text] if kept else []))
            for start, end, replacement in reversed(edits):
                lines[start:end] = replacement
            if edits:
                path.write_text(re.sub(r"\n{4,}", "\n\n\n", "".join(lines)), encoding="utf-8")
                changed = True
        if not changed:
            return


def _used_names_in(tree: ast.AST) -> set[str]:
    """Names a module reads (not the ones its imports bind)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
    return names


def _unused(node: ast.stmt, used: set[str]) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return not node.decorator_list and node.name not in used
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(t, ast.Name) and t.id not in used and not t.id.startswith("__") for t in targets)
    return False


# --------------------------------------------------------------------------- verification
def find_ids(folder: Path, ids: set[str]) -> list[str]:
    """'file: id' for every id that occurs in any file under ``folder``."""
    if not ids:
        return []
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True)))
                         + r")(?![\w])")
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="ignore")
        hits += [f"{path.relative_to(folder)}: {m}" for m in sorted(set(pattern.findall(text)))]
    return hits


def _load_in_bundle(out: Path, reference: Path) -> dict:
    """In a fresh interpreter, with the bundle's grader: its check ids, and the verdicts of its visible
    checks on the reference and on the stubs."""
    code = ("import json, sys, grader; from pathlib import Path; from grader.pipeline import load_course; "
            "from grader.authoring.recording import verdicts; c = load_course(Path.cwd()); "
            "print(json.dumps({'grader': grader.__file__, 'checks': sorted(c.checks), "
            "'reference': verdicts(c, Path(sys.argv[1])), 'stubs': verdicts(c, Path('exercises'))}))")
    env = {**os.environ, "PYTHONPATH": str(out.resolve()), "PYTHONNOUSERSITE": "1"}
    run = subprocess.run([sys.executable, "-c", code, str(reference.resolve())], cwd=out, env=env,
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise HarnessError(f"the student bundle's course does not load:\n{run.stderr[-3000:]}")
    data = json.loads(run.stdout.strip().splitlines()[-1])
    if not Path(data["grader"]).resolve().is_relative_to(out.resolve()):
        raise HarnessError(f"checking the bundle imported the grader from {data['grader']}, not from {out}")
    return data


def _same_verdicts(label: str, full: dict[str, list[str]], bundle: dict[str, list[str]]) -> None:
    differ = [f"{i}: the full grader says {full[i][0]}, the bundle {bundle.get(i, ['nothing'])[0]}"
              + (f"\n    full:   {full[i][1][:300]}\n    bundle: {bundle.get(i, ['', ''])[1][:300]}"
                 if full[i][1] != bundle.get(i, ["", ""])[1] else "")
              for i in sorted(full) if bundle.get(i) != full[i]]
    if differ:
        raise HarnessError(f"the bundle's visible checks judge the {label} differently from the full grader:\n  "
                           + "\n  ".join(differ))


# --------------------------------------------------------------------------- texts
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
NOTEBOOK_EXTRA = ["notebook>=7", "ipykernel>=6"]
# `du -sh` of a new venv made by following the bundle README (torch 2.13.0+cpu, Linux x86-64, Python
# 3.11), as bench/student_install.py measures it: 975M plain, 1.2G (1,165 MB) with [notebook].
INSTALL_SIZES = {"plain": "975 MB", "notebook": "1.2 GB"}


def _torch_pin() -> str:
    """The torch the instructor's course runs on (its CPU build's version without the +cpu label)."""
    try:
        version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        raise HarnessError("torch is not installed; the bundle pins the version the course runs on") from None
    return f"torch=={version.split('+')[0]}"


def _pyproject() -> str:
    try:
        requires = metadata.requires("dlgrade") or []
        python = metadata.metadata("dlgrade")["Requires-Python"] or ">=3.10"
    except metadata.PackageNotFoundError:
        raise HarnessError("dlgrade is not installed (pip install -e . in the course repository); "
                           "the bundle's pyproject.toml takes its dependencies from it") from None
    # torch pinned to the course's version, from PyPI's index for pip (the README installs the CPU build
    # first) and from PyTorch's CPU index for uv: the default Linux wheel pulls ~3 GB of CUDA libraries.
    plain = [r for r in requires if "extra ==" not in r and not r.replace(" ", "").startswith("torch")]
    dependencies = "".join(f"    {json.dumps(r)},\n" for r in [*plain, _torch_pin()])
    notebook = ", ".join(json.dumps(r) for r in NOTEBOOK_EXTRA)
    return f"""\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "dlgrade"
version = "{__version__}"
description = "Exercises and visible checks of the deep-learning course"
readme = "README.md"
requires-python = "{python}"
dependencies = [
{dependencies}]

[project.optional-dependencies]
# pip install -e '.[notebook]': Jupyter and the Python kernel, to work in notebooks/
notebook = [{notebook}]

[project.scripts]
dlgrade = "grader.cli:main"

[tool.setuptools.packages.find]
include = ["grader*"]

[tool.setuptools.package-data]
grader = ["templates/*.j2", "*.yaml", "checks/*.bin"]

# uv (uv pip install -e . / uv sync) takes torch from PyTorch's CPU index on its own.
[[tool.uv.index]]
name = "pytorch-cpu"
url = "{TORCH_CPU_INDEX}"
explicit = true

[tool.uv.sources]
torch = {{ index = "pytorch-cpu" }}
"""


def _readme(course: Course) -> str:
    rows = "\n".join(f"| `{a.id}` | {a.title_zh}（{a.title_en}） | {', '.join(f'`{m.name}`' for m in a.modules)} |"
                     for a in course.manifest.assignments)
    torch = _torch_pin()
    return f"""\
# 深度学习：练习与公开检查（Deep learning: exercises and visible checks）

| 作业 assignment | 主题 topic | 模块 modules |
| --- | --- | --- |
{rows}

## 安装（Install）

需要 Python 3.10 或更新版本。在本文件夹中运行：

Python 3.10 or newer. In this folder:

    python -m venv .venv
    source .venv/bin/activate        # Windows: .venv\\Scripts\\activate
    pip install {torch} --index-url {TORCH_CPU_INDEX}
    pip install -e .                 # 用笔记本 / for notebooks: pip install -e '.[notebook]'

第三行安装 PyTorch 的 CPU 版本（练习不需要 GPU）；不加 `--index-url` 时，Linux 上的 pip 会下载约 3 GB 的 CUDA 库。
按以上步骤新建的虚拟环境约 {INSTALL_SIZES["plain"]}（含 Jupyter 时约 {INSTALL_SIZES["notebook"]}）。之后就可以使用
`dlgrade` 命令了。用 uv 的话，`uv pip install -e .` 会自动从 CPU 源安装 torch。

The third line installs PyTorch's CPU build (the exercises need no GPU); without `--index-url`, pip
on Linux downloads about 3 GB of CUDA libraries. A new venv made this way takes about
{INSTALL_SIZES["plain"]} ({INSTALL_SIZES["notebook"]} with Jupyter). This gives you the `dlgrade` command. With uv,
`uv pip install -e .` takes torch from the CPU index by itself.

## 在 .py 文件中完成（Work in .py files）

`exercises/` 中每个模块的每个函数都有一个待完成的存根：把 `raise NotImplementedError(...)` 换成你的代码，
保持函数名和签名不变。然后：

Each module in `exercises/` has one stub per function: replace each `raise NotImplementedError(...)`
with your code. Keep the names and signatures. Then:

    cd exercises
    dlgrade check                    # 所有作业 / every assignment
    dlgrade check --assignment hw1   # 一个作业 / one assignment

文件名必须与上表完全一致（`mlp.py`，不是 `MLP.py` 或 `mlp (1).py`）；名字相近的文件会在结果的开头提示。

File names must be exactly those above (`mlp.py`, not `MLP.py` or `mlp (1).py`); a file with a close
name is pointed out at the top of the results.

## 或在笔记本中完成（Or work in a notebook）

用 `pip install -e '.[notebook]'` 安装后运行 `jupyter notebook`，打开 `notebooks/hw1.ipynb`（每个作业一个笔记本），
在每个函数自己的单元格里编写代码，并保留单元格的第一行（例如 `# dlgrade: mlp.xor_params`）。保存笔记本后运行
最后一个单元格即可运行公开检查；笔记本放在任何文件夹中都可以。也可以在终端中运行：

After `pip install -e '.[notebook]'`, run `jupyter notebook` and open `notebooks/hw1.ipynb` (one
notebook per assignment); write each function in its cell, keeping the cell's first line, such as
`# dlgrade: mlp.xor_params`. Save the notebook, then run its last cell to run the visible checks; the
notebook may be in any folder. Or, in a terminal:

    dlgrade check notebooks/hw1.ipynb --assignment hw1

## 检查结果（What the checks tell you）

`dlgrade check` 运行公开检查：课堂上的例题和简单情形。提交后还会在随机输入上运行隐藏检查，所以通过全部公开检查
是必要条件，而不是充分条件。未通过的检查会给出期望值、实际值和一条与课堂内容相关的提示。输出默认为中文，
`--lang en` 改为英文。

`dlgrade check` runs the visible checks: the lecture's worked examples and simple cases. When you
hand in, hidden checks on random inputs run as well, so passing every visible check is necessary,
not sufficient. A failed check says what was expected, what it got, and gives a hint from the
lecture. Output is in Chinese by default; `--lang en` gives English.

## 提交（Hand in）

提交你的 `exercises/` 模块（例如 `mlp.py`），或你的笔记本（`hw1.ipynb`）。

Your `exercises/` modules (for example `mlp.py`), or your notebook (`hw1.ipynb`).
"""
