// Real peers end to end: the machine's Linux TCP stack, in a network namespace each test
// creates and deletes, talks to simulated hosts through a TUN device (issue 6). Linux's own
// tools are the peers (python3 sockets, ss). Skipped with "SKIPPED: <why>" without root or
// /dev/net/tun; CI runs them as root.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "protocols/tcp/stack.hpp"
#include "sim/rng.hpp"
#include "sim/wire.hpp"
#include "topologies.hpp"

namespace netsim::realtime::testing {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// How every scenario here begins: its name and duration, then the hosts, the first of them
// this machine's stack as host "real" (TUN device netsim0, address 10.0.0.100).
std::string real_host(const std::string& name, const std::string& duration) {
  return "name: " + name + "\nduration: " + duration +
         "\nhosts:\n  real: {tun: netsim0, address: 10.0.0.100}\n";
}

const std::string kEchoServer = real_host("linux-client-echo", "5s") + R"(  server: 10.0.0.2
links: [{between: [real, server], delay: 10ms}]
apps:
  - tcp_server: {name: echo, on: server, port: 20000, reply: echo}
)";

// A simulated client's scenario: alice on host client (10.0.0.1), 10 ms from the real host,
// connects to its port `port` and sends `send`.
std::string simulated_client(const std::string& name, const std::string& duration, int port,
                             const std::string& send) {
  return real_host(name, duration) + fmt::format(R"(  client: 10.0.0.1
links: [{{between: [client, real], delay: 10ms}}]
apps:
  - tcp_client: {{name: alice, on: client, connect: real:{}, send: "{}"}}
)",
                                                 port, send);
}

std::string flags_of(const std::vector<PacketRecord>& ps) {
  std::string s;
  for (const auto& p : ps)
    s += (s.empty() ? "" : " ") + p.packet.tcp.flags.to_string();
  return s;
}

}  // namespace

