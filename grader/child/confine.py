"""Entering the sandbox: what a fork of the template does before it imports any student code.

The template (``template.py``) is a clean interpreter that imported numpy and torch and never ran
student code. For every submission it forks, and the fork calls ``enter(plan)``: from then on the
process is the student's. Everything here runs before the first student import, in this order:

1. ``namespaces`` mode: fresh mount, PID, network, IPC, UTS and cgroup namespaces (the fork becomes
   PID 1 of its own PID namespace, so killing it kills everything it started), then a view built
   from the template's: its own submission (read-only), private size-capped tmpfs for its working
   folder, /tmp and /dev/shm, a fresh /proc, and the template's inbox of staged submissions hidden.
2. Resource limits (rlimits), set from inside the namespaces so that they count for this child.
3. Identity: a dedicated unprivileged uid when the judge is root; every capability dropped,
   the bounding and ambient sets emptied, ``no_new_privs`` set.
4. Landlock (where the kernel has it and the mode asks for it): a file-system allowlist, no TCP,
   and signals and abstract unix sockets scoped to the child.
5. A seccomp filter (``SECCOMP_DENY`` below): no ptrace, keyrings, mounts, namespaces, BPF, perf,
   TIOCSTI, personality changes, System V / POSIX IPC, sockets or io_uring.

``observe`` then reports what the process actually is (``/proc/self/status``, namespaces, mounts,
limits, and whether paths the judge names are reachable); the judge compares that with what the
mode promises and refuses to grade on any difference.

This module runs inside the child, so it needs the standard library only (and ``pyseccomp``,
imported by the template before it forks).
"""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import socket
import stat
import sys
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)

# <sched.h>, <sys/mount.h>, <linux/prctl.h>
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x10000000, 0x20000000, 0x40000000
NAMESPACE_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID \
    | CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
PERSONALITY_QUERY = 0xFFFFFFFF

# What the child may not do, whatever the mode. Each is either a way out of the sandbox or a channel
# to another child; none is needed to compute an exercise with numpy or torch.
SECCOMP_DENY = (
    # debugging other processes, reading their memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # kernel keyrings are per user: a key stored by one child could be read by the next
    "keyctl", "add_key", "request_key",
    # the file-system view and the namespaces are the sandbox itself
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr", "open_by_handle_at", "name_to_handle_at",
    # kernel attack surface a numerical exercise never needs
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "lookup_dcookie", "syslog", "fanotify_init", "iopl", "ioperm",
    # channels between children: System V and POSIX IPC, sockets (socketpair stays allowed)
    "msgget", "msgsnd", "msgrcv", "msgctl", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop",
    "semtimedop", "semctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
    "mq_getsetattr", "socket",
)


class ConfineError(RuntimeError):
    """A sandbox layer could not be put in place: the child must not run student code."""


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise ConfineError(f"{what}: {os.strerror(err)} (errno {err})")
    return result


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _libc.prctl(option, ctypes.c_ulong(arg2), ctypes.c_ulong(arg3), ctypes.c_ulong(arg4),
                       ctypes.c_ulong(arg5))


def die_with_parent(parent: int | None) -> None:
    """SIGKILL when the parent dies; if it already died (we were reparented), die now. ``None``:
    the parent lives in an outer PID namespace, where getppid() cannot name it."""
    _check(prctl(PR_SET_PDEATHSIG, signal.SIGKILL), "prctl(PR_SET_PDEATHSIG)")
    if parent is not None and os.getppid() != parent:
        os._exit(137)


# --------------------------------------------------------------------------- namespaces and view
def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_bytes(source), _bytes(target), _bytes(fstype), ctypes.c_ulong(flags), _bytes(data)),
           f"mount {target}")


# statvfs flags -> mount flags that a remount must repeat (in a user namespace they are locked).
_KEPT_FLAGS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC,
               os.ST_NOATIME: 1024, os.ST_NODIRATIME: 2048, os.ST_RELATIME: 1 << 21}


def remount_readonly(path: str) -> None:
    """This mount of ``path`` read-only, its other flags kept (only this view changes)."""
    current = os.statvfs(path).f_flag
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY
    for st_flag, ms_flag in _KEPT_FLAGS.items():
        if current & st_flag:
            flags |= ms_flag
    mount(None, path, None, flags)


