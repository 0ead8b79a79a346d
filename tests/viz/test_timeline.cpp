// State timelines: rows and bars from state records (exact times), timer marks and errors, the
// time window, folding of spoofed flood connections and the refusal past the row limit, the
// geometry under the time axis (bars start and end at their state changes, the TIME_WAIT break)
// and the drawing (golden SVG, byte-identical repeats).
#include <catch2/catch.hpp>

#include "golden_file.hpp"
#include "synthetic.hpp"
#include "test_plot_util.hpp"
#include "viz/timeline_chart.hpp"
#include "viz/timeline_layout.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::viz::testing;
using namespace netsim::literals;

namespace {

using Bars = std::vector<StateBar>;

// A whole connection: handshake, data, the client closes first and sits 60 s in TIME_WAIT.
void connection(TraceBuilder& b) {
  handshake_and_client_close(b);
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(ms(55), s, c, "CLOSE_WAIT", "LAST_ACK", "close");
  b.state(ms(60), c, s, "FIN_WAIT_1", "FIN_WAIT_2", "rcv ACK of FIN");
  b.state(ms(65), c, s, "FIN_WAIT_2", "TIME_WAIT", "rcv FIN");
  b.state(ms(65), s, c, "LAST_ACK", "CLOSED", "rcv ACK of FIN");
  b.state(ms(60'065), c, s, "TIME_WAIT", "CLOSED", "TIME_WAIT expired");
}

std::vector<TraceRecord> connection_trace() {
  TraceBuilder b;
  connection(b);
  return b.records();
}

std::string timeline_error(const std::vector<TraceRecord>& recs, const TimelineOptions& o) {
  return chart_error([&] { timeline_model(recs, o); });
}

// The small flood of test_plot_util.hpp with alice's connection beside it.
std::vector<TraceRecord> flood_and_connection() {
  std::vector<TraceRecord> recs = small_flood_trace();
  std::vector<TraceRecord> conn = connection_trace();
  recs.insert(recs.end(), conn.begin(), conn.end());
  sort_by_time(recs);
  return recs;
}

}  // namespace

TEST_CASE("each connection end is a row with a bar per state, from entering it to leaving it") {
  TimelineModel m = timeline_model(connection_trace(), {});
  REQUIRE(m.rows.size() == 2);
  CHECK(m.rows[0].label == "alice · client:7500 → server:20000");
  CHECK(m.rows[0].bars ==
        Bars{{ms(0), ms(10), TcpState::syn_sent, StateCause::connect, false},
             {ms(10), ms(50), TcpState::established, StateCause::rcv_syn_ack, false},
             {ms(50), ms(60), TcpState::fin_wait_1, StateCause::close, false},
             {ms(60), ms(65), TcpState::fin_wait_2, StateCause::rcv_ack_of_fin, false},
             {ms(65), ms(60'065), TcpState::time_wait, StateCause::rcv_fin, false}});
  CHECK(m.rows[1].label == "echo · server:20000 → client:7500");
  CHECK(m.rows[1].bars == Bars{{ms(5), ms(15), TcpState::syn_received, StateCause::rcv_syn, false},
                               {ms(15), ms(55), TcpState::established, StateCause::rcv_ack, false},
                               {ms(55), ms(55), TcpState::close_wait, StateCause::rcv_fin, false},
                               {ms(55), ms(65), TcpState::last_ack, StateCause::close, false}});
  CHECK(m.rows[0].conversation == m.rows[1].conversation);
  CHECK(m.start == ms(0));
  CHECK(m.end == ms(60'065));
  CHECK(m.states == std::vector<TcpState>{TcpState::syn_sent, TcpState::syn_received,
                                          TcpState::established, TcpState::fin_wait_1,
                                          TcpState::fin_wait_2, TcpState::time_wait,
                                          TcpState::close_wait, TcpState::last_ack});
}

TEST_CASE("timers that fired are marked on the row and the application's error ends it") {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(ms(0), c, s, "CLOSED", "SYN_SENT", "connect");
  b.timer(ms(1000), c, s, fired(TimerKind::syn, 1, 2, 1_s));
  b.timer(ms(3000), c, s, fired(TimerKind::syn, 2, 2, 2_s));
  TimerRecord gave_up = fired(TimerKind::syn, 2, 2, 4_s);
  gave_up.gives_up = true;
  gave_up.elapsed = 7_s;
  b.timer(ms(7000), c, s, gave_up);
  b.state(ms(7000), c, s, "SYN_SENT", "CLOSED", "SYN retries exhausted");
  b.app(ms(7000), c, &s, AppWhat::error, "ETIMEDOUT");
  TimelineModel m = timeline_model(b.records(), {});
  REQUIRE(m.rows.size() == 1);
  CHECK(m.rows[0].label == "alice · client:7500 → 10.0.0.2:20000");  // no server socket traced
  CHECK(m.rows[0].bars == Bars{{ms(0), ms(7000), TcpState::syn_sent, StateCause::connect, false}});
  REQUIRE(m.rows[0].timers.size() == 3);
  CHECK(m.rows[0].timers[1].t == ms(3000));
  CHECK(m.rows[0].timers[1].text == "SYN RTO #2");
  // The firing that gives up is not one more retransmission.
  CHECK(m.rows[0].timers[2].text == "SYN timeout → ETIMEDOUT");
  CHECK(m.rows[0].end_note == "ETIMEDOUT");
  CHECK(m.timers);
  CHECK(m.errors);
}

TEST_CASE("a time window clips the bars and marks those that go on past it") {
  TimelineOptions o;
  o.from = ms(30);
  o.to = ms(62);
  TimelineModel m = timeline_model(connection_trace(), o);
  REQUIRE(m.rows.size() == 2);
  CHECK(m.rows[0].bars ==
        Bars{{ms(30), ms(50), TcpState::established, StateCause::rcv_syn_ack, false},
             {ms(50), ms(60), TcpState::fin_wait_1, StateCause::close, false},
             {ms(60), ms(62), TcpState::fin_wait_2, StateCause::rcv_ack_of_fin, true}});
  CHECK(m.rows[1].bars == Bars{{ms(30), ms(55), TcpState::established, StateCause::rcv_ack, false},
                               {ms(55), ms(55), TcpState::close_wait, StateCause::rcv_fin, false},
                               {ms(55), ms(62), TcpState::last_ack, StateCause::close, true}});
}

TEST_CASE("past the row limit, spoofed flood connections fold into one row of counts") {
  TimelineOptions o;
  o.max_rows = 3;
  TimelineModel m = timeline_model(flood_and_connection(), o);
  REQUIRE(m.rows.size() == 3);
  CHECK(m.rows[0].label == "alice · client:7500 → server:20000");
  CHECK(m.rows[1].label == "echo · server:20000 → client:7500");
  const TimelineRow& flood = m.rows[2];
  CHECK(flood.label == "echo · server:20000 ← 5 from 198.51.100.0/27");
  CHECK(flood.members == 5);
  CHECK(flood.peak == 3);
  CHECK(flood.bars.empty());
  // The same hand count as the SYN-queue plot: the stack's queue is these requests.
  std::vector<SeriesPoint> hand_count = small_flood_syn_queue();  // from the first request on
  CHECK(flood.counts.at(TcpState::syn_received) ==
        std::vector<SeriesPoint>(hand_count.begin() + 1, hand_count.end()));
  // Without the limit, every request has its row.
  CHECK(timeline_model(flood_and_connection(), {}).rows.size() == 7);
}

TEST_CASE("a timeline over the row limit after folding is refused with advice") {
  TimelineOptions o;
  o.max_rows = 1;
  CHECK(timeline_error(flood_and_connection(), o) ==
        "the timeline would have 3 rows (the limit is 1), too many to read. Narrow it with a "
        "connection filter (--connection NAME; apps in this trace: alice, echo), a time window "
        "(--from/--to) or a host filter, or raise the limit");
  o.max_rows = 60;
  o.hosts = {"attacker"};
  CHECK(timeline_error(flood_and_connection(), o) ==
        "nothing to draw: no connection changes state within the timeline's filters and time "
        "window");
  o.hosts.clear();
  o.connections = {"alice"};
  CHECK(timeline_model(flood_and_connection(), o).rows.size() == 2);
}

TEST_CASE("bars start and end at their state changes under the axis, TIME_WAIT is broken") {
  TimelineModel m = timeline_model(connection_trace(), {});
  detail::TimelineLayout L = detail::layout_timeline(m, meta_for("connection"), true);
  // The 60 s gap after the close is cut, keeping 1/50 of it to scale on each side.
  REQUIRE(L.axis.broken());
  CHECK(L.axis.broken()->from == ms(65 + 1200));
  CHECK(L.axis.broken()->to == ms(60'065 - 1200));
  CHECK(L.axis.break_x1() - L.axis.break_x0() == Approx(detail::TimeAxis::kBreakWidth));
  REQUIRE(L.bars.size() == 9);
  for (const auto& b : L.bars) {
    const StateBar& bar = m.rows[b.row].bars[b.bar];
    CHECK(b.x0 == L.axis.x_of(bar.from));
    CHECK(b.x1 == L.axis.x_of(bar.to));
    CHECK(b.x0 <= b.x1);
  }
  // Bars of one row follow each other without gaps; the handshake is to scale: the client's
  // SYN_SENT (10 ms) is twice as long as the server's gap before SYN_RECEIVED (5 ms).
  CHECK(L.bars[0].x1 == L.bars[1].x0);
  CHECK(L.bars[5].x0 - L.bars[0].x0 == Approx((L.bars[0].x1 - L.bars[0].x0) / 2));
  CHECK(L.rows[0].y < L.rows[1].y);
  CHECK(L.axis.x_of(ms(60'065)) == Approx(L.axis.x1()));
  for (const auto& t : L.axis.ticks(64)) {
    CHECK((t.pos <= L.axis.break_x0() || t.pos >= L.axis.break_x1()));
  }
  // Without the break, the axis is linear and the handshake is a sliver.
  detail::TimelineLayout flat = detail::layout_timeline(m, meta_for("connection"), false);
  CHECK_FALSE(flat.axis.broken());
  CHECK(flat.bars[0].x1 - flat.bars[0].x0 < 1);
}

TEST_CASE("a timeline renders to the same bytes every time, as its golden SVG and as a PNG") {
  auto recs = flood_and_connection();
  DiagramMeta meta = meta_for("small-flood");
  TimelineOptions o;
  o.max_rows = 3;
  auto render = [&](ChartFormat f) { return render_timeline_bytes(recs, meta, o, f); };
  check_svg_golden(render, "timeline-flood.svg");
  std::string png = render(ChartFormat::png);
  CHECK(png.substr(1, 3) == "PNG");
  CHECK(png == render(ChartFormat::png));
}