TEST_CASE(
    "A Linux client's Hello,server! is echoed by a simulated server over a 10 ms link, "
    "both close in order, and ss agrees with our trace") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(kEchoServer);
  uint16_t port = 0;
  {
    PeerResult client = t.run_with_peer(py({"echo-client", "10.0.0.2", "20000", "Hello,server!"}),
                                        {.before_peer = [] { REQUIRE(device_exists("netsim0")); }});
    INFO(client.output);
    REQUIRE(client.out["received"] == "Hello,server!");
    port = client.out["local_port"].get<uint16_t>();

    CHECK(client.bridge.malformed == 0);
    CHECK(client.bridge.refused_in == 0);
    CHECK(client.bridge.refused_out == 0);
    CHECK(client.bridge.injected == packets(t.trace.records, PacketEvent::send, "real").size());
    CHECK(client.bridge.written == packets(t.trace.records, PacketEvent::recv, "real").size());
  }
  // The device, its address and its route went with the session.
  CHECK_FALSE(device_exists("netsim0"));

  // Linux's SYN as our trace saw it: from the kernel's address and the client's port, with
  // Linux's options; our SYN-ACK offers only the MSS, so Linux falls back to plain TCP.
  auto from_linux = packets(t.trace.records, PacketEvent::send, "real");
  REQUIRE(from_linux.size() >= 4);
  const Packet& syn = from_linux[0].packet;
  CHECK(syn.src_addr().to_string() == fmt::format("10.0.0.100:{}", port));
  CHECK(syn.dst_addr().to_string() == "10.0.0.2:20000");
  CHECK(syn.tcp.flags.to_string() == "S");
  CHECK(syn.tcp.options.mss == 1460);
  auto to_linux = packets(t.trace.records, PacketEvent::send, "server");
  REQUIRE(!to_linux.empty());
  CHECK(to_linux[0].packet.tcp.flags.to_string() == "S.");
  CHECK(to_linux[0].packet.tcp.ack == syn.tcp.seq + 1);
  CHECK(to_linux[0].t - from_linux[0].t == Duration::milliseconds(10));
  bool hello = false;
  for (const auto& p : from_linux)
    hello |= p.packet.tcp.payload.as_string_view() == "Hello,server!";
  CHECK(hello);
  CHECK(from_linux.back().packet.tcp.flags.to_string() == ".");  // the ACK of our FIN
  INFO("packets from Linux: " << flags_of(from_linux));

  // Linux closed first (active close); our server followed the peer's FIN.
  const apps::AppReport& echo = *t.run.report("echo");
  REQUIRE(echo.connections.size() == 1);
  CHECK(echo.connections[0].result == "closed");
  CHECK(echo.connections[0].received() == "Hello,server!");
  CHECK(echo.connections[0].remote.to_string() == fmt::format("10.0.0.100:{}", port));
  CHECK(
      states_of(t.trace.records, "server", port) ==
      std::vector<std::string>{"SYN_RECEIVED", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  // The kernel's view: the active closer's socket sits in TIME-WAIT for this very 4-tuple.
  std::string ss = run_and_capture({"ss", "-Htan", "state", "time-wait"});
  INFO(ss);
  CHECK(ss.find(fmt::format("10.0.0.100:{}", port)) != std::string::npos);
  CHECK(ss.find("10.0.0.2:20000") != std::string::npos);
}

TEST_CASE("A simulated client says Hello,server! to a real Linux server in the namespace") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(simulated_client("simulated-client", "5s", 8080, "Hello,server!"));
  Json out = t.run_with_peer(py({"server", "8080"}), {.ready = "ready"}).out;
  const apps::AppReport& alice = *t.run.report("alice");
  REQUIRE(alice.connections.size() == 1);
  const apps::ConnectionReport& c = alice.connections[0];
  CHECK(out["received"] == "Hello,server!");
  CHECK(out["peer"] == c.local.to_string());  // Linux saw our client's address and port
  CHECK(c.result == "closed");
  CHECK(c.received() == "Hello,server!");
  // Linux's SYN-ACK, as our client received it.
  auto at_client = packets(t.trace.records, PacketEvent::recv, "client");
  REQUIRE(!at_client.empty());
  const Packet& synack = at_client[0].packet;
  CHECK(synack.src_addr().to_string() == "10.0.0.100:8080");
  CHECK(synack.tcp.flags.to_string() == "S.");
  CHECK(synack.tcp.options.mss == 1460);
  CHECK(synack.tcp.ack ==
        packets(t.trace.records, PacketEvent::send, "client")[0].packet.tcp.seq + 1);
  std::vector<std::string> states = states_of(t.trace.records, "client", 8080);
  REQUIRE(states.size() >= 4);
  CHECK(states[0] == "SYN_SENT");
  CHECK(states[1] == "ESTABLISHED");
  CHECK(states[2] == "FIN_WAIT_1");
  CHECK(states.back() == "TIME_WAIT");
  // The kernel's view: the passive closer is gone entirely (no LAST-ACK, no listener left).
  std::string ss = run_and_capture({"ss", "-Htan"});
  INFO(ss);
  CHECK(ss.find("10.0.0.100:8080") == std::string::npos);
}

TEST_CASE("A simulated SYN to a closed real port gets Linux's RST and reports ECONNREFUSED") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(simulated_client("closed-port", "500ms", 9, "hi"));
  RealtimeSession session(t.run, {.handle_signals = false});
  session.run();
  const apps::AppReport& alice = *t.run.report("alice");
  REQUIRE(alice.connections.size() == 1);
  CHECK(alice.connections[0].result == "ECONNREFUSED");
  auto syn = packets(t.trace.records, PacketEvent::send, "client");
  auto rst = packets(t.trace.records, PacketEvent::recv, "client");
  REQUIRE(syn.size() == 1);
  REQUIRE(rst.size() == 1);
  CHECK(rst[0].packet.src_addr().to_string() == "10.0.0.100:9");
  CHECK(rst[0].packet.dst_addr() == syn[0].packet.src_addr());
  CHECK(rst[0].packet.tcp.flags.to_string() == "R.");
  CHECK(rst[0].packet.tcp.ack == syn[0].packet.tcp.seq + 1);        // RFC 9293 3.10.7.1
  CHECK(rst[0].t >= Instant::zero() + Duration::milliseconds(20));  // two link crossings
  const TunBridge& bridge = *session.bridge("real");
  CHECK(bridge.counters().written == 1);
  CHECK(bridge.counters().injected == 1);
}

