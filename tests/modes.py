"""Run a command in one of the four settings a course is graded in, from a root CI machine.

    python tests/modes.py MODE -- COMMAND [ARG...]

MODE is one of
  root                   as it is (root, with namespaces)
  user                   a normal user (uid 60001) with unprivileged user namespaces
  root-no-namespaces     root in a container under Docker's default seccomp profile: creating
                         namespaces and mounting are refused
  user-no-namespaces     a normal user (uid 60002) in such a container

The interpreter here lives under a 0700 home (pyenv under /root). As in the shared
``as-unprivileged`` tool, a private mount namespace (for this command only) puts a 0755 tmpfs over
each folder on the way that others cannot enter and binds back what the command needs: the
interpreter and the repository. That is the machine a container gives (a world-readable Python);
nothing changes for the rest of the machine. Then, for the no-namespace modes, a seccomp filter
denies what Docker's default profile denies to a process without CAP_SYS_ADMIN (unshare, setns,
mount, clone with namespace flags), and for the user modes the command drops to a uid of its own: the two user modes run side by side
in tests/test_modes.py, and on a shared uid one mode's processes would count against the other's
per-user process limit.

Test infrastructure only, never imported by the product.
"""
from __future__ import annotations

import ctypes
import errno
import os
import sys
import tempfile
from pathlib import Path

UNPRIVILEGED = {"user": 60001, "user-no-namespaces": 60002}
MODES = {"root": (False, False), "user": (True, False), "root-no-namespaces": (False, True),
         "user-no-namespaces": (True, True)}
EXPECTED = {"root": "namespaces", "user": "namespaces", "root-no-namespaces": "dropped-uid",
            "user-no-namespaces": "landlock"}
CLONE_NEW = {"ns": 0x00020000, "cgroup": 0x02000000, "uts": 0x04000000, "ipc": 0x08000000,
             "user": 0x10000000, "pid": 0x20000000, "net": 0x40000000}
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())
    _call(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def make_reachable(paths: list[Path]) -> None:
    """Every folder on the way to ``paths`` becomes enterable by others, in this mount namespace."""
    stage = Path(tempfile.mkdtemp(prefix="dlgrade-modes-"))
    os.chmod(stage, 0o700)
    for _ in range(8):  # one closed level per round; deeper closed levels take further rounds
        closed: dict[Path, set[str]] = {}
        for path in paths:
            path = path.resolve()
            for folder in [*reversed(path.parents), path]:
                if folder == path:
                    break
                if not os.stat(folder).st_mode & 0o001:
                    child = path.relative_to(folder).parts[0]
                    closed.setdefault(folder, set()).add(child)
                    break
        if not closed:
            break
        for folder, children in closed.items():
            held = []
            for i, child in enumerate(sorted(children)):
                spot = stage / f"{len(os.listdir(stage))}-{i}"
                spot.mkdir()
                _mount(str(folder / child), str(spot), None, MS_BIND | MS_REC)
                held.append((child, spot))
            _mount("tmpfs", str(folder), "tmpfs", 0, "mode=0755,size=1m")
            for child, spot in held:
                target = folder / child
                if spot.is_dir():
                    target.mkdir()
                else:
                    target.touch()
                _mount(str(spot), str(target), None, MS_BIND | MS_REC)
                _libc.umount2(str(spot).encode(), 2)  # MNT_DETACH: the bind-back stays
                spot.rmdir()
    os.rmdir(stage)


def deny_namespaces() -> None:
    """Docker's default seccomp profile, as far as namespaces go: a container without
    CAP_SYS_ADMIN may not create namespaces, join them, or mount."""
    import pyseccomp as sc

    f = sc.SyscallFilter(sc.ALLOW)
    for name in ("unshare", "setns", "mount", "umount2", "pivot_root", "fsopen", "fsmount", "open_tree",
                 "move_mount"):
        f.add_rule(sc.ERRNO(errno.EPERM), name)
    for flag in CLONE_NEW.values():
        f.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    f.load()


def enter(mode: str, reachable: list[Path]) -> dict[str, str]:
    """Put this process in ``mode``; returns the environment the command should get."""
    unprivileged, no_namespaces = MODES[mode]
    env = dict(os.environ)
    if unprivileged or no_namespaces:
        _call(_libc.unshare(CLONE_NEW["ns"]), "unshare")
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        homes = {Path(sys.base_prefix), Path(sys.prefix)}
        make_reachable([*homes, *reachable])
    if no_namespaces:
        deny_namespaces()
    if unprivileged:
        home = Path(tempfile.mkdtemp(prefix="dlgrade-modes-home-"))
        uid = UNPRIVILEGED[mode]
        os.chown(home, uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        env.update(HOME=str(home), USER=f"dlgrade-test-{uid}")  # pytest keeps a temp folder per USER
        env.pop("TMPDIR", None)
    env["DLGRADE_EXPECT_MODE"] = EXPECTED[mode]
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def main(argv: list[str]) -> None:
    mode = argv[0]
    command = argv[argv.index("--") + 1:]
    env = enter(mode, [Path.cwd()])
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
