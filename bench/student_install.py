"""The student install, measured: ``python bench/student_install.py [--keep DIR]``.

Builds the student bundle, then for each way the bundle README installs it (plain, and with the
``[notebook]`` extra) makes a new venv by running the README's install commands as written, checks
that the torch it got is the CPU build, that ``dlgrade check`` works, and (with Jupyter) that a
generated notebook's check cell works from a folder outside the bundle, and reports ``du -sh`` of
the venv. The figures go into grader/authoring/bundle.py (INSTALL_SIZES), which writes them into the README.
Takes a few minutes and ~2.5 GB of disk; not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 1.5 * 1024 ** 3


def readme_commands(bundle: Path) -> list[str]:
    """The indented command lines of the README's install section (after `source ...activate`)."""
    text = (bundle / "README.md").read_text(encoding="utf-8")
    section = text.split("## 安装", 1)[1].split("\n## ", 1)[0]
    lines = [line.strip().split("  #")[0].strip() for line in section.splitlines() if line.startswith("    ")]
    return [line for line in lines if line.startswith("pip install")]


def run(cmd: str, cwd: Path, venv: Path) -> str:
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "VIRTUAL_ENV": str(venv), "HOME": str(Path.home())}
    done = subprocess.run(cmd, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"`{cmd}` failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def size(path: Path) -> tuple[int, str]:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout
    human = subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]), human.split()[0]


def measure(bundle: Path, work: Path, extra: str) -> dict:
    venv = work / f"venv-{extra or 'plain'}"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    commands = readme_commands(bundle)
    if extra:
        commands = [c.replace("pip install -e .", f"pip install -e '.[{extra}]'") for c in commands]
    for cmd in commands:
        run(cmd, bundle, venv)
    py = venv / "bin" / "python"
    torch = run(f"{py} -c 'import torch; print(torch.__version__, torch.cuda.is_available())'", bundle, venv)
    nvidia = run(f"{py} -m pip list 2>/dev/null | grep -ci nvidia || true", bundle, venv).strip()
    check = run(f"{venv / 'bin' / 'dlgrade'} check exercises --assignment hw1 --lang en", bundle, venv)
    result = {"commands": commands, "torch": torch.strip(), "nvidia_packages": int(nvidia or 0),
              "check_works": "TOTAL 0 /" in check}
    if extra == "notebook":
        elsewhere = work / "Downloads"
        elsewhere.mkdir(exist_ok=True)
        shutil.copyfile(bundle / "notebooks" / "hw1.ipynb", elsewhere / "hw1.ipynb")
        code = ("import nbformat, nbclient; nb = nbformat.read('hw1.ipynb', as_version=4); "
                "nb.cells = [nb.cells[-1]]; nbclient.NotebookClient(nb, timeout=600, kernel_name='python3').execute(); "
                "print(''.join(o.get('text', '') for o in nb.cells[-1].outputs))")
        out = run(f"{py} -c \"{code}\"", elsewhere, venv)
        result["notebook_check_cell_works_elsewhere"] = bool(re.search(r"总分 0 / \d+", out))
    nbytes, human = size(venv)
    result.update(bytes=nbytes, du_sh=human, under_limit=nbytes < LIMIT_BYTES)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="work in this folder and keep it (default: a temporary one, removed)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dlgrade-install-"))
    work.mkdir(parents=True, exist_ok=True)
    bundle = work / "bundle"
    try:
        subprocess.run([sys.executable, "-m", "grader.cli", "release", "--student", "--out", str(bundle)],
                       cwd=ROOT, check=True, capture_output=True, text=True)
        report = {extra or "plain": measure(bundle, work, extra) for extra in ("", "notebook")}
        print(json.dumps(report, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