def _map_self(uid: int, gid: int) -> None:
    """In a fresh user namespace: the same uid and gid as outside, and nothing else."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def build_view(plan: dict[str, Any]) -> None:
    """The child's view, built from the template's (which holds only system folders, Python, the
    child runtime and the inbox): its submission read-only, private tmpfs, the inbox hidden.
    Runs as PID 1 of the new PID namespace, so the fresh /proc shows only the child's processes."""
    view = plan["view"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # /dev is a tmpfs the template shares with every fork: read-only here (its devices still work).
    remount_readonly("/dev")
    mount(plan["submission"], view["submission"], None, MS_BIND | MS_REC)
    mount(None, view["submission"], None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    sizes = plan["tmpfs"]
    owner = f"uid={plan['uid']},gid={plan['gid']}"
    mount("tmpfs", view["work"], "tmpfs", MS_NOSUID | MS_NODEV, f"size={sizes['work']},mode=0700,{owner}")
    for folder in view["scratch"]:
        mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={sizes['scratch']},mode=1777")
    # Other submissions staged for this template: gone from this child's view.
    mount("tmpfs", view["inbox"], "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=0555")
    for folder in view.get("hide", ()):
        if os.path.isdir(folder):  # the cgroups the judge gave this template
            mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=0555")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    name = b"dlgrade"
    _check(_libc.sethostname(name, len(name)), "sethostname")


def enter_namespaces(plan: dict[str, Any], keep_fds: list[int]) -> None:
    """Called in the fork: new namespaces; the caller becomes a waiting parent, the grandchild
    (PID 1 of the new PID namespace) returns to build its view and run the student's code.

    Where the uid is shared (a normal user's judge), the fork also takes its own user namespace:
    the kernel then counts its processes apart from every other child's."""
    flags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID
    if plan.get("own_user_namespace"):
        uid, gid = os.getuid(), os.getgid()
        unshare(flags | CLONE_NEWUSER)
        _map_self(uid, gid)
    else:
        unshare(flags)
    # Read now: the grandchild mounts its own /proc in the mount namespace both share, after which
    # /proc/self means nothing to this process.
    privileges = _privileges()
    pid = os.fork()
    if pid == 0:
        # If the waiting parent is killed this very moment, the child is orphaned before it asks to
        # die with it; it then finds its request pipe closed and ends at its first read.
        die_with_parent(None)
        build_view(plan)
        return
    # The waiting parent: holds nothing of the child's, runs no student code, dies with the template.
    for fd in keep_fds:
        os.close(fd)
    _drop_identity(plan, privileges)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):  # die the same way, so the template sees what killed the child
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)


# --------------------------------------------------------------------------- limits and identity
LIMIT_NAMES = {"cpu_s": resource.RLIMIT_CPU, "memory_bytes": resource.RLIMIT_AS,
               "file_bytes": resource.RLIMIT_FSIZE, "open_files": resource.RLIMIT_NOFILE,
               "processes": resource.RLIMIT_NPROC}


def set_limits(limits: dict[str, int]) -> None:
    for name, value in limits.items():
        value = int(value)
        if name == "processes" and limits.get("processes_relative"):
            value += _processes_of(os.getuid())  # same uid as others: cap what this child adds
        if name in LIMIT_NAMES:
            resource.setrlimit(LIMIT_NAMES[name], (value, value))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _processes_of(uid: int) -> int:
    """Threads count against RLIMIT_NPROC, so this counts tasks, as the kernel does."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except OSError:
        return 40


CAP_SETPCAP = 8


def _effective_capabilities() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def _privileges() -> tuple[int, int]:
    """(effective capabilities, the highest capability number), read from /proc."""
    return _effective_capabilities(), _last_cap()


def drop_bounding_set(privileges: tuple[int, int]) -> None:
    """No capability can come back through execve: the bounding and ambient sets are emptied.
    A process without CAP_SETPCAP (a normal user without namespaces) has nothing to drop: for it,
    no_new_privs is what keeps execve from granting privileges."""
    effective, last_cap = privileges
    if not effective & (1 << CAP_SETPCAP):
        return
    for cap in range(last_cap + 1):
        if prctl(PR_CAPBSET_DROP, cap) < 0 and ctypes.get_errno() != errno.EINVAL:
            raise ConfineError(f"prctl(PR_CAPBSET_DROP, {cap}): {os.strerror(ctypes.get_errno())}")
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)


def drop_capabilities() -> None:
    """Effective, permitted and inheritable sets emptied (lowering needs no privilege)."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3: two data structs
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def _drop_identity(plan: dict[str, Any], privileges: tuple[int, int] | None = None) -> None:
    """Bounding and ambient sets first (dropping them needs CAP_SETPCAP), then the uid (a root
    judge's child becomes its dedicated uid), then whatever capabilities are left."""
    drop_bounding_set(privileges or _privileges())
    if plan.get("uid") is not None and os.getuid() == 0 and plan["uid"] != 0:
        os.setgroups([])
        os.setresgid(plan["gid"], plan["gid"], plan["gid"])
        os.setresuid(plan["uid"], plan["uid"], plan["uid"])
    drop_capabilities()
    _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "prctl(PR_SET_NO_NEW_PRIVS)")


