#!/usr/bin/env python3
# The figures behind the socket lock's `syscall_cost` and `copy_rate` (docs/windows.md "The
# socket lock"): send() of 1 B and of 64 KiB on a loopback TCP connection whose peer drains it,
# and recv() of 64 KiB already queued. Prints the 10th percentile and the median of 400 calls.
import socket
import statistics
import threading
import time


def timed_sends(size, n=400):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    c = socket.socket()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.connect(ls.getsockname())
    s, _ = ls.accept()

    def drain():
        buf = bytearray(1 << 20)
        while s.recv_into(buf):
            pass

    th = threading.Thread(target=drain)
    th.start()
    data, t = b"x" * size, []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        c.send(data)
        t.append(time.perf_counter_ns() - t0)
        time.sleep(0.0005)
    c.close()
    th.join()
    s.close()
    ls.close()
    return sorted(t)


def timed_recvs(size=65536, n=400):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    c = socket.socket()
    c.connect(ls.getsockname())
    s, _ = ls.accept()
    buf, data, t = bytearray(1 << 20), b"x" * size, []
    for _ in range(n):
        c.sendall(data)
        time.sleep(0.001)  # queued before the timed call
        t0 = time.perf_counter_ns()
        got = s.recv_into(buf)
        t.append(time.perf_counter_ns() - t0)
        while got < size:
            got += s.recv_into(memoryview(buf)[got:])
    return sorted(t)


def show(what, t):
    print(f"{what}: p10 {t[len(t) // 10] / 1000:.1f} us, median {statistics.median(t) / 1000:.1f} us")


if __name__ == "__main__":
    show("send() 1 B", timed_sends(1))
    show("send() 64 KiB", timed_sends(65536))
    show("recv() 64 KiB queued", timed_recvs())
