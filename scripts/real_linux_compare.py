#!/usr/bin/env python3
# netsim's data path against real Linux on the same simulated link (docs/windows.md "Checked
# against real Linux"): a buffer-limited bulk transfer between two real Linux hosts (network
# namespaces, `tun:` hosts) and the same story between two simulated Linux-profile hosts.
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

SKIP = 77  # "skipped", as automake and ctest scripts read it

RECEIVER = r"""
import socket, sys, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
ls.bind(("0.0.0.0", 5001)); ls.listen(1); print("ready", flush=True)
c, _ = ls.accept(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    n += len(b)
c.close(); print(n, flush=True)
"""

SENDER = r"""
import socket, sys, time
n, chunk, sndbuf = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]); data = b"x" * chunk
flags = socket.MSG_EOR if sys.argv[4] == "1" else 0
s = socket.socket(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
if sndbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
s.connect(("10.0.0.2", 5001)); t0 = time.monotonic(); left = n
while left > 0:
    left -= s.send(data[:min(left, len(data))], flags)
s.shutdown(socket.SHUT_WR); s.recv(1); print(time.monotonic() - t0, flush=True)
"""


def links(rate):
    return f"""routers: [r1]
links:
  - {{between: [alice, r1], delay: 5ms, bandwidth: {rate}}}
  - {{between: [r1, bob], delay: 5ms, bandwidth: {rate}}}
"""


def real_scenario(ns_a, ns_b, rate):
    return f"""name: real-linux-bulk
duration: 600s
hosts:
  alice: {{tun: nsa0, address: 10.0.0.1, netns: {ns_a}}}
  bob: {{tun: nsb0, address: 10.0.0.2, netns: {ns_b}}}
{links(rate)}"""


def sim_scenario(size, wmem, rate, so_sndbuf, lock=""):
    opts = f", socket_options: {{SO_SNDBUF: {so_sndbuf}}}" if so_sndbuf else ""
    # `lock`: the socket lock's tunables (syscall_cost, copy_rate) on both hosts, or "".
    bob = f"{{address: 10.0.0.2, tcp: {{{lock.lstrip(', ')}}}}}" if lock else "10.0.0.2"
    return f"""name: sim-linux-bulk
duration: 600s
hosts:
  alice: {{address: 10.0.0.1, tcp: {{wmem: "4096 16384 {wmem}"{lock}}}}}
  bob: {bob}
{links(rate)}apps:
  - tcp_server: {{name: sink, on: bob, port: 5001, reply: none, close: after_peer}}
  - tcp_client: {{name: bulk, on: alice, connect: bob:5001, send: {size}B, close: after_send{opts}}}
"""


# ---- pcap reading (no dependency: classic pcap, RAW/IPv4/Ethernet/SLL link types) ----------

def read_pcap(path):
    """Yields (time in s, IPv4 packet bytes)."""
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        magic = struct.unpack(endian + "I", head[:4])[0]
        scale = 1e-9 if magic == 0xA1B23C4D else 1e-6
        linktype = struct.unpack(endian + "I", head[20:24])[0] & 0xFFFF
        skip = {1: 14, 113: 16, 101: 0, 228: 0, 12: 0}[linktype]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            yield sec + frac * scale, data[skip:]


def tcp_segments(path):
    for t, ip in read_pcap(path):
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:]
        sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
        hl = (off >> 4) * 4
        opts = tcp[20:hl]
        yield dict(t=t, src=ip[12:16], sport=sport, dport=dport, seq=seq, ack=ack,
                   flags=flags, win=win, len=total - ihl - hl, opts=opts)


def wscale_of(opts):
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            break
        if kind == 3:
            return opts[i + 2]
        i += opts[i + 1]
    return None


