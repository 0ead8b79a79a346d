// Geometry of the layout: arrows start and end where the time scale puts their times, crossing
// packets cross, idle gaps are compressed without hiding events, and labels do not overlap.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

#include "synthetic.hpp"
#include "viz/layout.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::viz::testing;
using namespace netsim::literals;

namespace {
DiagramLayout layout_of(const std::vector<TraceRecord>& records, const DiagramOptions& opt = {}) {
  return compute_layout(records, meta_for("geometry"), opt);
}

// Proper intersection of segments p1-p2 and q1-q2 (touching ends do not count).
bool intersect(Point p1, Point p2, Point q1, Point q2) {
  auto cross = [](Point o, Point a, Point b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  };
  double d1 = cross(q1, q2, p1), d2 = cross(q1, q2, p2);
  double d3 = cross(p1, p2, q1), d4 = cross(p1, p2, q2);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

void check_arrows_follow_the_scale(const DiagramLayout& L) {
  const auto& m = L.model;
  REQUIRE(L.arrows.size() == m.arrows.size());
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    const auto& a = m.arrows[i];
    const auto& al = L.arrows[i];
    INFO("arrow " << i << ": " << a.label);
    CHECK(al.start.x == L.lifelines[a.from].x);
    CHECK(al.start.y == L.scale.y_of(a.sent, al.start_slot));
    REQUIRE(al.end_time);
    CHECK(al.end.y == L.scale.y_of(*al.end_time, al.end_slot));
    CHECK(al.end.y > al.start.y);  // every arrow slopes downward: time flows down
    if (a.fate == ArrowFate::delivered || a.fate == ArrowFate::dropped_at_receiver) {
      CHECK(*al.end_time == *a.ended);
      CHECK(al.end.x == L.lifelines[a.to].x);
    } else {
      CHECK(al.end.x == (L.lifelines[a.from].x + L.lifelines[a.to].x) / 2);
      CHECK(al.end_slot == al.start_slot);
    }
  }
}

void check_no_text_overlaps(const DiagramLayout& L) {
  auto boxes = L.text_boxes();
  for (size_t i = 0; i < boxes.size(); ++i) {
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      INFO("boxes " << i << " and " << j << " at (" << boxes[i].x << "," << boxes[i].y << ") and ("
                    << boxes[j].x << "," << boxes[j].y << ")");
      CHECK_FALSE(boxes[i].overlaps(boxes[j]));
    }
  }
}

// Both sides close at once: their FINs are in flight at the same time and must cross.
std::vector<TraceRecord> simultaneous_close_trace() {
  TraceBuilder b;
  Endpoint c = client_endpoint(), s = server_endpoint();
  Instant t0 = Instant::zero();
  b.deliver(t0, t0 + 5_ms, c, s, b.packet(c, s, TcpFlags::SYN, 1000, 0));
  b.deliver(t0 + 5_ms, t0 + 10_ms, s, c, b.packet(s, c, TcpFlags::SYN | TcpFlags::ACK, 5000, 1001));
  b.deliver(t0 + 10_ms, t0 + 15_ms, c, s, b.packet(c, s, TcpFlags::ACK, 1001, 5001));
  b.deliver(t0 + 20_ms, t0 + 25_ms, c, s,
            b.packet(c, s, TcpFlags::FIN | TcpFlags::ACK, 1001, 5001));
  b.deliver(t0 + 21_ms, t0 + 26_ms, s, c,
            b.packet(s, c, TcpFlags::FIN | TcpFlags::ACK, 5001, 1001));
  return b.records();
}
}  // namespace

TEST_CASE("every arrow starts and ends at the y of its times under the time scale") {
  std::vector<std::function<std::vector<TraceRecord>()>> traces{
      handshake_trace,         hello_echo_trace,
      syn_timeout_trace,       lossy_trace,
      keepalive_trace,         [] { return syn_flood_trace(10000); },
      simultaneous_close_trace};
  for (const auto& trace : traces)
    check_arrows_follow_the_scale(layout_of(trace()));
}

TEST_CASE("the time scale is linear between close events: one transit is 48 points") {
  DiagramLayout L = layout_of(handshake_trace());
  double y0 = L.scale.y_of(Instant::zero());
  CHECK(L.scale.y_of(Instant::zero() + 5_ms) - y0 == Approx(48));
  CHECK(L.scale.y_of(Instant::zero() + 10_ms) - y0 == Approx(96));
  CHECK(L.scale.pt_per_ns() == Approx(48.0 / 5e6));
  const auto& ys = L.scale.ys();
  for (size_t i = 1; i < ys.size(); ++i)
    CHECK(ys[i] > ys[i - 1]);
}

TEST_CASE("packets in flight at the same time cross") {
  DiagramLayout L = layout_of(simultaneous_close_trace());
  REQUIRE(L.arrows.size() == 5);
  CHECK(intersect(L.arrows[3].start, L.arrows[3].end, L.arrows[4].start, L.arrows[4].end));
  // The handshake's packets follow one another and do not cross.
  CHECK_FALSE(intersect(L.arrows[0].start, L.arrows[0].end, L.arrows[1].start, L.arrows[1].end));
}

TEST_CASE("simultaneous sends from one endpoint take one row each") {
  DiagramLayout L = layout_of(hello_echo_trace());
  // The ACK of the handshake and the data leave the client at 10 ms together.
  CHECK(L.arrows[2].start_slot == 0);
  CHECK(L.arrows[3].start_slot == 1);
  CHECK(L.arrows[3].start.y - L.arrows[2].start.y == Approx(L.scale.row()));
  CHECK(L.scale.row() >= TimeScale::kRow);
}

