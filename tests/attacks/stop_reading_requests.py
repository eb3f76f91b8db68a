"""Stop reading the judge's requests and shrink the request pipe to one page, so that a large
request fills it: a judge writing with blocking writes would wait forever."""
import fcntl
import sys
import time

F_SETPIPE_SZ = 1031


def _jam():
    for name, module in list(sys.modules.items()):
        if name.endswith("child.worker"):
            request_fd = 3  # the child reads its requests from fd 3
            try:
                fcntl.fcntl(request_fd, F_SETPIPE_SZ, 4096)
            except OSError:
                pass
            real_read = module.wire.read

            def read(stream):
                time.sleep(60)  # never read another request (bounded)
                return real_read(stream)

            module.wire.read = read


_jam()


def size(x):
    return x.size
