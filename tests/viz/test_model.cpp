// The diagram model: lifelines, send/recv pairing, marks, filters, folding of flood traffic and
// the refusals with their messages.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "golden_file.hpp"
#include "synthetic.hpp"
#include "viz/layout.hpp"
#include "viz/model.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::viz::testing;
using namespace netsim::literals;

namespace {
std::vector<std::string> labels(const DiagramModel& m) {
  std::vector<std::string> out;
  for (const auto& a : m.arrows)
    out.push_back(a.label);
  return out;
}

std::vector<std::string> marks(const DiagramModel& m) {
  std::vector<std::string> out;
  for (const auto& k : m.marks)
    out.push_back(k.text);
  return out;
}

std::string error_of(const std::vector<TraceRecord>& records, const DiagramOptions& opt) {
  try {
    build_model(records, meta_for("x"), opt);
  } catch (const DiagramError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("hello-echo gives two lifelines and every packet labelled in order") {
  DiagramModel m = build_model(hello_echo_trace(), meta_for("hello-echo"), {});
  REQUIRE(m.lifelines.size() == 2);
  CHECK(m.lifelines[0].header_lines() ==
        std::vector<std::string>{"client", "10.0.0.1:7500", "alice"});
  CHECK(m.lifelines[1].header_lines() ==
        std::vector<std::string>{"server", "10.0.0.2:20000", "echo"});
  CHECK(labels(m) == std::vector<std::string>{"SYN seq=0", "SYN-ACK seq=0 ack=1", "ACK ack=1",
                                              "P. 1:14 (13) \"Hello,server!\"",
                                              "P. 1:14 (13) \"Hello,server!\"", "FIN seq=14 ack=14",
                                              "ACK ack=15", "FIN seq=14 ack=15", "ACK ack=15"});
  for (const auto& a : m.arrows) {
    CHECK(a.fate == ArrowFate::delivered);
    CHECK(*a.ended - a.sent == 5_ms);
  }
  CHECK(marks(m) == std::vector<std::string>{"LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
                                             "ESTABLISHED", "FIN_WAIT_1", "CLOSE_WAIT", "LAST_ACK",
                                             "FIN_WAIT_2", "TIME_WAIT", "CLOSED",
                                             "TIME_WAIT expired (60 s)", "CLOSED"});
  CHECK(m.marks[1].cause == "connect");
  CHECK(m.marks[1].tooltip == "CLOSED → SYN_SENT at 0 ms on client\ncause: connect");
  CHECK(m.title == std::vector<std::string>{"hello-echo · seed 1", "client–server 5ms 100Mbps"});
  CHECK(m.arrows[0].tooltip ==
        "10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 1000, win 64240, options [mss 1460], "
        "length 0\nsent 0 ms by client\nreceived 5 ms by server (transit 5 ms)\npacket uid 1");
}

TEST_CASE("absolute sequence numbers are printed on request") {
  DiagramOptions opt;
  opt.relative_seq = false;
  DiagramModel m = build_model(handshake_trace(), meta_for("handshake"), opt);
  CHECK(labels(m) ==
        std::vector<std::string>{"SYN seq=1000", "SYN-ACK seq=5000 ack=1001", "ACK ack=5001"});
}

TEST_CASE("a SYN timeout shows each lost SYN, its timer with the backoff and ETIMEDOUT") {
  DiagramModel m = build_model(syn_timeout_trace(), meta_for("syn-timeout"), {});
  REQUIRE(m.arrows.size() == 11);
  for (uint16_t k = 0; k < 11; ++k) {
    CHECK(m.arrows[k].fate == ArrowFate::dropped_en_route);
    CHECK(m.arrows[k].retransmission == k);
    CHECK(m.arrows[k].drop_label == "link down");
  }
  CHECK(m.arrows[10].label == "SYN seq=0 retx #10");
  CHECK(marks(m) ==
        std::vector<std::string>{"LISTEN", "link down: r1-server", "SYN_SENT", "SYN RTO #1 (1 s)",
                                 "SYN RTO #2 (1 s)", "SYN RTO #3 (1 s)", "SYN RTO #4 (1 s)",
                                 "SYN RTO #5 (1 s)", "SYN RTO #6 (2 s)", "SYN RTO #7 (4 s)",
                                 "SYN RTO #8 (8 s)", "SYN RTO #9 (16 s)", "SYN RTO #10 (32 s)",
                                 "SYN timeout → ETIMEDOUT (131 s)", "CLOSED", "ETIMEDOUT"});
  CHECK(m.marks[1].kind == MarkKind::fault);
  CHECK_FALSE(m.marks[1].lifeline);
  CHECK(m.marks.back().kind == MarkKind::error);
}

TEST_CASE("a lost data segment is dropped half-way and its retransmission is marked") {
  DiagramModel m = build_model(lossy_trace(), meta_for("lossy"), {});
  REQUIRE(m.arrows.size() == 10);
  CHECK(m.arrows[3].fate == ArrowFate::dropped_en_route);
  CHECK(m.arrows[3].drop_label == "loss 2%");
  CHECK(m.arrows[4].label == "P. 1:14 (13) \"Hello,server!\" retx #1");
  CHECK(m.arrows[4].retransmission == 1);
  CHECK(marks(m)[5] == "RTO #1 (214 ms)");
}

TEST_CASE("a SYN flood is folded into one band beside the legitimate connection") {
  DiagramModel m = build_model(syn_flood_trace(10000), meta_for("syn-flood"), {});
  REQUIRE(m.lifelines.size() == 3);
  CHECK(m.lifelines[2].aggregate);
  CHECK(m.lifelines[2].header_lines() ==
        std::vector<std::string>{"attacker", "198.51.100.0/24", "no socket"});
  REQUIRE(m.bands.size() == 1);
  CHECK(m.bands[0].lines ==
        std::vector<std::string>{"× 10,000 SYN from 198.51.100.0/24",
                                 "× 10,000 SYN-ACK back, 10,000 lost (no route)"});
  CHECK(m.bands[0].from == 2);
  CHECK(m.bands[0].to == 1);
  CHECK(m.bands[0].first == Instant::zero() + 1_s);
  CHECK(m.arrows.size() == 9);  // alice's connection, one arrow per packet
}

TEST_CASE("a small flood under the limits is drawn packet by packet") {
  DiagramModel m = build_model(syn_flood_trace(3), meta_for("syn-flood"), {});
  CHECK(m.bands.empty());
  CHECK(m.arrows.size() == 9 + 6);
  CHECK(m.lifelines.size() == 2 + 3);
}

TEST_CASE("the connection filter takes an app name or a 4-tuple") {
  auto flood = syn_flood_trace(50);
  DiagramOptions opt;
  opt.connections = {"alice"};
  CHECK(build_model(flood, meta_for("f"), opt).arrows.size() == 9);
  opt.connections = {"client:7500-server:20000"};
  CHECK(build_model(flood, meta_for("f"), opt).arrows.size() == 9);
  opt.connections = {"10.0.0.2:20000 10.0.0.1:7500"};
  CHECK(build_model(flood, meta_for("f"), opt).arrows.size() == 9);
  opt.connections = {"bob"};
  CHECK(error_of(flood, opt) ==
        "no connection matches \"bob\": give an application name (apps in this trace: alice, "
        "echo) or a 4-tuple such as 10.0.0.1:7500-10.0.0.2:20000");
}

TEST_CASE("the host and time filters keep what they name") {
  auto trace = syn_timeout_trace();
  DiagramOptions opt;
  opt.from = Instant::zero() + 1_s;
  opt.to = Instant::zero() + 10_s;
  DiagramModel m = build_model(trace, meta_for("x"), opt);
  REQUIRE(m.arrows.size() == 6);  // the SYNs of 1, 2, 3, 4, 5 and 7 s
  CHECK(m.arrows.front().sent == Instant::zero() + 1_s);
  CHECK(m.title.back() == "showing 1 s to 10 s");
  opt = {};
  opt.hosts = {"sever"};
  CHECK(error_of(trace, opt) == "no host \"sever\" in this trace; hosts are client, r1, server");
  opt.hosts = {"server"};
  CHECK(build_model(trace, meta_for("x"), opt).arrows.size() == 11);  // sent to the server
  opt = {};
  opt.from = Instant::zero() + 5_s;
  opt.to = Instant::zero() + 1_s;
  CHECK(error_of(trace, opt) == "the time window is empty: from 5 s is after to 1 s");
  opt.from = Instant::zero() + 200_s;
  opt.to = std::nullopt;
  CHECK(error_of(trace, opt) ==
        "nothing to draw: no packet of the trace matches the diagram's filters");
}

TEST_CASE("a diagram over the arrow limit is refused with a hint") {
  DiagramOptions opt;
  opt.max_arrows = 5;
  CHECK(error_of(hello_echo_trace(), opt) ==
        "the diagram would draw 9 packet arrows (the limit is 5), too many to read. Narrow it "
        "with a connection filter (--connection NAME; apps in this trace: alice, echo), a time "
        "window (--from/--to; the trace spans 0 ms to 60.03 s) or a host filter (netsim diagram "
        "--host), or raise the limit (--max-arrows N)");
  CHECK(error_of({}, {}) == "nothing to draw: the trace has no records");
}

TEST_CASE("the format comes from the extension, and a failed render writes nothing") {
  CHECK(diagram_format_for_path("out/a.SVG") == DiagramFormat::svg);
  CHECK(diagram_format_for_path("a.png") == DiagramFormat::png);
  CHECK(diagram_format_for_path("a.pdf") == DiagramFormat::pdf);
  CHECK(diagram_format_for_path("notes.mmd") == DiagramFormat::mermaid);
  CHECK(diagram_format_for_path("a.txt") == DiagramFormat::text);
  CHECK_THROWS_WITH(diagram_format_for_path("a.jpg"),
                    "cannot tell the diagram format of \"a.jpg\": use .svg, .png or .pdf "
                    "(Graphviz), .mmd (Mermaid) or .txt (plain text)");
  CHECK_THROWS_AS(diagram_format_for_path("dir.svg/file"), DiagramError);

  auto dir = std::filesystem::temp_directory_path() / "netsim-viz-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  DiagramOptions too_small;
  too_small.max_arrows = 1;
  CHECK_THROWS_AS(
      render_diagram(hello_echo_trace(), meta_for("x"), too_small, (dir / "refused.svg").string()),
      DiagramError);
  render_diagram(hello_echo_trace(), meta_for("x"), {}, (dir / "ok.txt").string());
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    files.push_back(e.path().filename().string());
  }
  CHECK(files == std::vector<std::string>{"ok.txt"});  // no temporary left, nothing refused
  CHECK(read_file((dir / "ok.txt").string()) ==
        render_diagram_bytes(hello_echo_trace(), meta_for("x"), {}, DiagramFormat::text));
  CHECK_THROWS_AS(
      render_diagram(hello_echo_trace(), meta_for("x"), {}, (dir / "missing" / "a.txt").string()),
      DiagramError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a duplicated packet arrives twice and a packet never received stays in flight") {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  Instant t0 = Instant::zero();
  Packet syn = b.send(t0, c, b.packet(c, s, TcpFlags::SYN, 1000, 0));
  b.recv(t0 + 5_ms, s, syn);
  b.recv(t0 + 7_ms, s, syn);
  b.send(t0 + 5_ms, s, b.packet(s, c, TcpFlags::SYN | TcpFlags::ACK, 5000, 1001));
  DiagramModel m = build_model(b.records(), meta_for("dup"), {});
  REQUIRE(m.arrows.size() == 3);
  CHECK(m.arrows[0].label == "SYN seq=0");
  CHECK(m.arrows[1].label == "SYN seq=0 (dup)");
  CHECK(m.arrows[1].duplicate);
  CHECK(*m.arrows[1].ended == t0 + 7_ms);
  CHECK(m.arrows[2].fate == ArrowFate::in_flight);
  CHECK_FALSE(m.arrows[2].ended);
  DiagramLayout L = layout_diagram(m, {});
  CHECK(L.arrows[0].start.y == L.arrows[1].start.y);  // copies leave together
  CHECK(L.arrows[2].end.x == (L.lifelines[0].x + L.lifelines[1].x) / 2);
}

TEST_CASE("a packet the receiver drops reaches its lifeline before the cross") {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.lose(Instant::zero(), Instant::zero() + 5_ms, c, "server",
         b.packet(c, s, TcpFlags::SYN, 1000, 0), DropReason::syn_queue_full, "");
  b.state(Instant::zero(), s, Endpoint{}, "CLOSED", "LISTEN", "listen");
  DiagramModel m = build_model(b.records(), meta_for("x"), {});
  REQUIRE(m.arrows.size() == 1);
  CHECK(m.arrows[0].fate == ArrowFate::dropped_at_receiver);
  CHECK(m.arrows[0].drop_label == "SYN queue full");
  DiagramLayout L = layout_diagram(m, {});
  CHECK(L.arrows[0].end.x == L.lifelines[1].x);
  CHECK(L.arrows[0].end.y == L.scale.y_of(Instant::zero() + 5_ms));
}

TEST_CASE("a packet the network delivers and the receiving stack refuses is one arrow") {
  // The network traces `recv` on arrival; the stack then traces the drop (SYN queue full).
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(Instant::zero(), s, Endpoint{}, "CLOSED", "LISTEN", "listen");
  Packet syn = b.send(Instant::zero(), c, b.packet(c, s, TcpFlags::SYN, 1000, 0));
  b.recv(Instant::zero() + 5_ms, s, syn);
  b.drop(Instant::zero() + 5_ms, "server", syn, DropReason::syn_queue_full);
  DiagramModel m = build_model(b.records(), meta_for("x"), {});
  REQUIRE(m.arrows.size() == 1);
  CHECK(m.arrows[0].fate == ArrowFate::dropped_at_receiver);
  CHECK(m.arrows[0].drop_label == "SYN queue full");
  CHECK(m.arrows[0].tooltip ==
        "10.0.0.1.7500 > 10.0.0.2.20000: Flags [S], seq 1000, win 64240, options [mss 1460], "
        "length 0\nsent 0 ms by client\nreceived 5 ms by server (transit 5 ms)\nthen dropped by "
        "server: syn_queue_full\npacket uid 1");
}
