// The runner against netsim's TCP: what passes, and the exact message of each kind of failure
// (packet mismatch, packet missing, packet not expected, return value, blocking-call timing,
// assertion), the "not modelled" verdict, and packetdrill's time and sequence conventions.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "drill/runner.hpp"
#include "drill/script_parser.hpp"
#include "sim/trace_text.hpp"

namespace {

using netsim::drill::RunResult;
using netsim::drill::Verdict;

// A listener on 8080 and one passive handshake finished at 0.1 s; accept() gave fd 4.
const std::string kServer = R"(0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 65535 <mss 1460>
+0  > S. 0:0(0) ack 1 win 64240 <mss 1460>
+.1 < . 1:1(0) ack 1 win 65535
+0  accept(3, ..., ...) = 4
)";

RunResult run(const std::string& text) {
  netsim::drill::ParseResult p = netsim::drill::parse_script(text, "t.pkt");
  REQUIRE(p.ok());
  return netsim::drill::run_script(*p.script, {});
}

}  // namespace

TEST_CASE("A passive handshake and a write pass") {
  RunResult r = run(kServer + "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n");
  CHECK(r.message == "");
  CHECK(r.verdict == Verdict::pass);
  CHECK(r.end_usec == 100'000);
}

TEST_CASE("A packet that differs fails with the first differing field, expected and actual") {
  RunResult r = run(R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
)");
  CHECK(r.verdict == Verdict::fail);
  CHECK(r.message ==
        "t.pkt:5:4: outbound packet mismatch: options: expected <mss 1460,nop,nop,sackOK>, "
        "actual <mss 1460>\n"
        "  expected: > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>\n"
        "  actual:   > S. 0:0(0) ack 1 win 64240 <mss 1460>  (at 0.000000 s)");
}

TEST_CASE("An expected packet that is never sent fails once the tolerance has passed") {
  RunResult r = run(kServer + "+.2 > P. 1:11(10) ack 1\n");
  CHECK(r.verdict == Verdict::fail);
  CHECK(r.message ==
        "t.pkt:8:5: expected packet not sent by 0.304000 s:\n  expected: > P. 1:11(10) ack 1");
}

TEST_CASE("A packet sent before the next event and not expected fails") {
  RunResult r = run(kServer + "+0 write(4, ..., 10) = 10\n+1 < . 1:1(0) ack 11 win 65535\n");
  CHECK(r.verdict == Verdict::fail);
  CHECK(r.message ==
        "t.pkt:9:1: unexpected packet sent at 0.100000 s, before this event at 1.100000 s:\n"
        "  actual:   > P. 1:11(10) ack 1 win 64240");
}

TEST_CASE("A wrong return value or errno fails with both values") {
  RunResult r = run(kServer + "+0 write(4, ..., 10) = 9\n");
  CHECK(r.message == "t.pkt:8:4: write() returned 10, expected 9");
  RunResult e = run(kServer +
                    "+0 shutdown(4, SHUT_WR) = 0\n+0 > F. 1:1(0) ack 1\n"
                    "+0 write(4, ..., 10) = -1 ECONNRESET\n");
  CHECK(e.message == "t.pkt:10:4: write() returned -1 EPIPE, expected -1 ECONNRESET");
}

TEST_CASE("A blocking call must return when the script says, within the tolerance") {
  const std::string client = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.5 connect(3, ..., ...) = 0
+0 > S 0:0(0) win 64240 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+.1 < S. 0:0(0) ack 1 win 65535 <mss 1460>
+0 > . 1:1(0) ack 1
)";
  RunResult r = run(client);
  CHECK(r.message ==
        "t.pkt:2:10: connect() returned at 0.100000 s, expected at 0.500000 s "
        "(tolerance 4000 us)");
  std::string on_time = client;
  on_time.replace(on_time.find("0.5"), 3, "0.1");
  CHECK(run(on_time).verdict == Verdict::pass);
  RunResult blocked = run(kServer + "+0 read(4, ..., 10) = 10\n");
  CHECK(blocked.message ==
        "t.pkt:8:4: read() would block; write 'start...end read(...)' for a "
        "call that returns later");
}