TEST_CASE("A 1 MB transfer from a Linux client arrives intact across a link with 5% loss") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(real_host("lossy-bulk", "60s") + R"(  server: 10.0.0.2
links: [{between: [real, server], delay: 5ms, loss: 5%}]
apps:
  - tcp_server: {name: echo, on: server, port: 20000, reply: echo}
)");
  Json out =
      t.run_with_peer(py({"--timeout", "50", "bulk-client", "10.0.0.2", "20000", "1048576"})).out;
  // Every byte went through our server and back, so both directions crossed the loss.
  CHECK(out["sent"] == 1048576);
  CHECK(out["received"] == 1048576);
  CHECK(out["intact"] == true);
  CHECK(out["eof"] == true);
  const apps::AppReport& echo = *t.run.report("echo");
  REQUIRE(echo.connections.size() == 1);
  CHECK(echo.connections[0].bytes_received == 1048576);
  CHECK(echo.connections[0].bytes_sent == 1048576);
  CHECK(echo.connections[0].result == "closed");
  // Both directions lost packets, so both Linux and our server recovered from loss.
  auto lost_from = [&](const std::string& host) {
    int n = 0;
    for (const auto& p : packets(t.trace.records, PacketEvent::drop, host))
      n += p.reason == DropReason::loss && !p.packet.tcp.payload.empty();
    return n;
  };
  CHECK(lost_from("real") > 0);
  CHECK(lost_from("server") > 0);
}

TEST_CASE(
    "Linux keepalive probes reach our trace while the link is down, are answered once it "
    "is up, and the connection survives") {
  if (skip_if_unsupported()) return;
  // Linux probes after 1 s idle, then every 1 s, and gives up after 5 unanswered probes:
  // the link is down for two of them only. The fault times are virtual = wall time since the
  // run started, and the Python peer took over 1.5 s to start at load 15: the link stays up
  // until 4.5 s so that at least one probe is answered before it goes down even when the
  // peer starts 3 s late (it pauses 7.5 s, so at least 3 probes follow the link's return).
  RealPeerTest t(real_host("keepalive", "13s") + R"(  server: 10.0.0.2
links: [{between: [real, server], delay: 10ms}]
apps:
  - tcp_server: {name: echo, on: server, port: 20000, reply: echo}
faults:
  - {at: 4500ms, link_down: [real, server]}
  - {at: 6500ms, link_up: [real, server]}
)");
  Json out = t.run_with_peer(py({"keepalive-client", "10.0.0.2", "20000", "--idle", "1", "--intvl",
                                 "1", "--cnt", "5", "--pause", "7.5"}),
                             {.exit_within = 13s})
                 .out;
  CHECK(out["first"] == "hello");
  CHECK(out["second"] == "still here");
  CHECK(out["error"] == "");
  auto from_linux = packets(t.trace.records, PacketEvent::send, "real");
  REQUIRE(!from_linux.empty());
  // A keepalive probe is an empty ACK one below what the server has received (SND.UNA - 1,
  // tcp_xmit_probe_skb()): here the ISN + 5 after "hello" (SYN + 5 bytes = ISN + 6 acked).
  SeqNum probe_seq = from_linux[0].packet.tcp.seq + 5;
  auto is_probe = [&](const Packet& p) {
    return p.src == Ipv4Addr{0x0A000064} && p.tcp.payload.empty() &&
           p.tcp.flags.to_string() == "." && p.tcp.seq == probe_seq;
  };
  Instant down = Instant::zero() + Duration::milliseconds(4500);
  Instant up = Instant::zero() + Duration::milliseconds(6500);
  int lost = 0, answered_before = 0, answered_after = 0;
  for (const auto& r : t.trace.records) {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (!p || !is_probe(p->packet)) continue;
    if (p->ev == PacketEvent::drop) {
      CHECK(p->reason == DropReason::link_down);
      CHECK(p->t >= down);
      CHECK(p->t < up);
      ++lost;
    }
    if (p->ev == PacketEvent::recv && p->host == "server")
      ++(p->t < down ? answered_before : answered_after);
  }
  CHECK(lost >= 1);
  CHECK(answered_before >= 1);
  CHECK(answered_after >= 1);
  // Our endpoint answers each probe it receives with an ACK of what it has (RFC 9293
  // 3.10.7.4: an unacceptable segment gets an ACK).
  for (const auto& r : t.trace.records) {
    const auto* p = std::get_if<PacketRecord>(&r);
    if (!p || p->ev != PacketEvent::recv || p->host != "server" || !is_probe(p->packet)) continue;
    bool acked = false;
    for (const auto& q : packets(t.trace.records, PacketEvent::send, "server")) {
      acked |= q.t == p->t && q.packet.tcp.ack == probe_seq + 1 && q.packet.tcp.payload.empty();
    }
    CHECK(acked);
  }
  const apps::AppReport& echo = *t.run.report("echo");
  REQUIRE(echo.connections.size() == 1);
  CHECK(echo.connections[0].received() == "hellostill here");
  CHECK(echo.connections[0].result == "closed");
}

