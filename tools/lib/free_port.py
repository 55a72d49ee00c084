#!/usr/bin/env python3
"""Print a TCP port on 127.0.0.1 that nothing listens on and that this run has not handed out yet.

Usage: free_port.py RUN_ID

Ports come from 20000-32767, below Linux's ephemeral range (32768-60999), so an outgoing
connection or a test that binds port 0 cannot take one between this pick and the service's bind.
The ports already handed out in a run are kept in $TMPDIR/uwallet-ports.RUN_ID (the calling
script's PID), so two picks of one run never repeat: asking the kernel for port 0 twice in a row
can give the same port, which once started two services on one metrics port. Lists of runs that
are gone are removed on the way.
"""
import errno
import glob
import os
import random
import socket
import sys

LOW, HIGH = 20000, 32767


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main():
    run = sys.argv[1] if len(sys.argv) > 1 else str(os.getppid())
    tmp = os.environ.get("TMPDIR", "/tmp")
    for path in glob.glob(os.path.join(tmp, "uwallet-ports.*")):
        pid = path.rsplit(".", 1)[-1]
        if pid.isdigit() and pid != run and not alive(int(pid)):
            try:
                os.remove(path)
            except OSError:
                pass
    registry = os.path.join(tmp, "uwallet-ports." + run)
    taken = set()
    if os.path.exists(registry):
        with open(registry) as f:
            taken = {int(line) for line in f if line.strip().isdigit()}
    for _ in range(1000):
        port = random.randint(LOW, HIGH)
        if port in taken:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                continue
            raise
        finally:
            s.close()
        with open(registry, "a") as f:
            f.write("%d\n" % port)
        print(port)
        return 0
    print("no free port in %d-%d" % (LOW, HIGH), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
