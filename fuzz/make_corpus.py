#!/usr/bin/env python3
# Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): the example scenarios and
# a few hand-written ones for the loader, byte programs that walk the TCP core through its
# states, and real IPv4/TCP packets for the wire decoder. Deterministic; rerun after changing
# how a target decodes its input. Crash reproducers (regress-*) are kept, never rewritten.
import pathlib
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# ---- loader: YAML text [\0 --set strings] ----------------------------------------------------

def loader_seeds():
    for f in sorted((ROOT / "scenarios").glob("*.yaml")):
        shutil.copyfile(f, CORPUS / "fuzz_loader" / f.name)
    shutil.copyfile(ROOT / "tests/scenarios/data/spec_example.yaml",
                    CORPUS / "fuzz_loader" / "spec_example.yaml")
    write("fuzz_loader", "overrides.yaml",
          (ROOT / "scenarios/lossy-transfer.yaml").read_text() +
          "\0links.0.loss=5%\0seed=7\0tcp.syn_linear_timeouts=0\0apps.0.tcp_server.port=81")
    write("fuzz_loader", "anchors.yaml",
          "a: &a [1, 2]\nb: &b [*a, *a]\nhosts: {x: 10.0.0.1, y: 10.0.0.2}\n"
          "links: [{between: [x, y], delay: 1ms}]\n")
    write("fuzz_loader", "flow-and-tags.yaml",
          "{hosts: {a: !!str 10.0.0.1, b: \"10.0.0.2\"}, links: [{between: [a, b], "
          "delay: 1ms, bandwidth: 10Mbps, loss: {gilbert: {p: 1%, r: 10%}}}], "
          "apps: [{syn_flood: {on: a, target: b:80, rate: 100/s, count: 10}}]}\n")
    write("fuzz_loader", "router.yaml",
          "hosts: {a: 10.0.0.1, b: 10.0.1.1}\nrouters: [r1]\n"
          "links:\n  - {between: [a, r1], delay: 1ms, queue: 10}\n"
          "  - {between: [r1, b], delay: 2ms, queue: 64KiB}\n"
          "faults:\n  - {at: 1s, link_down: [a, r1]}\n  - {at: 2s, link_up: [a, r1]}\n")


# ---- TCP core: byte programs (see fuzz_tcp.cpp for the decoding) ------------------------------

U32 = lambda v: struct.pack(">I", v & 0xFFFFFFFF)
U16 = lambda v: struct.pack(">H", v)
SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
T10MS = 0x4A      # time step: 10 units of ~1 ms
T1S = 0x88        # 8 units of ~134 ms
SEQ_NXT, ACK_NXT, WIN_64K = 0x05, 0x07, 0x04


def seg(flags, time=T10MS, seq=bytes([SEQ_NXT]), ack=bytes([ACK_NXT]), win=bytes([WIN_64K]),
        opts=b"\x00", payload=0x00):
    return bytes([0x00, time, flags]) + seq + ack + win + opts + bytes([payload])


def cmd(c, *args, time=T10MS):
    return bytes([0x02, time, c]) + bytes(args)


JUMP = b"\x03"
MSS_OPT = b"\x01\x01" + U16(1460)
PROFILE = bytes([0x00, 0x01, 0x03, 0x05])  # linux, newreno; syncookies 1, backlog 128, 5 retries


def sseg(addr, s):
    """A segment for the Stack driver, which reads an address byte after the time byte."""
    return s[:2] + bytes([addr]) + s[2:]