# --------------------------------------------------------------------------- landlock
# <linux/landlock.h>: the syscalls are 444-446 on every architecture.
_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446
_LL_VERSION = 1
_LL_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_MAKE_AND_REMOVE = sum(1 << b for b in range(4, 13))  # remove_dir/file, make_char/dir/reg/sock/fifo/block/sym
FS_WRITE_ALL = FS_WRITE_FILE | FS_MAKE_AND_REMOVE
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV  # all a file rule may hold
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
FS_READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is absent or disabled."""
    _libc.syscall.restype = ctypes.c_long
    version = _libc.syscall(_LL_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(_LL_VERSION))
    return max(int(version), 0)


def _fs_handled(abi: int) -> int:
    handled = FS_READ | FS_WRITE_FILE | FS_WRITE_ALL
    if abi >= 2:
        handled |= FS_REFER
    if abi >= 3:
        handled |= FS_TRUNCATE
    if abi >= 5:
        handled |= FS_IOCTL_DEV
    return handled


def apply_landlock(read: list[str], write: list[str], abi: int) -> None:
    """Only ``read`` (read and execute) and ``write`` (everything) exist for this process from now
    on; with ABI >= 4 no TCP bind or connect; with ABI >= 6 no signal or abstract unix socket
    reaches a process outside the sandbox."""
    handled = _fs_handled(abi)
    attr = _RulesetAttr(handled, (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0,
                        (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = _check(int(_libc.syscall(_LL_CREATE, ctypes.byref(attr), ctypes.c_size_t(size),
                                       ctypes.c_uint32(0))), "landlock_create_ruleset")
    try:
        for paths, access in ((read, FS_READ), (write, handled)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # a folder this machine does not have
                try:
                    is_dir = os.path.isdir(path)
                    rule = _PathBeneath(access if is_dir else access & FS_FILE_RIGHTS, fd)
                    _check(int(_libc.syscall(_LL_ADD_RULE, ruleset, _LL_RULE_PATH_BENEATH, ctypes.byref(rule),
                                             ctypes.c_uint32(0))), f"landlock_add_rule {path}")
                finally:
                    os.close(fd)
        _check(int(_libc.syscall(_LL_RESTRICT, ruleset, ctypes.c_uint32(0))), "landlock_restrict_self")
    finally:
        os.close(ruleset)


# --------------------------------------------------------------------------- seccomp
def apply_seccomp() -> None:
    import pyseccomp as sc

    f = sc.SyscallFilter(sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in SECCOMP_DENY:
        try:
            f.add_rule(deny, name)
        except (OSError, ValueError, RuntimeError):
            continue  # a syscall this architecture does not have
    for flag in (CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                 CLONE_NEWNET):
        f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, where a filter cannot look: ENOSYS makes libc use clone.
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for request in (TIOCSTI, TIOCLINUX):
        f.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, request))
    f.add_rule(deny, "personality", sc.Arg(0, sc.NE, PERSONALITY_QUERY))
    f.load()


# --------------------------------------------------------------------------- the whole entry
def enter(plan: dict[str, Any], keep_fds: list[int]) -> None:
    """Confine this process (a fork of the template) as ``plan`` says; raises ConfineError when a
    layer the plan asks for cannot be put in place."""
    for procs in plan.get("cgroup_procs") or ():
        with open(procs, "w") as f:  # before anything forks: all it starts is counted with it
            f.write(f"{os.getpid()}\n")
    if plan["namespaces"]:
        enter_namespaces(plan, keep_fds)
    set_limits(plan["limits"])
    _drop_identity(plan)
    if plan.get("landlock"):
        apply_landlock(plan["landlock"]["read"], plan["landlock"]["write"], plan["landlock"]["abi"])
    if plan.get("seccomp"):
        apply_seccomp()
    os.chdir(plan["view"]["work"])
    os.environ.update(HOME=plan["view"]["work"], TMPDIR=plan["view"]["work"])


# --------------------------------------------------------------------------- what the child is
STATUS_FIELDS = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                 "Seccomp")
NAMESPACES = ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup")


def observe(unreachable: list[str]) -> dict[str, Any]:
    """What this process is, read from the kernel, before any student code runs."""
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in STATUS_FIELDS:
                status[key] = value.split()
    namespaces = {}
    for ns in NAMESPACES:
        try:
            namespaces[ns] = os.readlink(f"/proc/self/ns/{ns}")
        except OSError:
            namespaces[ns] = ""
    try:
        with open("/proc/self/uid_map") as f:
            uid_map = [line.split() for line in f if line.strip()]
    except OSError:
        uid_map = []
    return {
        "status": status, "namespaces": namespaces, "uid_map": uid_map, "pid": os.getpid(),
        "limits": {name: list(resource.getrlimit(code)) for name, code in LIMIT_NAMES.items()},
        "reachable": [p for p in unreachable if _reachable(p)],
        "socket_denied": _socket_denied(),
    }


def _reachable(path: str) -> bool:
    """Can this process learn anything under ``path``? An empty folder or a device standing in
    for a hidden file (how a path inside a bound folder is covered) reveals nothing."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    try:
        if stat.S_ISDIR(st.st_mode):
            return bool(os.listdir(path))
        if stat.S_ISREG(st.st_mode):
            os.close(os.open(path, os.O_RDONLY))
            return True
    except OSError:
        return False
    return False


def _socket_denied() -> bool:
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
    except OSError:
        return True
    return False


if sys.platform != "linux":  # pragma: no cover - the template refuses to start elsewhere
    raise ImportError("dlgrade's sandbox needs Linux")
