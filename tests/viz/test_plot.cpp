// Plots: the series computed from trace records (SYN queue, accept queue, established
// connections, drops, cwnd and bytes in flight) against hand counts, the time window, the
// filters' messages, and the drawing (golden SVG, byte-identical repeats, a real PNG).
#include <catch2/catch.hpp>

#include "golden_file.hpp"
#include "scenarios/loader/scenario.hpp"
#include "synthetic.hpp"
#include "test_plot_util.hpp"
#include "viz/chart_axis.hpp"
#include "viz/plot.hpp"
#include "viz/svg_writer.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::viz::testing;

namespace {

using Points = std::vector<SeriesPoint>;

PlotData plot(const std::vector<TraceRecord>& recs, PlotKind kind) {
  PlotOptions o;
  o.kind = kind;
  return plot_data(recs, o);
}

std::string plot_error(const std::vector<TraceRecord>& recs, const PlotOptions& o) {
  return chart_error([&] { plot_data(recs, o); });
}

// A transfer seen from its sender: the client sends two segments at 20 ms; ACKs come back at
// 40 and 41 ms; the congestion window is traced at establishment and when it grows.
std::vector<TraceRecord> transfer_trace() {
  TraceBuilder b;
  testing::Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(ms(0), c, s, "CLOSED", "SYN_SENT", "connect");
  b.state(ms(10), c, s, "SYN_SENT", "ESTABLISHED", "rcv SYN-ACK");
  b.deliver(ms(20), ms(30), c, s, b.packet(c, s, TcpFlags::ACK, 1001, 1, std::string(1000, 'a')));
  b.deliver(ms(20), ms(30), c, s, b.packet(c, s, TcpFlags::ACK, 2001, 1, std::string(1000, 'b')));
  b.deliver(ms(30), ms(40), s, c, b.packet(s, c, TcpFlags::ACK, 1, 2001));
  b.deliver(ms(31), ms(41), s, c, b.packet(s, c, TcpFlags::ACK, 1, 3001));
  std::vector<TraceRecord> recs = b.records();
  recs.push_back(CounterRecord{ms(10), "client", "cwnd", 14600, c.addr, s.addr});
  recs.push_back(CounterRecord{ms(40), "client", "cwnd", 16060, c.addr, s.addr});
  sort_by_time(recs);
  return recs;
}

}  // namespace

TEST_CASE("the SYN-queue plot of a small flood follows the hand count, request by request") {
  PlotData d = plot(small_flood_trace(), PlotKind::syn_queue);
  REQUIRE(d.series.size() == 1);
  CHECK(d.series[0].name == "echo on server 10.0.0.2:20000");
  CHECK(d.series[0].points == small_flood_syn_queue());
  CHECK(d.series[0].peak() == 3);
  CHECK(d.start == ms(0));
  // After the last change, 1/32 of the span more, so the final level is seen to hold.
  CHECK(d.end == ms(165) + Duration::nanoseconds(5'156'250));
  CHECK(d.title == "SYN queue length");
}

TEST_CASE("drops are counted per reason, cumulatively, in the order of the reasons") {
  PlotData d = plot(small_flood_trace(), PlotKind::drops);
  REQUIRE(d.series.size() == 2);
  CHECK(d.series[0].name == "no_route");
  CHECK(d.series[0].points ==
        Points{{ms(0), 0}, {ms(100), 1}, {ms(110), 2}, {ms(120), 3}, {ms(130), 4}, {ms(140), 5}});
  CHECK(d.series[1].name == "syn_queue_full");
  CHECK(d.series[1].points == Points{{ms(0), 0}, {ms(132), 1}});
}

TEST_CASE("a time window starts each series with the value in force and keeps what is inside") {
  PlotOptions o;
  o.kind = PlotKind::syn_queue;
  o.from = ms(127);
  o.to = ms(150);
  PlotData d = plot_data(small_flood_trace(), o);
  REQUIRE(d.series.size() == 1);
  CHECK(d.series[0].points ==
        Points{{ms(127), 2}, {ms(130), 3}, {ms(135), 2}, {ms(140), 3}, {ms(145), 2}});
  CHECK(d.start == ms(127));
  CHECK(d.end == ms(150));
}

