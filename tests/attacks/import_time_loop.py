"""Never finish importing (bounded at 60 s), deaf to signals."""
import signal
import time

for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM, signal.SIGXCPU):
    signal.signal(sig, signal.SIG_IGN)
stop = time.time() + 60
while time.time() < stop:
    pass