def analyse(path, data_port=5001, steady_from=2.0):
    """The sender's view of one bulk connection to data_port."""
    segs = list(tcp_segments(path))
    data = [s for s in segs if s["dport"] == data_port]
    acks = [s for s in segs if s["sport"] == data_port]
    syn = next(s for s in data if s["flags"] & 2)
    synack = next(s for s in acks if s["flags"] & 2)
    base = syn["seq"] + 1
    ws_rcv = wscale_of(synack["opts"]) or 0
    payload = [s for s in data if s["len"] > 0]
    t0 = payload[0]["t"]
    nxt = una = 0
    inflight, windows, seen, retrans = [], [], set(), 0
    events = sorted([(s["t"], 0, s) for s in payload] + [(s["t"], 1, s) for s in acks],
                    key=lambda e: (e[0], e[1]))
    for t, kind, s in events:
        if kind == 0:
            rel = (s["seq"] - base) % (1 << 32)
            retrans += rel in seen
            seen.add(rel)
            nxt = max(nxt, rel + s["len"])
            inflight.append((t - t0, nxt - una))
        elif not s["flags"] & 2:
            una = max(una, (s["ack"] - base) % (1 << 32))
            windows.append((t - t0, s["win"]))
    total = nxt
    # The ACK of the last byte; a capture that lost it (tcpdump drops under load) ends at
    # its last ACK and says so.
    complete = any(k == 1 and (s["ack"] - base) % (1 << 32) >= total for _, k, s in events)
    last_ack = next(t for t, k, s in reversed(events) if k == 1 and
                    (not complete or (s["ack"] - base) % (1 << 32) >= total))
    # The steady state: bytes ACKed from `steady_from` (2 s: slow start excluded) to 0.5 s
    # before the end.
    acked = [(t - t0, (s["ack"] - base) % (1 << 32)) for t, k, s in events
             if k == 1 and not s["flags"] & 2]
    t1, t2 = steady_from, last_ack - t0 - 0.5
    steady = None
    if t2 > t1 + min(1.0, t1):
        a1 = max(a for t, a in acked if t <= t1)
        a2 = max(a for t, a in acked if t <= t2)
        steady = (a2 - a1) * 8 / (t2 - t1) / 1e6
    sizes = {}
    for s in payload:
        sizes[s["len"]] = sizes.get(s["len"], 0) + 1
    fl = [b for _, b in inflight]
    wins = [w for _, w in windows]
    distinct = []
    for w in wins:
        if not distinct or distinct[-1] != w:
            distinct.append(w)
    return dict(
        bytes=total, complete=complete, duration_s=last_ack - t0, goodput_mbps=total * 8 / (last_ack - t0) / 1e6,
        steady_mbps=steady,
        syn_wscale=wscale_of(syn["opts"]), synack_wscale=ws_rcv, synack_win=synack["win"],
        segments=len(payload), retransmissions=retrans,
        largest_segment=max(sizes), share_1448=sizes.get(1448, 0) / len(payload),
        inflight_median=statistics.median(fl), inflight_p90=sorted(fl)[int(len(fl) * 0.9)],
        inflight_max=max(fl),
        inflight_at={f"{x:.1f}s": max((b for t, b in inflight if t <= x), default=0)
                     for x in (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)},
        window_first=distinct[:12], window_max=max(wins),
        window_bytes_at={f"{x:.1f}s": max((w for t, w in windows if t <= x), default=0) << ws_rcv
                         for x in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)},
        segments_per_ack=len(payload) / max(1, len(acks)),
        window_max_bytes=max(wins) << ws_rcv,
        window_max_at_s=next(t for t, w in windows if w == max(wins)),
        acks=len(acks))


# ---- the two runs ----------------------------------------------------------------------------

def sh(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw).stdout


def skip_reason(netsim):
    if os.geteuid() != 0:
        return "needs root (network namespaces, TUN devices, tcpdump)"
    if not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return "no usable /dev/net/tun"
    for tool in ("ip", "ss", "tcpdump"):
        if not shutil.which(tool):
            return f"`{tool}` is not installed"
    if not os.access(netsim, os.X_OK):
        return f"no netsim binary at {netsim} (build it, or pass --netsim)"
    return None


def sample_ss(ns, out, stop_file):
    """`ss -tmi` in the sender's namespace every 50 ms until stop_file exists."""
    script = (f"while [ ! -e {stop_file} ]; do date +%s.%N; "
              f"ip netns exec {ns} ss -tmiHn dst 10.0.0.2; sleep 0.05; done")
    return subprocess.Popen(["sh", "-c", script], stdout=open(out, "w"))