TEST_CASE("established connections count ESTABLISHED and CLOSE_WAIT per host") {
  TraceBuilder b;
  handshake_and_client_close(b);  // the server's CLOSE_WAIT at 55 ms is still counted
  b.state(ms(60), server_endpoint(), client_endpoint(), "CLOSE_WAIT", "LAST_ACK", "close");
  PlotData d = plot(b.records(), PlotKind::established);
  REQUIRE(d.series.size() == 2);
  CHECK(d.series[0].name == "client");
  CHECK(d.series[0].points == Points{{ms(0), 0}, {ms(10), 1}, {ms(50), 0}});
  CHECK(d.series[1].name == "server");
  CHECK(d.series[1].points == Points{{ms(0), 0}, {ms(15), 1}, {ms(60), 0}});
}

TEST_CASE("the accept-queue plot reads accept_queue counters, one line per listener") {
  std::vector<TraceRecord> recs = small_flood_trace();
  testing::Endpoint s = server_endpoint();
  recs.push_back(CounterRecord{ms(200), "server", "accept_queue", 1, s.addr, {}});
  recs.push_back(CounterRecord{ms(200), "server", "accept_queue", 0, s.addr, {}});
  PlotData d = plot(recs, PlotKind::accept_queue);
  REQUIRE(d.series.size() == 1);
  // Both changes of the same instant are kept: the plot draws a spike.
  CHECK(d.series[0].points == Points{{ms(0), 0}, {ms(200), 1}, {ms(200), 0}});
}

TEST_CASE("cwnd starts at its first record, bytes in flight is highest sent minus highest ACK") {
  PlotData d = plot(transfer_trace(), PlotKind::cwnd);
  REQUIRE(d.series.size() == 2);
  CHECK(d.series[0].name == "cwnd");
  CHECK_FALSE(d.series[0].secondary);
  CHECK(d.series[0].points == Points{{ms(10), 14600}, {ms(40), 16060}});
  CHECK(d.series[1].name == "bytes in flight");
  CHECK(d.series[1].secondary);
  CHECK(d.series[1].points ==
        Points{{ms(0), 0}, {ms(20), 1000}, {ms(20), 2000}, {ms(40), 1000}, {ms(41), 0}});
  CHECK(d.subject == "sender alice on client 10.0.0.1:7500 → server 10.0.0.2:20000");
  // The receiver traces its (initial) cwnd too, but sends no data: it is not a sender.
  std::vector<TraceRecord> recs = transfer_trace();
  recs.push_back(CounterRecord{ms(15), "server", "cwnd", 14600, server_endpoint().addr,
                               client_endpoint().addr});
  sort_by_time(recs);
  CHECK(plot(recs, PlotKind::cwnd).series.size() == 2);
}

// Linux leaves SACKed segments out of tcp_packets_in_flight(): the area falls as the SACK
// blocks arrive, not only when the cumulative ACK moves.
TEST_CASE("bytes in flight leaves out what the receiver's SACK blocks cover") {
  TraceBuilder b;
  testing::Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(ms(0), c, s, "SYN_SENT", "ESTABLISHED", "rcv SYN-ACK");
  b.lose(ms(20), ms(25), c, "link", b.packet(c, s, TcpFlags::ACK, 1001, 1, std::string(1000, 'a')),
         DropReason::loss, "loss");
  b.deliver(ms(20), ms(30), c, s, b.packet(c, s, TcpFlags::ACK, 2001, 1, std::string(1000, 'b')));
  b.deliver(ms(20), ms(30), c, s, b.packet(c, s, TcpFlags::ACK, 3001, 1, std::string(1000, 'c')));
  auto sack_ack = [&](std::vector<SackBlock> blocks, uint32_t ack) {
    Packet p = b.packet(s, c, TcpFlags::ACK, 1, ack);
    p.tcp.options.sack = std::move(blocks);
    return p;
  };
  b.deliver(ms(30), ms(40), s, c, sack_ack({{SeqNum(2001), SeqNum(3001)}}, 1001));
  b.deliver(ms(31), ms(41), s, c, sack_ack({{SeqNum(2001), SeqNum(4001)}}, 1001));
  b.deliver(ms(50), ms(60), c, s, b.packet(c, s, TcpFlags::ACK, 1001, 1, std::string(1000, 'a')));
  // The cumulative ACK covers everything; a stale D-SACK block below it changes nothing.
  b.deliver(ms(60), ms(70), s, c, sack_ack({{SeqNum(1001), SeqNum(2001)}}, 4001));
  std::vector<TraceRecord> recs = b.records();
  recs.push_back(CounterRecord{ms(0), "client", "cwnd", 14600, c.addr, s.addr});
  sort_by_time(recs);
  PlotData d = plot(recs, PlotKind::cwnd);
  REQUIRE(d.series.size() == 2);
  CHECK(d.series[1].points == Points{{ms(0), 0},
                                     {ms(20), 1000},
                                     {ms(20), 2000},
                                     {ms(20), 3000},
                                     {ms(40), 2000},
                                     {ms(41), 1000},
                                     {ms(70), 0}});
}

