"""Operating-system isolation around the child: namespaces, a private file-system view, a user.

Detected once per judge process, used when available, and recorded in every results.json:

- ``pid_namespace``: the child is PID 1 of its own namespace, so when it is killed every process
  it started dies with it, even one that called setsid().
- ``network_namespace``: only a loopback interface that is down: no network.
- ``filesystem_view``: a mount namespace in which the course folder (reference, checks, tests,
  examples and its git history), other students' submissions and the judge's temporary files do
  not exist, /root is an empty tmpfs (tokens, keys) with only the Python installation mounted
  back, and the child's working folder and the world-writable folders (/tmp, /var/tmp, /dev/shm,
  /run/lock) are private, size-capped tmpfs: nothing it writes reaches the disk or outlives it.
- ``unprivileged_user``: when the judge is root, the child drops to ``nobody``
  (uid 65534) after the mounts, so resource limits on processes apply and nothing is writable
  but its own working folder.

Where ``unshare`` is missing or refused (a container without privileges), the child still runs
with the process-level layers of ``sandbox.py`` and results.json says which layers were off.
"""
from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

NOBODY = 65534
WORK_SIZE = "256m"
# World-writable folders outside /tmp: each gets a private tmpfs so no file written there persists.
SCRATCH_DIRS = {"/dev/shm": "64m", "/var/tmp": "16m", "/run/lock": "1m"}


@dataclass(frozen=True)
class Isolation:
    mode: str  # "root", "userns" or "none"
    drop_user: bool

    @property
    def layers(self) -> dict[str, bool]:
        on = self.mode != "none"
        return {"pid_namespace": on, "network_namespace": on, "filesystem_view": on,
                "unprivileged_user": self.drop_user or os.geteuid() != 0}


@functools.lru_cache(maxsize=1)
def detect() -> Isolation:
    if os.environ.get("DLGRADE_NO_NAMESPACES") or not shutil.which("unshare") or not shutil.which("mount"):
        return Isolation("none", False)
    probe = "mount -t tmpfs tmpfs /mnt && true"
    if os.geteuid() == 0 and _works(["unshare", "--net", "--pid", "--fork", "--mount", "--mount-proc",
                                     "sh", "-c", probe]):
        return Isolation("root", bool(shutil.which("setpriv")) and _python_readable())
    if _works(["unshare", "--user", "--map-root-user", "--net", "--pid", "--fork", "--mount",
               "--mount-proc", "sh", "-c", probe]):
        return Isolation("userns", False)
    return Isolation("none", False)


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _python_readable() -> bool:
    """Every folder of the interpreter must be world-readable once /root is remounted 0755."""
    prefix = Path(sys.base_prefix).resolve()
    for folder in (prefix, *prefix.parents):
        if folder == Path("/root"):
            continue  # replaced by a 0755 tmpfs inside the namespace
        if folder != Path("/") and not os.stat(folder).st_mode & 0o005:
            return False
    return True


def wrap(command: list[str], iso: Isolation, run_dir: Path, hidden: list[Path], work: Path) -> list[str]:
    """The command that starts ``command`` inside the isolation layers."""
    if iso.mode == "none":
        return command
    tmp = Path(tempfile.gettempdir()).resolve()
    run_dir = run_dir.resolve()
    script = ["set -e", "mount --make-rprivate / 2>/dev/null || true",
              "mount -t tmpfs -o size=1m tmpfs /mnt", "mkdir -p /mnt/run"]
    script.append(f"mount --bind {q(run_dir)} /mnt/run")
    python_home = Path(sys.base_prefix).resolve()
    # The interpreter and its virtual environment (if any) must survive the tmpfs laid over /root
    # and /tmp: bind them aside first, move them back after.
    kept = [h for h in dict.fromkeys((python_home, Path(sys.prefix).resolve()))
            if Path("/root") in h.parents or h.is_relative_to(tmp)]
    for i, home in enumerate(kept):
        script += [f"mkdir -p /mnt/keep{i}", f"mount --bind {q(home)} /mnt/keep{i}"]
    outside, inside = _hideable(hidden, python_home, run_dir, tmp)
    script += [_hide(path) for path in outside]
    if any(Path("/root") in h.parents for h in kept):
        script.append("mount -t tmpfs -o size=1m,mode=0755 tmpfs /root")
    if run_dir.is_relative_to(tmp):
        script += [f"mount -t tmpfs -o size=256m,mode=1777 tmpfs {q(tmp)}",
                   f"mkdir -p {q(run_dir)}", f"mount --move /mnt/run {q(run_dir)}"]
    for i, home in enumerate(kept):
        script += [f"mkdir -p {q(home)}", f"mount --move /mnt/keep{i} {q(home)}"]
    # Hidden paths inside the Python installation (a non-editable install of the checks) are
    # hidden in the installation the child actually sees, so after it is moved into place.
    script += [_hide(path) for path in inside]
    # The working folder is a size-capped tmpfs too: however many files the child writes, the
    # judge's disk never fills, and nothing written survives the child.
    work = work.resolve()
    script += [f"mount -t tmpfs -o size={WORK_SIZE},mode=0777 tmpfs {q(work)}", f"cd {q(work)}"]
    # Every other world-writable folder gets a throwaway tmpfs: nothing the child writes outlives it.
    for scratch, size in SCRATCH_DIRS.items():
        script.append(f"mount -t tmpfs -o size={size},mode=1777 tmpfs {scratch} 2>/dev/null || true")
    final = command
    if iso.drop_user:
        final = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--no-new-privs",
                 *command]
    script.append("exec " + " ".join(q(c) for c in final))
    prefix = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc"]
    if iso.mode == "userns":
        prefix[1:1] = ["--user", "--map-root-user"]
    return [*prefix, "sh", "-c", "\n".join(script)]


def _hideable(hidden: list[Path], python_home: Path, run_dir: Path,
              tmp: Path) -> tuple[list[Path], list[Path]]:
    """The hidden paths that can be covered, split into (outside, inside) the Python installation.

    A path holding the interpreter (or the virtual environment it runs in) or the child's own folder
    cannot be covered: the child needs them. A path inside another covered folder needs no mount of
    its own (its mount point is gone).
    """
    needed = (python_home, Path(sys.prefix).resolve(), run_dir)
    paths = []
    for path in hidden:
        path = Path(path).resolve()
        if not path.exists() or path in (Path("/"), tmp) or any(n.is_relative_to(path) for n in needed):
            continue
        paths.append(path)
    folders = [p for p in paths if p.is_dir()]
    kept = sorted({p for p in paths if not any(p != f and p.is_relative_to(f) for f in folders)})
    homes = (python_home, Path(sys.prefix).resolve())
    inside = [p for p in kept if any(p.is_relative_to(h) for h in homes)]
    return [p for p in kept if p not in inside], inside


def _hide(path: Path) -> str:
    if path.is_dir():
        return f"mount -t tmpfs -o size=1m,mode=0755 tmpfs {q(path)}"
    return f"mount --bind /dev/null {q(path)}"


def q(value: object) -> str:
    return shlex.quote(str(value))


def prepare_tree(run_dir: Path, work: Path, iso: Isolation) -> None:
    """Make the child's folders usable by the unprivileged user: read the code, write ``work``."""
    if not iso.drop_user:
        return
    for folder, dirs, files in os.walk(run_dir):
        os.chmod(folder, 0o755)
        for f in files:
            os.chmod(os.path.join(folder, f), 0o644)
    os.chmod(work, 0o777)
