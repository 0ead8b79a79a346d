#!/usr/bin/env python3
# send()'s MSG_MORE and MSG_EOR on real Linux (docs/socket-options.md): two network namespaces
# over a veth, the sender's segments captured on its side; the same stories netsim's
# tests/drill/send-msg-more-eor.pkt scripts. Run as root: sudo python3 scripts/real_linux_send_flags.py
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77

RECEIVER = r"""
import socket
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("0.0.0.0", 5002)); ls.listen(1); print("ready", flush=True)
c, _ = ls.accept()
while c.recv(1 << 16): pass
"""

# Each story on its own connection; a line "mark NAME" on stdout before it (times from there).
SENDER = r"""
import socket, sys, time
MORE, EOR = socket.MSG_MORE, socket.MSG_EOR
def conn():
    s = socket.socket(); s.connect(("10.9.0.2", 5002)); time.sleep(0.1); return s
def cork(s, v): s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, v)
x = lambda n: b"x" * n
s = conn()
s.send(x(100), MORE); time.sleep(0.05); s.send(x(100)); time.sleep(0.1)
s.send(x(3000), MORE); time.sleep(0.1)
cork(s, 1); s.send(x(100), EOR); s.send(x(100)); time.sleep(0.05); cork(s, 0); time.sleep(0.1)
cork(s, 1); s.send(x(100)); s.send(x(100)); time.sleep(0.05); cork(s, 0); time.sleep(0.1)
s.close()
"""


def sh(*args):
    subprocess.run(args, check=True, capture_output=True)


def main():
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return SKIP
    a, b = f"sfa{os.getpid()}", f"sfb{os.getpid()}"
    tmp = tempfile.mkdtemp()
    pcap = os.path.join(tmp, "a.pcap")
    try:
        for ns in (a, b):
            sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", "sfa0", "netns", a, "type", "veth", "peer", "sfb0", "netns", b)
        for ns, dev, addr in ((a, "sfa0", "10.9.0.1/24"), (b, "sfb0", "10.9.0.2/24")):
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", addr, "dev", dev)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        rcv = subprocess.Popen(["ip", "netns", "exec", b, sys.executable, "-c", RECEIVER],
                               stdout=subprocess.PIPE, text=True)
        rcv.stdout.readline()
        dump = subprocess.Popen(["ip", "netns", "exec", a, "tcpdump", "-i", "sfa0", "-s", "128",
                                 "-w", pcap, "tcp port 5002"], stderr=subprocess.DEVNULL)
        time.sleep(1)
        subprocess.run(["ip", "netns", "exec", a, sys.executable, "-c", SENDER], check=True)
        time.sleep(0.3)
        dump.terminate()
        dump.wait()
        rcv.wait(timeout=5)
        out = subprocess.run(["tcpdump", "-r", pcap, "-nn", "-tt", "-S", "src 10.9.0.1"],
                             capture_output=True, text=True).stdout
        t0 = isn = None
        for line in out.splitlines():
            m = re.match(r"(\d+\.\d+) .*Flags \[([^\]]*)\], seq (\d+)(?::(\d+))?.*length (\d+)", line)
            if not m:
                continue
            t, flags, seq, end, length = m.groups()
            if "S" in flags:
                t0, isn = float(t), int(seq)
            if int(length) == 0:
                continue
            rel = int(seq) - isn
            print(f"{float(t) - t0:8.4f} [{flags}] {rel}:{rel + int(length)}({length})")
    finally:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