TEST_CASE("the time axis brackets the rows of one instant, from its first event to its last") {
  DiagramLayout L = layout_of(hello_echo_trace());
  auto tick_at = [&](Instant t) {
    auto it =
        std::find_if(L.ticks.begin(), L.ticks.end(), [t](const AxisTick& k) { return k.t == t; });
    REQUIRE(it != L.ticks.end());
    return *it;
  };
  // At 10 ms the SYN-ACK arrives and the handshake's ACK and the data leave: the bracket runs
  // from the first of them to the data's row, the lowest.
  AxisTick at10 = tick_at(Instant::zero() + 10_ms);
  CHECK(at10.y == L.scale.y_of(Instant::zero() + 10_ms));
  CHECK(at10.y_last == L.arrows[3].start.y);
  CHECK(at10.y_last > at10.y);
  // The SYN's departure is alone at 0: no bracket, and nothing drawn below its row.
  AxisTick at0 = tick_at(Instant::zero());
  CHECK(at0.y_last == at0.y);
  // The legend explains the bracket, as it is drawn.
  CHECK(std::any_of(L.legend.begin(), L.legend.end(),
                    [](const LegendItem& i) { return i.kind == LegendItem::Kind::instant; }));
  DiagramLayout plain = layout_of(handshake_trace());
  CHECK_FALSE(std::any_of(plain.legend.begin(), plain.legend.end(),
                          [](const LegendItem& i) { return i.kind == LegendItem::Kind::instant; }));
}

TEST_CASE("TIME_WAIT's idle minute is compressed into a labelled break that hides no event") {
  DiagramLayout L = layout_of(hello_echo_trace());
  REQUIRE(L.gaps.size() == 1);
  const AxisGap& g = L.gaps[0];
  CHECK(g.from == Instant::zero() + 35_ms);
  CHECK(g.to == Instant::zero() + 60_s + 30_ms);
  CHECK(g.label == "… 60 s …");
  CHECK(g.y2 - g.y1 < 250);
  for (Instant t : L.scale.times())
    CHECK((t <= g.from || t >= g.to));
  CHECK(L.height < 1300);

  DiagramOptions never;
  never.compress_gaps_over = Duration::max();
  DiagramLayout full = layout_of(hello_echo_trace(), never);
  CHECK(full.gaps.empty());
  CHECK(full.scale.y_of(Instant::zero() + 60_s + 30_ms) -
            full.scale.y_of(Instant::zero() + 35_ms) ==
        Approx(59.995 * 48 / 0.005));  // 59.995 s at 48 points per 5 ms
}

TEST_CASE("a compression threshold given in time breaks exactly the longer gaps") {
  DiagramOptions opt;
  opt.compress_gaps_over = 3_s;
  DiagramLayout L = layout_of(syn_timeout_trace(), opt);
  std::vector<std::string> labels;
  for (const auto& g : L.gaps)
    labels.push_back(g.label);
  // SYNs at 0 1 2 3 4 5 7 11 19 35 67 and the give-up at 131 s: the gaps from 7 s on.
  CHECK(labels ==
        std::vector<std::string>{"… 4 s …", "… 8 s …", "… 16 s …", "… 32 s …", "… 64 s …"});
  for (size_t i = 1; i < L.gaps.size(); ++i) {
    CHECK(L.gaps[i].y2 - L.gaps[i].y1 > L.gaps[i - 1].y2 - L.gaps[i - 1].y1);  // still ordered
  }
}

TEST_CASE("no two labels overlap on the handshake, teardown and keepalive examples") {
  check_no_text_overlaps(layout_of(handshake_trace()));
  check_no_text_overlaps(layout_of(hello_echo_trace()));
  check_no_text_overlaps(layout_of(keepalive_trace()));
  check_no_text_overlaps(layout_of(lossy_trace()));
  check_no_text_overlaps(layout_of(syn_timeout_trace()));
}

TEST_CASE("a flood band spans its lifelines over the flood's time") {
  DiagramLayout L = layout_of(syn_flood_trace(10000));
  REQUIRE(L.bands.size() == 1);
  const Box& area = L.bands[0].area;
  CHECK(area.x == L.lifelines[1].x);
  CHECK(area.right() == L.lifelines[2].x);
  CHECK(area.y == L.scale.y_of(Instant::zero() + 1_s));
  CHECK(area.bottom() == Approx(L.scale.y_of(L.model.bands[0].last)));
}

TEST_CASE("an arrow crosses a label only through its inside, not along an edge or short of it") {
  Box b{10, 10, 20, 10};
  CHECK(segment_crosses({0, 15}, {40, 15}, b));        // straight through
  CHECK(segment_crosses({0, 0}, {40, 30}, b));         // diagonally through
  CHECK(segment_crosses({20, 15}, {20, 15.5}, b));     // a stub inside
  CHECK_FALSE(segment_crosses({0, 10}, {40, 10}, b));  // along the top edge
  CHECK_FALSE(segment_crosses({0, 25}, {40, 25}, b));  // below
  CHECK_FALSE(segment_crosses({0, 15}, {10, 15}, b));  // stops at the left edge
  CHECK_FALSE(segment_crosses({0, 20}, {10, 30}, b));  // passes the corner outside
}