TEST_CASE("tcp_info assertions are checked, unknown fields are skipped and noted") {
  // The SYN-ACK was answered 100 ms later: srtt 100 ms, mdev 50 ms, RTO 100 + max(200, 4 * 50)
  // ms (tcp_rtt_estimator(), __tcp_set_rto()); cwnd IW10; rcv_mss starts at 536.
  RunResult ok = run(kServer +
                     "+0 %{ assert tcpi_state == TCP_ESTABLISHED }%\n"
                     "+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%\n"
                     "+0 %{\nassert tcpi_rtt == 100000\nassert tcpi_rttvar == 50000\n"
                     "assert tcpi_rto == 300000\nassert tcpi_snd_mss == 1460\n"
                     "assert tcpi_rcv_mss == 536\nassert tcpi_advmss == 1460\n"
                     "assert tcpi_ca_state == 0\nassert tcpi_unacked == 0\n"
                     "assert tcpi_snd_ssthresh == 0x7fffffff\nassert tcpi_delivery_rate == 0\n"
                     "assert tcpi_reordering == 3\n}%\n"
                     "+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 1\n"
                     // 50 ms in whole jiffies of HZ 250: jiffies_to_msecs(12) (tcp_get_info()).
                     "+.05 %{ assert tcpi_unacked == 1\nassert tcpi_last_data_sent == 48 }%\n");
  CHECK(ok.message == "");
  CHECK(ok.verdict == Verdict::pass);
  REQUIRE(ok.notes.size() == 1);
  CHECK(ok.notes[0] ==
        "t.pkt:10:4: tcpi_delivery_rate is not modelled by netsim (protocols/tcp/tcp_info.hpp) "
        "(skipped)");
  RunResult bad = run(kServer + "+0 %{ assert tcpi_state == TCP_CLOSE_WAIT }%\n");
  CHECK(bad.message ==
        "t.pkt:8:4: assertion failed: tcpi_state == TCP_CLOSE_WAIT (tcpi_state is 1)");
}

TEST_CASE("A script using an unmodelled feature anywhere is not modelled, named by feature") {
  RunResult r = run(kServer + "+0 send(4, ..., 100, MSG_ZEROCOPY) = 100\n");
  CHECK(r.verdict == Verdict::unsupported);
  CHECK(r.feature == "zerocopy");
  CHECK(r.message == "t.pkt:8:22: not modelled by netsim: zerocopy (MSG_ZEROCOPY)");
}

TEST_CASE(
    "send() flags other than MSG_MORE, MSG_EOR, MSG_DONTWAIT and MSG_NOSIGNAL are not modelled, "
    "named by value") {
  RunResult r = run(kServer + "+0 send(4, ..., 100, MSG_MORE|MSG_DONTWAIT|MSG_WAITALL) = 100\n");
  CHECK(r.verdict == Verdict::unsupported);
  CHECK(r.message ==
        "t.pkt:8:4: not modelled by netsim: send() flags other than MSG_EOR, "
        "MSG_MORE, MSG_DONTWAIT and MSG_NOSIGNAL (0x100)");
}

TEST_CASE("Star and range times accept a packet anywhere in them") {
  // A SYN retransmitted 1 s later, with the classic schedule.
  const std::string syn = R"(`sysctl -q net.ipv4.tcp_syn_linear_timeouts=0`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS
+0 > S 0:0(0) <...>
)";
  // The first SYN's TSval maps to the script's; the retransmission's is 1000 ms later.
  const std::string again = " > S 0:0(0) <mss 1460,sackOK,TS val 1100 ecr 0,nop,wscale 7>\n";
  CHECK(run(syn + "*" + again).verdict == Verdict::pass);
  CHECK(run(syn + "0.9~1.1" + again).verdict == Verdict::pass);
  CHECK(run(syn + "+0.5~+0.8" + again).message ==
        "t.pkt:6:11: expected packet not sent by 0.804000 s:\n  expected: > S 0:0(0) "
        "<mss 1460,sackOK,TS val 1100 ecr 0,nop,wscale 7>");
}