def parse_ss(path):
    """The largest skmem tb (sk_sndbuf) and w, cwnd, and the median rtt and unacked of
    the data connection's samples."""
    tb, w, cwnd, rtt, unacked = [], [], [], [], []
    for line in open(path):
        if "skmem:(" in line:
            sk = {m.group(1): int(m.group(2)) for m in
                  re.finditer(r"([a-z]+)(\d+)", line.split("skmem:(")[1].split(")")[0])}
            tb.append(sk.get("tb", 0))
            w.append(sk.get("w", 0))
        for field, into in (("cwnd:", cwnd), ("unacked:", unacked)):
            for tok in line.split():
                if tok.startswith(field):
                    into.append(int(tok[len(field):]))
        for tok in line.split():
            if tok.startswith("rtt:"):
                rtt.append(float(tok[4:].split("/")[0]))
    if not tb:
        return {}
    return dict(samples=len(tb), sndbuf_max=max(tb), wmem_queued_max=max(w),
                cwnd_max=max(cwnd, default=0), rtt_ms_median=statistics.median(rtt or [0]),
                unacked_median=statistics.median(unacked or [0]))


def process_cpu_seconds(pid):
    """User + system CPU time of a running process (/proc/PID/stat utime, stime)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_real(a, work):
    ns_a, ns_b = f"rlc-a-{os.getpid()}", f"rlc-b-{os.getpid()}"
    os.makedirs(os.path.join(work, "real-out"), exist_ok=True)
    procs = []
    try:
        for ns in (ns_a, ns_b):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        # Per-namespace sysctls: the sender's send buffer sets the rate; (unless
        # --kernel-defaults) 6.12's tcp_rmem, as netsim's linux profile has it. CUBIC is set
        # per socket (TCP_CONGESTION): a namespace other than the first may only default to an
        # algorithm of tcp_allowed_congestion_control, and a new one inherits the machine's.
        sysctls = [f"net.ipv4.tcp_wmem=4096 16384 {a.wmem_max}"]
        if not a.kernel_defaults:
            sysctls.append("net.ipv4.tcp_rmem=4096 131072 6291456")
        for ns in (ns_a, ns_b):
            for setting in sysctls:
                sh("ip", "netns", "exec", ns, "sysctl", "-qw", setting)
        a.sysctls = sysctls
        yaml = os.path.join(work, "real.yaml")
        open(yaml, "w").write(real_scenario(ns_a, ns_b, a.rate))
        wire_pcap = os.path.join(work, "real-netsim.pcap")
        capture_args = [] if a.no_netsim_pcap else ["--pcap", wire_pcap, "--pcap-at", "alice"]
        sim = subprocess.Popen([a.netsim, "run", yaml, "-o", os.path.join(work, "real-out"),
                                "-q", *capture_args, "--summary",
                                os.path.join(work, "real-out", "summary.json")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(sim)
        for _ in range(100):  # the devices are up once nsb0 exists in bob's namespace
            if subprocess.run(["ip", "-n", ns_b, "link", "show", "nsb0"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        rcv = subprocess.Popen(["ip", "netns", "exec", ns_b, sys.executable, "-c", RECEIVER],
                               stdout=subprocess.PIPE, text=True)
        procs.append(rcv)
        assert rcv.stdout.readline().strip() == "ready"
        pcap = os.path.join(work, "real.pcap")
        dump = subprocess.Popen(["ip", "netns", "exec", ns_a, "tcpdump", "-i", "nsa0", "-s",
                                 "128", "-B", "16384", "-U", "-w", pcap, "tcp"], stderr=subprocess.PIPE)
        procs.append(dump)
        time.sleep(1.0)  # tcpdump attached
        stop = os.path.join(work, "stop")
        if os.path.exists(stop):
            os.unlink(stop)
        ss = sample_ss(ns_a, os.path.join(work, "ss.txt"), stop)
        procs.append(ss)
        sender = subprocess.run(["ip", "netns", "exec", ns_a, sys.executable, "-c", SENDER,
                                 str(a.bytes), str(a.write_size), str(a.so_sndbuf),
                                 "1" if a.eor else "0"],
                                capture_output=True, text=True, timeout=600)
        received = int(rcv.stdout.readline())
        open(stop, "w").close()
        ss.wait()
        time.sleep(0.5)
        dump.send_signal(signal.SIGINT)
        dump_err = dump.communicate()[1].decode()
        cpu_s = process_cpu_seconds(sim.pid)
        sim.send_signal(signal.SIGINT)
        sim_out = sim.communicate(timeout=60)[0]
        summary = json.load(open(os.path.join(work, "real-out", "summary.json")))
        # The wire is the simulated link: netsim's capture at alice (one packet per segment).
        # tcpdump on the sender's device sees what the kernel handed over: with the device's
        # TSO, super-packets of up to 64 KB, which the bridge segments.
        return dict(sender_s=float(sender.stdout), received=received, netsim_output=sim_out,
                    tcpdump=[x for x in dump_err.splitlines() if "packets" in x],
                    tun=summary.get("tun"),
                    capture=analyse(pcap if a.no_netsim_pcap else wire_pcap,
                                    steady_from=a.steady_from),
                    ss=parse_ss(os.path.join(work, "ss.txt")),
                    device_view=analyse(pcap, steady_from=a.steady_from),
                    bridge_cpu_s=cpu_s)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for ns in (ns_a, ns_b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def run_sim(a, work):
    yaml = os.path.join(work, "sim.yaml")
    lock = ""
    if a.syscall_cost or a.copy_rate:
        lock = f", syscall_cost: {a.syscall_cost or '0s'}, copy_rate: {a.copy_rate}"
    open(yaml, "w").write(sim_scenario(a.bytes, a.wmem_max, a.rate, a.so_sndbuf, lock))
    pcap = os.path.join(work, "sim.pcap")
    out = os.path.join(work, "sim-out")
    t0 = time.monotonic()
    os.makedirs(out, exist_ok=True)
    events = os.path.join(out, "events.jsonl")
    sh(a.netsim, "run", yaml, "-o", out, "-q", "--pcap", pcap, "--pcap-at", "alice",
       "--summary", os.path.join(out, "summary.json"), "--events", events)
    # The sender's cwnd (bytes) over time, as `ss` shows Linux's (in segments).
    cwnd = [json.loads(line) for line in open(events)
            if '"cwnd"' in line and '"alice"' in line]
    top = max(cwnd, key=lambda e: e["value"]) if cwnd else None
    wall = time.monotonic() - t0
    summary = json.load(open(os.path.join(out, "summary.json")))
    return dict(wall_s=wall, capture=analyse(pcap, steady_from=a.steady_from),
                summary_hosts=summary.get("hosts"),
                cwnd_max_segments=top["value"] // 1448 if top else None,
                cwnd_max_at_s=top["t_ns"] / 1e9 if top else None)


def table(result):
    """The figures of docs/windows.md "Checked against real Linux", side by side."""
    sides = [(name, result[name]["capture"]) for name in ("real", "sim") if name in result]
    rows = [("duration s", lambda c: f"{c['duration_s']:.2f}"),
            ("goodput Mbit/s", lambda c: f"{c['goodput_mbps']:.1f}"),
            ("steady Mbit/s", lambda c: f"{c['steady_mbps']:.1f}" if c["steady_mbps"] else "-"),
            ("wscale SYN/SYN-ACK", lambda c: f"{c['syn_wscale']}/{c['synack_wscale']}"),
            ("SYN-ACK win", lambda c: str(c["synack_win"])),
            ("data segments", lambda c: str(c["segments"])),
            ("share of 1448 B", lambda c: f"{c['share_1448']:.4f}"),
            ("largest segment", lambda c: str(c["largest_segment"])),
            ("retransmissions", lambda c: str(c["retransmissions"])),
            ("segments per ACK", lambda c: f"{c['segments_per_ack']:.2f}"),
            ("first windows", lambda c: " ".join(map(str, c["window_first"][:6]))),
            ("window max bytes", lambda c: str(c["window_max_bytes"])),
            ("in flight median", lambda c: str(int(c["inflight_median"]))),
            ("in flight p90", lambda c: str(c["inflight_p90"])),
            ("in flight max", lambda c: str(c["inflight_max"]))]
    out = [f"{'':20} " + " ".join(f"{name:>28}" for name, _ in sides)]
    for label, f in rows:
        out.append(f"{label:20} " + " ".join(f"{f(c):>28}" for _, c in sides))
    if "real" in result and result["real"]["ss"]:
        ss = result["real"]["ss"]
        out.append(f"real ss: sndbuf {ss['sndbuf_max']}, w max {ss['wmem_queued_max']}, "
                   f"cwnd max {ss['cwnd_max']}, unacked median {ss['unacked_median']}, "
                   f"rtt median {ss['rtt_ms_median']} ms")
    if "real" in result:
        r, dev = result["real"], result["real"]["device_view"]
        out.append(f"bridge: netsim used {r['bridge_cpu_s']:.2f} s of CPU "
                   f"({r['bridge_cpu_s'] / (r['capture']['bytes'] / 1e9):.2f} s per GB); the "
                   f"sender's device saw {dev['segments']} data packets, largest "
                   f"{dev['largest_segment']} B (TSO)")
    if "sim" in result:
        out.append(f"netsim cwnd max {result['sim']['cwnd_max_segments']} segments at "
                   f"{result['sim']['cwnd_max_at_s']:.3f} s")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--netsim", default=os.path.join(here, "..", "build-dev", "cli", "netsim"))
    p.add_argument("--bytes", type=int, default=100_000_000)
    p.add_argument("--wmem-max", type=int, default=262144, help="tcp_wmem[2] of the sender")
    p.add_argument("--rate", default="1Gbps", help="bandwidth of both simulated links")
    p.add_argument("--keep", help="directory to keep the captures and outputs in")
    p.add_argument("--only", choices=("real", "sim"))
    p.add_argument("--so-sndbuf", type=int, default=0,
                   help="the real sender sets SO_SNDBUF (doubled by the kernel) before connect")
    p.add_argument("--eor", action="store_true",
                   help="the real sender writes with MSG_EOR: no write extends an earlier skb")
    p.add_argument("--write-size", type=int, default=1 << 20, help="bytes per send() call")
    p.add_argument("--syscall-cost", default="",
                   help="netsim: the socket lock's per-call cost on both hosts (e.g. 500us)")
    p.add_argument("--copy-rate", type=int, default=0,
                   help="netsim: MB/s the socket calls copy (0 with no --syscall-cost: instant)")
    p.add_argument("--steady-from", type=float, default=2.0,
                   help="the steady state starts this many seconds after the first data "
                   "(0.5 for a 100 MB transfer at 1 Gbit/s, which lasts about a second)")
    p.add_argument("--no-netsim-pcap", action="store_true",
                   help="the real run writes no capture of the simulated link (it costs the "
                   "bridge a third of its CPU at 1 Gbit/s): figures from tcpdump on the "
                   "sender's device, where TSO super-packets count as one segment")
    p.add_argument("--kernel-defaults", action="store_true",
                   help="keep the running kernel's tcp_rmem (6.18: 32 MiB max, wscale 10)")
    a = p.parse_args()
    why = skip_reason(a.netsim) if a.only != "sim" else None
    if why:
        print(f"SKIPPED: {why}")
        return SKIP
    work = a.keep or tempfile.mkdtemp(prefix="real-linux-compare-")
    os.makedirs(work, exist_ok=True)
    result = dict(kernel=os.uname().release, bytes=a.bytes, wmem_max=a.wmem_max, rate=a.rate)
    if a.only != "sim":
        result["real"] = run_real(a, work)
        result["sysctls"] = a.sysctls
    if a.only != "real":
        result["sim"] = run_sim(a, work)
    json.dump(result, open(os.path.join(work, "compare.json"), "w"), indent=1)
    print(table(result))
    print(f"kernel {result['kernel']}; every figure in {work}/compare.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