def tcp_seeds():
    active = (b"\x00" + PROFILE + b"\x00" + b"\x01" + b"\x01" + U32(1000) + U32(5000) +
              seg(SYN | ACK, opts=MSS_OPT) + cmd(0, 0xC3) + seg(ACK | PSH, payload=0x90) +
              cmd(1) + seg(FIN | ACK) + JUMP)
    write("fuzz_tcp", "conn-active-transfer-close", active)
    lossy = (b"\x00" + PROFILE + b"\x04\x10\x05\x02" + b"\x00" + b"\x01" + U32(0xFFFFFF00) +
             U32(0xFFFFFFF0) + seg(SYN | ACK, opts=MSS_OPT) + cmd(0, 0xC7) + JUMP + JUMP +
             seg(ACK, ack=b"\x00\xF0") + seg(ACK, ack=b"\x00\xF0") + seg(ACK, ack=b"\x00\xF0") +
             JUMP + seg(ACK) + JUMP + JUMP + JUMP)
    write("fuzz_tcp", "conn-keepalive-retransmit-wrap", lossy)
    passive = (b"\x00" + bytes([0x0A, 0x00, 0x00, 0x00]) + b"\x01" + b"\x01" + b"\x00" +
               U32(7000) + U32(9000) + U16(536) + U16(1000) + b"\x02" + U16(600) +
               seg(ACK | PSH, payload=0xC5) + cmd(3, 0x10, 0x00) + seg(ACK | PSH, payload=0xC5) +
               seg(RST, seq=b"\x00\x10") + seg(RST | ACK))
    write("fuzz_tcp", "conn-passive-small-buffer-rst", passive)
    simultaneous = (b"\x00" + PROFILE + b"\x00\x01" + b"\x01" + U32(1) + U32(2) +
                    seg(SYN, opts=MSS_OPT) + seg(SYN | ACK) + cmd(2) + seg(FIN | ACK) +
                    JUMP + seg(ACK) + JUMP)
    write("fuzz_tcp", "conn-simultaneous-open", simultaneous)
    stack = (b"\x01" + PROFILE + U32(42) + b"\x01" + b"\x00" + b"\x03" + b"\x00" +
             sseg(0x00, seg(SYN, seq=b"\x03" + U32(7000), opts=MSS_OPT)) + sseg(0x00, seg(ACK)) +
             cmd(0, 0x00) + sseg(0x00, seg(ACK | PSH, payload=0xA0)) + cmd(2, 0x01) +
             sseg(0x00, seg(FIN | ACK)) + JUMP + JUMP)
    write("fuzz_tcp", "stack-listen-accept-close", stack)
    # syncookies 2 (always), SYN backlog 1, one SYN-ACK retry; listen backlog 1; connect too.
    cookies = bytes([0x01, 0x00, 0x02, 0x00, 0x01]) + U32(7) + b"\x00\x00\x00\x01\x00"
    for port in range(4):
        cookies += sseg(port << 2, seg(SYN, seq=b"\x03" + U32(100 * port), opts=MSS_OPT))
    for port in range(4):
        cookies += sseg(port << 2, seg(ACK))
    cookies += sseg(0x20, seg(SYN | ACK, opts=MSS_OPT)) + sseg(0x30, seg(SYN)) + JUMP * 6
    write("fuzz_tcp", "stack-syncookies-active", cookies)


# ---- wire: mode byte + IPv4/TCP packet ------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def packet(flags, seq, ack, opts=b"", payload=b"", src=0x0A000001, dst=0x0A000002):
    while len(opts) % 4:
        opts += b"\0"
    tcp = struct.pack(">HHIIBBHHH", 7500, 80, seq, ack, (5 + len(opts) // 4) << 4, flags,
                      64240, 0, 0) + opts + payload
    pseudo = struct.pack(">IIBBH", src, dst, 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack(">H", c) + tcp[18:]
    ip = struct.pack(">BBHHHBBHII", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    return ip + tcp


def wire_seeds():
    syn_opts = (b"\x02\x04\x05\xb4" + b"\x04\x02\x08\x0a" + U32(1) + U32(0) + b"\x01\x03\x03\x07")
    sack = b"\x01\x01\x05\x12" + U32(2000) + U32(3000) + U32(4000) + U32(5000)
    pkts = {
        "syn-linux-options": packet(SYN, 1000, 0, syn_opts),
        "data": packet(ACK | PSH, 1001, 5001, b"", b"hello, world"),
        "fin": packet(FIN | ACK, 1013, 5001),
        "rst": packet(RST, 5001, 0),
        "sack": packet(ACK, 1001, 5001, b"\x01\x01\x08\x0a" + U32(5) + U32(6) + sack),
        "unknown-option": packet(ACK, 1, 2, b"\x1e\x06abcd\x00"),
    }
    for name, p in pkts.items():
        write("fuzz_wire", name, b"\x00" + p)
        write("fuzz_wire", name + "-fix", b"\x01" + p)


if __name__ == "__main__":
    for t in ("fuzz_loader", "fuzz_tcp", "fuzz_wire"):
        d = CORPUS / t
        d.mkdir(parents=True, exist_ok=True)
        for f in d.iterdir():
            if not f.name.startswith("regress-"):
                f.unlink()
    loader_seeds()
    tcp_seeds()
    wire_seeds()