TEST_CASE("A sysctl of the tunables table sets the profile, a value out of its range fails") {
  RunResult ok = run("`sysctl -q net.ipv4.tcp_sack=1 net.ipv4.tcp_early_retrans=4`\n" + kServer);
  CHECK(ok.verdict == Verdict::pass);
  CHECK(ok.notes.empty());
  RunResult bad = run("`sysctl -q net.ipv4.tcp_frto=3`\n" + kServer);
  CHECK(bad.verdict == Verdict::fail);
  CHECK(bad.message == "t.pkt:1:1: sysctl net.ipv4.tcp_frto: 3 is outside 0..2");
  // tcp_rmem as the kernel's defaults.sh writes it, with shell arithmetic. The SYN-ACK then
  // offers 65535: tcp_select_initial_window() rounds tcp_full_space(540000) down to the MSS and
  // caps it at U16_MAX, where 131072's space gives 44 * 1460 = 64240 (as in the kernel's own
  // scripts run under defaults.sh).
  std::string server_540k = kServer;
  server_540k.replace(server_540k.find("win 64240"), 9, "win 65535");
  RunResult rmem =
      run("`sysctl -q net.ipv4.tcp_rmem=\"4096 540000 $((15*1024*1024))\"`\n" + server_540k);
  CHECK(rmem.verdict == Verdict::pass);
  CHECK(rmem.notes.empty());
  RunResult bad_rmem = run("`sysctl -q net.ipv4.tcp_rmem=\"4096 lots 8192\"`\n" + kServer);
  CHECK(bad_rmem.message ==
        "t.pkt:1:1: sysctl net.ipv4.tcp_rmem: '4096 lots 8192' is not three numbers");
}

TEST_CASE("Segments sent at one instant match one GSO super-packet only if they add up") {
  const std::string setup = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000>
+0 > S. 0:0(0) ack 1 <...>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 write(4, ..., 3000) = 3000
)";
  CHECK(run(setup + "+0 > P. 1:3001(3000) ack 1\n").verdict == Verdict::pass);
  CHECK(run(setup + "+0 > . 1:1001(1000) ack 1\n+0 > . 1001:2001(1000) ack 1\n"
                    "+0 > P. 2001:3001(1000) ack 1\n")
            .verdict == Verdict::pass);
  CHECK(run(setup + "+0 > P. 1:2501(2500) ack 1\n").message ==
        "t.pkt:9:4: outbound packet mismatch: flags: expected P., actual .\n"
        "  expected: > P. 1:2501(2500) ack 1\n"
        "  actual:   > . 1:1001(1000) ack 1 win 64240  (at 0.000000 s)");
}

TEST_CASE("The same script gives the same trace on every run") {
  auto trace = [] {
    netsim::drill::ParseResult p = netsim::drill::parse_script(kServer, "t.pkt");
    std::ostringstream out;
    netsim::TextTraceSink sink(out);
    netsim::drill::RunOptions o;
    o.sinks.push_back(&sink);
    netsim::drill::run_script(*p.script, o);
    return out.str();
  };
  std::string a = trace();
  CHECK_FALSE(a.empty());
  CHECK(a == trace());
}

TEST_CASE("poll() reports readable data, end of file and writability") {
  RunResult r = run(kServer + R"(+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0 < P. 1:11(10) ack 1 win 65535
+0 > . 1:1(0) ack 11
+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1
+0 read(4, ..., 100) = 10
+0 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0
+0 < F. 11:11(0) ack 1 win 65535
+0 poll([{fd=4, events=POLLIN|POLLRDHUP, revents=POLLIN|POLLRDHUP}], 1, 0) = 1
+.04 > . 1:1(0) ack 12
+0 poll([{fd=4, events=POLLIN|POLLRDHUP, revents=POLLIN|POLLRDHUP}], 1, 0) = 1
+0 poll([{fd=3, events=POLLIN, revents=0}], 1, 0) = 0
)");
  CHECK(r.message == "");
  RunResult bad = run(kServer + "+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1\n");
  CHECK(bad.message == "t.pkt:8:40: poll() revents 0x0, expected 0x1");
}

TEST_CASE("Out-of-range values fail or return EINVAL as Linux does, never overflow") {
  CHECK(run(kServer + "+0 write(4, ..., 2000000000) = 2000000000\n").message ==
        "t.pkt:8:4: write() of 2000000000 bytes: netsim drill writes at most 1 GiB");
  CHECK(run(kServer + "+0 setsockopt(4, SOL_TCP, TCP_KEEPIDLE, [0], 4) = -1 EINVAL\n"
                      "+0 setsockopt(4, SOL_TCP, TCP_KEEPCNT, [128], 4) = -1 EINVAL\n")
            .verdict == Verdict::pass);
  CHECK(run(kServer + "2000000000 close(4) = 0\n").message ==
        "t.pkt:8:1: event time beyond 10^9 s of virtual time");
  CHECK(run("--tolerance_usecs=-5\n" + kServer).message ==
        "t.pkt:1:1: --tolerance_usecs=-5 is out of range (0..60000000)");
}