TEST_CASE("a trace without anything of the kind gives an empty plot that says why") {
  PlotData d = plot(transfer_trace(), PlotKind::drops);
  CHECK(d.series.empty());
  CHECK(d.note == "no packet was dropped");
  std::string svg = plot_svg(d, meta_for("transfer"));
  CHECK(svg.find(">no packet was dropped</text>") != std::string::npos);
}

TEST_CASE("plot filters that match nothing are refused with what exists") {
  PlotOptions o;
  o.kind = PlotKind::syn_queue;
  o.connections = {"alice"};
  CHECK(plot_error(small_flood_trace(), o) ==
        "no listening application \"alice\": a queue plot takes the name of a server app "
        "(listening apps in this trace: echo)");
  o.connections.clear();
  o.hosts = {"sever"};
  CHECK(plot_error(small_flood_trace(), o) ==
        "no host \"sever\" in this trace (hosts: attacker, server)");
  o.hosts.clear();
  o.kind = PlotKind::established;
  o.connections = {"bob"};
  CHECK(plot_error(small_flood_trace(), o) ==
        "no connection matches \"bob\": give an application name (apps in this trace: echo) or "
        "a 4-tuple such as 10.0.0.1:7500-10.0.0.2:20000");
  o.connections.clear();
  o.from = ms(20);
  o.to = ms(10);
  CHECK(plot_error(small_flood_trace(), o) == "the plot's time window ends before it starts");
}

TEST_CASE("a cwnd plot of more than one connection asks for a connection filter") {
  std::vector<TraceRecord> recs = transfer_trace();
  TraceBuilder more;
  for (uint16_t port : {7501, 7502}) {
    testing::Endpoint c{"client", {*Ipv4Addr::parse("10.0.0.1"), port}, ""};
    testing::Endpoint s = server_endpoint();
    more.deliver(ms(5), ms(10), c, s, more.packet(c, s, TcpFlags::ACK, 1000, 1, "x"));
    recs.push_back(CounterRecord{ms(10), "client", "cwnd", 14600, c.addr, s.addr});
  }
  for (auto& r : more.records())
    recs.push_back(r);
  sort_by_time(recs);
  PlotOptions o;
  o.kind = PlotKind::cwnd;
  CHECK(plot_error(recs, o) ==
        "the cwnd plot draws one connection (its two senders at most); this trace has 3 senders "
        "(client 10.0.0.1:7501 > 10.0.0.2:20000, client 10.0.0.1:7502 > 10.0.0.2:20000, client "
        "10.0.0.1:7500 > 10.0.0.2:20000): choose one with a connection filter (an app name or a "
        "4-tuple)");
  o.connections = {"10.0.0.1:7501-10.0.0.2:20000"};
  PlotData d = plot_data(recs, o);
  REQUIRE(d.series.size() == 2);
  CHECK(d.series[0].points == Points{{ms(10), 14600}});
  CHECK(d.series[1].points == Points{{ms(0), 0}, {ms(5), 1}});
}

TEST_CASE("plot kinds parse from their names and nothing else") {
  for (auto k : {PlotKind::syn_queue, PlotKind::accept_queue, PlotKind::established,
                 PlotKind::drops, PlotKind::cwnd, PlotKind::tcptrace}) {
    CHECK(parse_plot_kind(to_string(k)) == k);
  }
  CHECK(parse_plot_kind("seqgraph") == PlotKind::tcptrace);
  CHECK_FALSE(parse_plot_kind("synqueue"));
  CHECK(plot_kind_list() == "syn_queue, accept_queue, established, drops, cwnd or tcptrace");
}