TEST_CASE(
    "A Linux client connects through SYN cookies while a simulated flood fills the "
    "simulated server's SYN queue") {
  if (skip_if_unsupported()) return;
  RealPeerTest t(real_host("flood-cookies", "8s") +
                 "  server: {address: 10.0.0.2, tcp: {syncookies: 1, max_syn_backlog: 16}}\n" +
                 kAttackerBehindRouter + R"(apps:
  - tcp_server: {name: echo, on: server, port: 20000, reply: echo, backlog: 16}
  - syn_flood: {name: flood, on: attacker, target: server:20000, rate: 1000/s, duration: 3s,
                spoof: 198.51.100.0/24}
)");
  // Half a second in, the 16-entry SYN queue has long been full of spoofed SYNs.
  PeerResult client =
      t.run_with_peer(py({"echo-client", "10.0.0.2", "20000", "Hello,server!", "--delay", "0.5"}));
  CHECK(client.bridge.refused_out == 0);  // the flood's backscatter never got near it
  const Json& out = client.out;
  CHECK(out["received"] == "Hello,server!");
  uint16_t port = out["local_port"].get<uint16_t>();
  const tcp::Counters& counters = t.run.host("server")->stack().counters();
  CHECK(counters.syncookies_sent >= 16);
  CHECK(counters.syncookies_ok == 1);  // Linux's ACK, and only Linux's, carried a valid cookie
  const apps::AppReport& echo = *t.run.report("echo");
  REQUIRE(echo.accepted == 1);
  CHECK(echo.connections[0].remote.to_string() == fmt::format("10.0.0.100:{}", port));
  CHECK(echo.connections[0].received() == "Hello,server!");
  // No half-open entry for Linux: the connection was rebuilt from the cookie in its ACK.
  std::vector<std::string> states = states_of(t.trace.records, "server", port);
  REQUIRE(!states.empty());
  CHECK(states[0] == "ESTABLISHED");
  // The SYN-ACKs to spoofed sources died inside the simulation.
  CHECK(t.run.network().drops(DropReason::no_route) > 0);
  for (const auto& p : packets(t.trace.records, PacketEvent::recv, "real"))
    CHECK(p.packet.src.to_string() == "10.0.0.2");
}

namespace {

// Writes raw bytes into the device from the kernel's side, as a local program could: an
// AF_PACKET socket transmits them on netsim0, and the bridge reads them as if Linux had sent
// them.
class DeviceWriter {
 public:
  explicit DeviceWriter(const std::string& device)
      : fd_(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    to_.sll_family = AF_PACKET;
    to_.sll_protocol = htons(ETH_P_IP);
    to_.sll_ifindex = static_cast<int>(if_nametoindex(device.c_str()));
    REQUIRE(to_.sll_ifindex != 0);
  }
  ~DeviceWriter() { ::close(fd_); }
  void write(const std::vector<uint8_t>& bytes) {
    auto n = sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to_),
                    sizeof to_);
    REQUIRE(n == static_cast<ssize_t>(bytes.size()));
  }

 private:
  int fd_;
  sockaddr_ll to_{};
};

Packet linux_syn(const char* src, const char* dst, uint16_t dport) {
  Packet p;
  p.src = *Ipv4Addr::parse(src);
  p.dst = *Ipv4Addr::parse(dst);
  p.tcp.src_port = 40000;
  p.tcp.dst_port = dport;
  p.tcp.seq = SeqNum(7000);
  p.tcp.flags = TcpFlags(TcpFlags::SYN);
  p.tcp.window = 64240;
  return p;
}

// After editing IPv4 header fields, a correct header checksum, so that the edit is what the
// bridge trips on.
void fix_ip_checksum(std::vector<uint8_t>& b) {
  b[10] = b[11] = 0;
  uint16_t c = internet_checksum(std::span(b).first(20));
  b[10] = static_cast<uint8_t>(c >> 8);
  b[11] = static_cast<uint8_t>(c);
}