TEST_CASE("defaults.sh next to the script sets the profile, other commands are noted") {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "netsim_drill_defaults";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "defaults.sh") << "sysctl -q net.ipv4.tcp_syn_retries=1\n"
                                          "tc qdisc add dev tun0 root pfifo\n";
  }
  std::string file = (dir / "s.pkt").string();
  netsim::drill::ParseResult p = netsim::drill::parse_script(
      "`./defaults.sh`\n"
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0...3 connect(3, ..., ...) = -1 ETIMEDOUT\n"
      "0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n1 > S 0:0(0) <mss "
      "1460,sackOK,TS val 1100 ecr 0,nop,wscale 7>\n"
      "2 > S 0:0(0) <mss 1460,sackOK,TS val 2100 ecr 0,nop,wscale 7>\n",
      file);
  REQUIRE(p.ok());
  RunResult r = netsim::drill::run_script(*p.script, {});
  CHECK(r.message == "");
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0] == file + ":1:1: shell `tc qdisc add dev tun0 root pfifo` is not a sysctl " +
                          "netsim understands (skipped)");
  RunResult late = run(kServer + "+0 `sysctl -q net.ipv4.tcp_keepalive_time=60`\n");
  CHECK(late.verdict == Verdict::unsupported);
  CHECK(late.feature == "sysctl changes after the first socket");
}

TEST_CASE("A blocking poll() returns at its timeout, or earlier when a packet makes it ready") {
  CHECK(run(kServer + "+0...0.25 poll([{fd=4, events=POLLIN, revents=0}], 1, 250) = 0\n").message ==
        "");
  CHECK(run(kServer + "+0...0.1 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 250) = 1\n"
                      "+.1 < P. 1:11(10) ack 1 win 65535\n+0 > . 1:1(0) ack 11\n")
            .message == "");
}

TEST_CASE("Both times of a relative blocking call count from the previous event") {
  // accept() at 0.1 s; the read starts at 0.2 s and must return at 0.1 + 0.2 = 0.3 s, when the
  // data arrives (+.1 from the read's start).
  const std::string read = kServer +
                           "+.1...0.2 read(4, ..., 10) = 10\n"
                           "+.1 < P. 1:11(10) ack 1 win 65535\n+0 > . 1:1(0) ack 11\n";
  CHECK(run(read).message == "");
  std::string late = read;
  late.replace(late.find("+.1 < P."), 3, "+.2");
  CHECK(run(late).message ==
        "t.pkt:8:11: read() expected to return at 0.300000 s (tolerance "
        "4000 us) but it was still blocked at 0.400000 s");
}

TEST_CASE("Script options: IPv6 is out of scope, --local_ip moves the host, --mtu sets the MSS") {
  RunResult v6 = run("--ip_version=ipv6\n" + kServer);
  CHECK(v6.verdict == Verdict::unsupported);
  CHECK(v6.feature == "IPv6");
  // The addresses are the ones given: the SYN-ACK goes from 10.1.1.1 to 10.2.2.2.
  netsim::drill::ParseResult p =
      netsim::drill::parse_script("--local_ip=10.1.1.1\n--remote_ip=10.2.2.2\n" + kServer, "t.pkt");
  REQUIRE(p.ok());
  std::ostringstream out;
  netsim::TextTraceSink sink(out);
  netsim::drill::RunOptions o;
  o.sinks.push_back(&sink);
  CHECK(netsim::drill::run_script(*p.script, o).verdict == Verdict::pass);
  CHECK(out.str().find("10.1.1.1.8080 > 10.2.2.2.40000: Flags [S.]") != std::string::npos);
  RunResult mtu = run("--mtu=1000\n" + kServer);
  CHECK(mtu.verdict == Verdict::fail);
  CHECK(mtu.message.find("t.pkt:6:") == 0);
  CHECK(mtu.message.find("expected: > S. 0:0(0) ack 1 win 64240 <mss 1460>") != std::string::npos);
  CHECK(mtu.message.find("<mss 960>") != std::string::npos);
}
