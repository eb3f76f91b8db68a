"""Operating-system isolation around the child: namespaces, a private file-system view, a user.

Detected once per judge process, used when available, and recorded in every results.json:

- ``pid_namespace``: the child is PID 1 of its own namespace, so when it is killed every process
  it started dies with it, even one that called setsid().
- ``network_namespace``: only a loopback interface that is down: no network.
- ``filesystem_view``: a mount namespace and a new root built from an allowlist: the system
  folders and the Python installation (read-only), the child's own run folder, fresh /dev and
  /proc, and private size-capped tmpfs for its working folder, /tmp, /var/tmp, /dev/shm and
  /run/lock. Nothing else of the machine exists there: not the course folder, its git history,
  any other copy of the course, other students' submissions, /root or /home.
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
    tools = ("unshare", "mount", "chroot")
    if os.environ.get("DLGRADE_NO_NAMESPACES") or not all(
            shutil.which(t, path="/usr/sbin:/sbin:/usr/bin:/bin") for t in tools):
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


# What the new root holds of the machine: the system's programs, libraries and settings. Nothing
# else (no /home, /work, /srv, /opt, /root): a copy of the course anywhere on the machine is absent.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
NEW_ROOT = "/mnt"


def wrap(command: list[str], iso: Isolation, run_dir: Path, hidden: list[Path], work: Path) -> list[str]:
    """The command that starts ``command`` inside the isolation layers.

    The child gets a new root built from an allowlist: the system folders (read-only), the Python
    installation and its virtual environment (read-only), its own run folder, private tmpfs for
    /tmp, /var/tmp, /run/lock, /dev/shm and its working folder, and fresh /dev and /proc. Paths in
    ``hidden`` that lie inside what is bound (a non-editable install of the checks in
    site-packages) are covered too.
    """
    if iso.mode == "none":
        return command
    run_dir, work = run_dir.resolve(), work.resolve()
    python_homes = list(dict.fromkeys((Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve())))
    r = NEW_ROOT
    script = ["set -e", "mount --make-rprivate / 2>/dev/null || true",
              f"mount -t tmpfs -o size=4m,mode=0755 tmpfs {r}"]
    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():  # merged /usr: /bin -> usr/bin
            script.append(f"ln -s {q(os.readlink(path))} {r}{folder}")
        elif path.is_dir():
            script += _bind(folder, f"{r}{folder}", read_only=True)
    script += [f"mkdir -p {r}/tmp {r}/proc {r}/dev {r}/var/tmp {r}/run/lock",
               f"mount -t tmpfs -o size=256m,mode=1777 tmpfs {r}/tmp",
               f"mount -t proc proc {r}/proc",
               f"mount --rbind /dev {r}/dev"]
    for scratch, size in SCRATCH_DIRS.items():
        script.append(f"mount -t tmpfs -o size={size},mode=1777 tmpfs {r}{scratch}")
    # After the tmpfs above: a virtual environment may live under /tmp.
    for home in python_homes:
        if not any(home.is_relative_to(f) for f in SYSTEM_DIRS):
            script += _bind(str(home), f"{r}{home}", read_only=True)
    script += _bind(str(run_dir), f"{r}{run_dir}", read_only=False)
    # The working folder is a size-capped tmpfs: however many files the child writes, the judge's
    # disk never fills, and nothing written survives the child.
    script.append(f"mount -t tmpfs -o size={WORK_SIZE},mode=0777 tmpfs {r}{q(work)}")
    for path in _covered(hidden, python_homes, run_dir):
        script.append(_hide(path, r))
    final = command
    if iso.drop_user:
        final = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--no-new-privs",
                 *command]
    inner = f"cd {q(work)} && exec " + " ".join(q(c) for c in final)
    chroot = shutil.which("chroot", path="/usr/sbin:/sbin:/usr/bin:/bin") or "chroot"
    script.append(f"exec {q(chroot)} {r} /bin/sh -c {q(inner)}")
    prefix = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc"]
    if iso.mode == "userns":
        prefix[1:1] = ["--user", "--map-root-user"]
    return [*prefix, "sh", "-c", "\n".join(script)]


def _bind(source: str, target: str, read_only: bool) -> list[str]:
    lines = [f"mkdir -p {q(target)}", f"mount --rbind {q(source)} {q(target)}"]
    if read_only:
        # Best effort: where the kernel refuses a read-only remount, permissions still protect it.
        lines.append(f"mount -o remount,bind,ro {q(target)} 2>/dev/null || true")
    return lines


def _covered(hidden: list[Path], homes: list[Path], run_dir: Path) -> list[Path]:
    """Hidden paths that would be visible inside the new root: those inside a bound Python home."""
    out = []
    for path in hidden:
        path = Path(path).resolve()
        if path.exists() and any(path.is_relative_to(h) and path != h for h in homes) \
                and not run_dir.is_relative_to(path):
            out.append(path)
    return sorted(set(out))


def _hide(path: Path, root: str) -> str:
    target = q(f"{root}{path}")
    if path.is_dir():
        return f"mount -t tmpfs -o size=1m,mode=0755 tmpfs {target}"
    return f"mount --bind /dev/null {target}"


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