// Writes 20 random packets (from a fixed seed), then copies of `good` with crafted damage, each
// tripping exactly one check of the bridge; returns the crafted ones' drop details in order.
std::vector<std::string> write_damaged(DeviceWriter& dev, const std::vector<uint8_t>& good) {
  Rng rng(1, "garbage");
  for (int i = 0; i < 20; ++i) {
    std::vector<uint8_t> junk(rng.uniform_int(1, 80));
    for (auto& b : junk)
      b = static_cast<uint8_t>(rng.next_u32());
    dev.write(junk);
  }
  std::vector<std::string> crafted_reasons;
  auto craft = [&](std::vector<uint8_t> b, const std::string& reason) {
    dev.write(b);
    crafted_reasons.push_back(fmt::format("{} ({} bytes from netsim0)", reason, b.size()));
  };
  craft(std::vector<uint8_t>(good.begin(), good.begin() + 10), "truncated IPv4 header");
  craft(std::vector<uint8_t>(good.begin(), good.begin() + 30),
        "truncated IPv4 packet (total length 40, 30 bytes present)");
  auto bad_ip_sum = good;
  bad_ip_sum[10] ^= 0x55;
  craft(bad_ip_sum, "bad IPv4 header checksum");
  auto bad_tcp_sum = good;
  bad_tcp_sum[36] ^= 0x55;
  craft(bad_tcp_sum, "bad TCP checksum");
  auto udp = good;
  udp[9] = 17;
  fix_ip_checksum(udp);
  craft(udp, "not TCP (protocol 17)");
  auto ipv6 = good;
  ipv6[0] = 0x60;
  craft(ipv6, "not IPv4 (version 6)");
  auto bad_offset = good;
  bad_offset[32] = 0x20;  // TCP data offset 2
  craft(bad_offset, "TCP data offset 2 is below 5");
  return crafted_reasons;
}

}  // namespace

TEST_CASE(
    "Garbage written into the TUN device is dropped, traced with its reason and counted, "
    "and the bridge keeps working") {
  if (skip_if_unsupported()) return;
  std::string yaml = kEchoServer;
  yaml.replace(yaml.find("duration: 5s"), 12, "duration: 300ms");
  RealPeerTest t(yaml);
  RealtimeSession session(t.run, {.handle_signals = false});
  DeviceWriter dev("netsim0");
  const std::vector<uint8_t> good = encode_ipv4(linux_syn("10.0.0.100", "10.0.0.2", 20000));
  REQUIRE(good.size() == 40);

  const std::vector<std::string> crafted_reasons = write_damaged(dev, good);
  // Valid, but addressed outside the scenario: refused.
  dev.write(encode_ipv4(linux_syn("192.0.2.1", "10.0.0.2", 20000)));
  dev.write(encode_ipv4(linux_syn("10.0.0.100", "10.0.0.99", 20000)));
  // And then a valid SYN: our server answers; Linux, with no such socket, resets it.
  dev.write(good);

  session.run();  // the bytes wait in the device's queue until the run reads them

  const BridgeCounters& c = session.bridge("real")->counters();
  CHECK(c.malformed == 20 + crafted_reasons.size());
  CHECK(c.refused_in == 2);
  CHECK(c.injected == 2);  // the SYN and Linux's RST
  CHECK(c.read == c.malformed + c.refused_in + c.injected);
  CHECK(c.written == 1);  // our SYN-ACK
  CHECK(t.run.network().drops(DropReason::malformed) == c.malformed);

  std::vector<std::string> malformed, refused;
  for (const auto& p : packets(t.trace.records, PacketEvent::drop, "real")) {
    if (p.reason == DropReason::malformed) malformed.push_back(p.detail);
    if (p.reason == DropReason::no_route) refused.push_back(p.detail);
  }
  REQUIRE(malformed.size() == 20 + crafted_reasons.size());
  CHECK(std::vector<std::string>(malformed.begin() + 20, malformed.end()) == crafted_reasons);
  CHECK(refused ==
        std::vector<std::string>{"source 192.0.2.1 is not netsim0's address 10.0.0.100: refused",
                                 "destination 10.0.0.99 is outside the scenario: refused"});
  auto answers = packets(t.trace.records, PacketEvent::send, "server");
  REQUIRE(answers.size() == 1);
  CHECK(answers[0].packet.tcp.flags.to_string() == "S.");
  CHECK(answers[0].packet.tcp.ack == SeqNum(7001));
  auto from_linux = packets(t.trace.records, PacketEvent::send, "real");
  REQUIRE(from_linux.size() == 2);
  CHECK(from_linux[1].packet.tcp.flags.to_string() == "R");
  CHECK(from_linux[1].packet.tcp.seq == answers[0].packet.tcp.ack);
}

}  // namespace netsim::realtime::testing
