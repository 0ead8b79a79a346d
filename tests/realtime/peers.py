#!/usr/bin/env python3
# Real Linux peers for the real-peer integration tests (tests/realtime/test_linux_peers*.cpp):
# plain sockets of the machine's own TCP stack, run inside the test's network namespace.
# Each mode prints "ready" when it may be talked to (servers) and one JSON line at the end.
import argparse
import hashlib
import json
import socket
import struct
import sys
import threading
import time


def done(**result):
    print(json.dumps(result), flush=True)


def recv_exactly(s, n):
    """Reads until n bytes or EOF, into one buffer: growing a bytes object chunk by chunk would
    copy it whole at every chunk (seconds of CPU for 10 MB under load, during which the echo
    server's queues fill up)."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = s.recv_into(view[got:], min(1 << 20, n - got))
        if k == 0:
            break
        got += k
    return bytes(view[:got])


def echo_client(a):
    time.sleep(a.delay)
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    port = s.getsockname()[1]
    msg = a.message.encode()
    s.sendall(msg)
    got = recv_exactly(s, len(msg))
    s.close()
    done(local_port=port, received=got.decode(errors="replace"))


def accept_one(a):
    """Listens on port a.port, prints "ready", accepts one connection and closes the listener;
    returns the connection (with the timeout a.timeout) and the peer's "address:port"."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", a.port))
    ls.listen(1)
    ls.settimeout(a.timeout)
    print("ready", flush=True)
    c, peer = ls.accept()
    ls.close()
    c.settimeout(a.timeout)
    return c, f"{peer[0]}:{peer[1]}"


def server(a):
    c, peer = accept_one(a)
    received = b""
    while True:  # echo until the peer's FIN, then close
        chunk = c.recv(65536)
        if not chunk:
            break
        received += chunk
        c.sendall(chunk)
    c.close()
    done(peer=peer, received=received.decode(errors="replace"))


# struct tcp_info (include/uapi/linux/tcp.h) up to tcpi_total_retrans: 7 u8 (state .. the
# wscale nibbles), a u8 of flags, then 24 u32 from tcpi_rto.
TCP_INFO_FIELDS = ("rto", "ato", "snd_mss", "rcv_mss", "unacked", "sacked", "lost", "retrans",
                   "fackets", "last_data_sent", "last_ack_sent", "last_data_recv",
                   "last_ack_recv", "pmtu", "rcv_ssthresh", "rtt", "rttvar", "snd_ssthresh",
                   "snd_cwnd", "advmss", "reordering", "rcv_rtt", "rcv_space", "total_retrans")


def tcp_info(s):
    """Linux's own view of the connection: negotiated options, MSS, retransmissions."""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    state, ca_state, retransmits, probes, backoff, options, wscale = struct.unpack_from("7B", b)
    info = dict(zip(TCP_INFO_FIELDS, struct.unpack_from("24I", b, 8)))
    info.update(ca_state=ca_state, options=options,  # TCPI_OPT_TIMESTAMPS 1, _SACK 2, _WSCALE 4
                snd_wscale=wscale & 0xF, rcv_wscale=wscale >> 4)
    return info


def netsim_filler(n):
    """netsim's `send: SIZE` bytes (scenarios/runner/scenario_run.cpp generated_bytes): byte i
    is the alphabet a-z0-9 at (i + i // 36) % 36."""
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789"
    period = bytes(alphabet[(i + i // 36) % 36] for i in range(36 * 36))
    return (period * (n // len(period) + 1))[:n]


def sink_server(a):
    """Accepts one connection, reads until the peer's FIN, closes; reports what arrived."""
    c, peer = accept_one(a)
    chunks = []
    while True:
        chunk = c.recv(1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    got = b"".join(chunks)
    info = tcp_info(c)
    c.close()
    done(peer=peer, received=len(got),
         intact=got == netsim_filler(a.expect) if a.expect else None,
         sha256=hashlib.sha256(got).hexdigest(), tcp_info=info)


def pattern(n):
    unit = bytes(range(256)) * 4096
    return (unit * (n // len(unit) + 1))[:n]


def bulk_client(a):
    data = pattern(a.bytes)
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    port = s.getsockname()[1]
    sender = threading.Thread(target=s.sendall, args=(data,))
    sender.start()
    got = recv_exactly(s, len(data))
    sender.join()
    s.shutdown(socket.SHUT_WR)
    tail = s.recv(1)  # the server's FIN
    info = tcp_info(s)
    s.close()
    done(local_port=port, sent=len(data), received=len(got), intact=got == data,
         sha256=hashlib.sha256(got).hexdigest(), eof=tail == b"", tcp_info=info)


def keepalive_client(a):
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, a.idle)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, a.intvl)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, a.cnt)
    port = s.getsockname()[1]
    s.sendall(b"hello")
    first = recv_exactly(s, 5)
    time.sleep(a.pause)
    try:
        s.sendall(b"still here")
        second = recv_exactly(s, 10).decode()
        error = ""
    except OSError as e:
        second, error = "", e.__class__.__name__
    s.close()
    done(local_port=port, first=first.decode(), second=second, error=error)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=10.0)
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("echo-client")
    c.add_argument("host"), c.add_argument("port", type=int), c.add_argument("message")
    c.add_argument("--delay", type=float, default=0.0)
    c.set_defaults(run=echo_client)
    c = sub.add_parser("server")
    c.add_argument("port", type=int)
    c.set_defaults(run=server)
    c = sub.add_parser("sink-server")
    c.add_argument("port", type=int)
    c.add_argument("--expect", type=int, default=0, help="bytes of netsim's filler expected")
    c.set_defaults(run=sink_server)
    c = sub.add_parser("bulk-client")
    c.add_argument("host"), c.add_argument("port", type=int), c.add_argument("bytes", type=int)
    c.set_defaults(run=bulk_client)
    c = sub.add_parser("keepalive-client")
    c.add_argument("host"), c.add_argument("port", type=int)
    c.add_argument("--idle", type=int, default=1)
    c.add_argument("--intvl", type=int, default=1)
    c.add_argument("--cnt", type=int, default=5)
    c.add_argument("--pause", type=float, default=4.5)
    c.set_defaults(run=keepalive_client)
    a = p.parse_args()
    try:
        a.run(a)
    except OSError as e:
        done(error=f"{e.__class__.__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