TEST_CASE("the chart format follows the extension") {
  CHECK(chart_format_for_path("q.svg") == ChartFormat::svg);
  CHECK(chart_format_for_path("out/Q.PNG") == ChartFormat::png);
  CHECK(chart_format_for_path("q.pdf") == ChartFormat::pdf);
  CHECK_THROWS_WITH(chart_format_for_path("q.eps"),
                    "cannot tell the chart format of \"q.eps\": use .svg, .png or .pdf");
}

TEST_CASE("time ticks are round, in the unit of their step, value ticks reach a round top") {
  detail::TimeAxis ax(ms(0), ms(2000), 100, 900);
  std::vector<detail::AxisTick> t = ax.ticks(64);  // 64 px ≈ 0.16 s: a 0.2 s step
  REQUIRE(t.size() == 11);
  CHECK(t[0].label == "0.0");
  CHECK(t[1].label == "0.2");
  CHECK(t[1].pos == Approx(180));
  CHECK(t[10].label == "2.0");
  CHECK(ax.title(64) == "time (s)");
  detail::TimeAxis fine(ms(0), ms(40), 0, 800);
  CHECK(fine.ticks(64).at(1).label == "5");
  CHECK(fine.title(64) == "time (ms)");
  detail::ValueAxis v(128, 400, 100);
  CHECK(v.top() == 150);
  std::vector<detail::AxisTick> vt = v.ticks();
  REQUIRE(vt.size() == 4);
  CHECK(vt[3].label == "150");
  CHECK(vt[3].pos == Approx(100));
  CHECK(detail::format_count(14334) == "14,334");
  CHECK(detail::short_duration(Duration::milliseconds(57'600)) == "57.6 s");
}

TEST_CASE("SVG numbers have at most two decimals and text widths follow DejaVu Sans") {
  CHECK(detail::svg_number(12.5) == "12.5");
  CHECK(detail::svg_number(3.0) == "3");
  CHECK(detail::svg_number(-0.001) == "0");
  CHECK(detail::svg_number(1234.567) == "1234.57");
  // "0" is 1303/2048 em, "i" 569/2048 em.
  CHECK(detail::text_width("0i", 2048) == Approx(1303 + 569));
  CHECK(detail::xml_escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
}

TEST_CASE("a plot renders to the same bytes every time, as its golden SVG, a PNG and a PDF") {
  auto recs = small_flood_trace();
  DiagramMeta meta = meta_for("small-flood");
  PlotOptions o;
  o.kind = PlotKind::syn_queue;
  auto render = [&](ChartFormat f) { return render_plot_bytes(recs, meta, o, f); };
  check_svg_golden(render, "plot-syn-queue.svg");
  std::string png = render(ChartFormat::png);
  REQUIRE(png.size() > 8);
  CHECK(png.substr(1, 3) == "PNG");
  CHECK(png == render(ChartFormat::png));
  // A PDF (issue 15: SVG/PNG/PDF) holds no creation time: the same bytes on every run.
  std::string pdf = render(ChartFormat::pdf);
  REQUIRE(pdf.size() > 8);
  CHECK(pdf.substr(0, 5) == "%PDF-");
  CHECK(pdf.find("/CreationDate (20000101000000Z)") != std::string::npos);
  CHECK(pdf == render(ChartFormat::pdf));
}

TEST_CASE("two hundred thousand changes make a path of a few values per pixel column") {
  std::vector<TraceRecord> recs;
  testing::Endpoint s = server_endpoint();
  recs.push_back(AppRecord{ms(0), "server", "echo", AppWhat::listen, s.addr, {}, {}, 0, {}});
  for (int64_t i = 0; i < 200'000; ++i) {
    recs.push_back(
        CounterRecord{Instant::from_ns(i * 1000), "server", "syn_queue", i % 97, s.addr, {}});
  }
  PlotOptions o;
  std::string svg = plot_svg(plot_data(recs, o), meta_for("big"));
  // Drawn point by point this would be megabytes; per half-pixel column it is a few values.
  CHECK(svg.size() < 150'000);
}

TEST_CASE("the scenario loader accepts exactly the plot kinds viz draws, in the same order") {
  std::vector<std::string> names = plot_kind_names();
  std::string listed;
  for (size_t i = 0; i < names.size(); ++i) {
    CHECK(parse_plot_kind(names[i]));
    listed += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  }
  CHECK(listed == plot_kind_list());
}

TEST_CASE("the time-sequence graph draws one direction's segments, its losses and its ACKs") {
  auto recs = lossy_trace();
  PlotOptions o;
  o.kind = PlotKind::tcptrace;
  PlotData d = plot_data(recs, o);
  CHECK(d.title == "Time-sequence graph");
  CHECK(d.subject == "client 10.0.0.1:7500 → 10.0.0.2:20000 (server)");
  const SeqGraph& g = d.seq;
  // "Hello,server!" lost at 10 ms, retransmitted by the RTO at 224 ms; bytes 1 to 14.
  REQUIRE(g.segments.size() == 2);
  CHECK(g.segments[0].t == ms(10));
  CHECK(g.segments[0].lo == 1);
  CHECK(g.segments[0].hi == 14);
  CHECK_FALSE(g.segments[0].retransmission);
  CHECK(g.segments[0].lost);
  CHECK(g.segments[1].t == ms(224));
  CHECK(g.segments[1].retransmission);
  CHECK_FALSE(g.segments[1].lost);
  // The SYN-ACK acknowledges the SYN (1); the echo at 234 ms acknowledges the 13 bytes.
  REQUIRE_FALSE(g.ack.points.empty());
  CHECK(g.ack.points.front().value == 1);
  CHECK(std::find(g.ack.points.begin(), g.ack.points.end(), SeriesPoint{ms(234), 14}) !=
        g.ack.points.end());
  CHECK(g.window.points.size() == g.ack.points.size());
  auto render = [&](ChartFormat f) { return render_plot_bytes(recs, meta_for("lossy"), o, f); };
  check_svg_golden(render, "plot-tcptrace.svg");
}

// RFC 8985 §7 / tcp_send_loss_probe(): a probe's firing is marked TLP, and its resent segment
// is not counted again as a fast retransmit; an RTO firing is marked RTO; any other
// retransmission is a fast retransmit.
TEST_CASE("the cwnd plot marks tail-loss probes, RTOs and fast retransmits apart") {
  TraceBuilder b;
  testing::Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(ms(0), c, s, "CLOSED", "SYN_SENT", "connect");
  b.state(ms(10), c, s, "SYN_SENT", "ESTABLISHED", "rcv SYN-ACK");
  b.deliver(ms(20), ms(30), c, s, b.packet(c, s, TcpFlags::ACK, 1001, 1, std::string(1000, 'a')));
  b.deliver(ms(20), ms(30), c, s, b.packet(c, s, TcpFlags::ACK, 2001, 1, std::string(1000, 'b')));
  for (auto [t, seq] : {std::pair{ms(50), 2001u}, {ms(60), 1001u}, {ms(70), 1001u}}) {
    b.deliver(t, t + Duration::milliseconds(10), c, s,
              b.packet(c, s, TcpFlags::ACK, seq, 1, std::string(1000, 'a'), 1));
  }
  std::vector<TraceRecord> recs = b.records();
  recs.push_back(CounterRecord{ms(10), "client", "cwnd", 14600, c.addr, s.addr});
  recs.push_back(CounterRecord{ms(90), "client", "cwnd", 1460, c.addr, s.addr});
  for (auto [t, kind] : {std::pair{ms(50), TimerKind::loss_probe}, {ms(70), TimerKind::rto}}) {
    TimerRecord f;
    f.t = t;
    f.host = "client";
    f.local = c.addr;
    f.remote = s.addr;
    f.timer = kind;
    f.attempt = 1;
    recs.push_back(f);
  }
  sort_by_time(recs);
  PlotData d = plot(recs, PlotKind::cwnd);
  std::vector<std::string> marks;
  for (const PlotMarker& m : d.markers)
    marks.push_back(std::to_string((m.t - Instant::zero()).ns() / 1'000'000) + " " + m.label);
  CHECK(marks == std::vector<std::string>{"50 TLP", "60 fast retx", "70 RTO"});
  REQUIRE_FALSE(d.markers.empty());
  CHECK(d.markers[0].kind == PlotMarker::Kind::tlp);
}
