// Properties every sequence diagram must have, checked on the diagram of every example scenario
// (scenarios/*.yaml) and of a few hundred generated ones: causality (nothing a packet's arrival
// caused is drawn above that arrival) and legibility (no label covers another or is crossed).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/trace_jsonl.hpp"
#include "tests/support/scenario_support.hpp"
#include "viz/layout.hpp"
#include "viz/plot.hpp"
#include "viz/timeline_chart.hpp"

using namespace netsim;
using namespace netsim::viz;

namespace {

using test_support::run_records;

// For each arrow whose sender had a packet arrive at the same instant before it sent (by
// record order, which is causal order), the arrow's start is not above that arrival's end; a
// state mark is not above the arrival that came before it either.
void check_causal_order(const DiagramLayout& L, const std::string& what) {
  const auto& m = L.model;
  for (size_t i = 0; i < m.arrows.size(); ++i) {
    const auto& send = m.arrows[i];
    for (size_t j = 0; j < m.arrows.size(); ++j) {
      const auto& in = m.arrows[j];
      bool reaches = in.fate == ArrowFate::delivered || in.fate == ArrowFate::dropped_at_receiver;
      if (!reaches || !in.ended || !in.end_order || in.to != send.from) continue;
      if (*in.ended != send.sent || *in.end_order > send.order) continue;
      INFO(what << ": " << send.label << " sent at " << send.sent.ns() << " ns after " << in.label
                << " arrived");
      CHECK(L.arrows[i].start.y >= L.arrows[j].end.y);
    }
  }
  // A band starts below the arrows its sender sent before it at the same instant.
  for (size_t b = 0; b < m.bands.size(); ++b) {
    for (size_t i = 0; i < m.arrows.size(); ++i) {
      const auto& a = m.arrows[i];
      if (a.from != m.bands[b].from || a.sent != m.bands[b].first || a.order > m.bands[b].order)
        continue;
      INFO(what << ": " << a.label << " sent before band " << m.bands[b].lines.front());
      CHECK(L.arrows[i].start.y < L.bands[b].area.y);
    }
  }
  for (size_t k = 0; k < m.marks.size(); ++k) {
    const auto& mk = m.marks[k];
    if (!mk.lifeline) continue;
    for (size_t j = 0; j < m.arrows.size(); ++j) {
      const auto& in = m.arrows[j];
      bool reaches = in.fate == ArrowFate::delivered || in.fate == ArrowFate::dropped_at_receiver;
      if (!reaches || !in.ended || !in.end_order || in.to != *mk.lifeline) continue;
      if (*in.ended != mk.t || *in.end_order > mk.order) continue;
      INFO(what << ": mark " << mk.text << " after " << in.label << " arrived");
      CHECK(L.marks[k].line_y >= L.arrows[j].end.y);
    }
  }
}

// The library's own check (viz/layout.hpp label_collisions), which the layout minimises: text
// boxes that overlap, and arrows through any text but their own label: another arrow's label
// or drop reason, a band's or a gap's label, a state mark, a tick.
void check_labels_clear(const DiagramLayout& L, const std::string& what) {
  auto found = label_collisions(L);
  std::string list;
  for (const auto& f : found)
    list += "\n  " + f;
  INFO(what << ": " << found.size() << " collisions" << list);
  CHECK(found.empty());
  // A label is drawn whole, or in its short form where the whole one found no place.
  for (size_t i = 0; i < L.arrows.size(); ++i) {
    const auto& a = L.model.arrows[i];
    INFO(what << ": " << a.label << " drawn as " << L.arrows[i].label);
    CHECK((L.arrows[i].label == a.label || (!a.brief.empty() && L.arrows[i].label == a.brief)));
  }
}

Scenario load_file(const std::string& path) {
  LoadResult r = load_scenario_file(path);
  INFO(r.error_text());
  REQUIRE(r.ok());
  return *r.scenario;
}

// A random small story: one or two clients talking to an echo or fixed-reply server over a
// link with random delay and loss, with random close policies and sometimes a fault.
std::string random_scenario(std::mt19937& rng) {
  auto pick = [&rng](std::initializer_list<const char*> v) {
    return *(v.begin() + std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng));
  };
  auto chance = [&rng](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };
  std::ostringstream y;
  y << "seed: " << std::uniform_int_distribution<int>(1, 1000)(rng) << "\n";
  y << "duration: 20s\n";
  y << "hosts: {client: 10.0.0.1, server: 10.0.0.2}\n";
  y << "tcp: {delayed_ack: " << pick({"0ms", "40ms", "5ms"}) << "}\n";
  y << "links: [{between: [client, server], delay: " << pick({"0ms", "1ms", "10ms", "25ms"})
    << ", loss: " << pick({"none", "5%", "15%"}) << "}]\n";
  y << "apps:\n";
  y << "  - tcp_server: {name: srv, on: server, port: 80, reply: "
    << pick({"echo", "none", "\"OK\"", "3000B"})
    << ", close: " << pick({"after_peer", "after_reply", "abort"}) << "}\n";
  int clients = chance(30) ? 2 : 1;
  for (int c = 0; c < clients; ++c) {
    y << "  - tcp_client: {name: c" << c
      << ", on: client, connect: server:80, at: " << pick({"0s", "0s", "3ms", "100ms"})
      << ", send: " << pick({"\"Hello\"", "2000B", "\"x\""})
      << ", close: " << pick({"after_reply", "after_send", "after_peer", "abort"})
      << (chance(20) ? ", shutdown: true" : "") << "}\n";
  }
  if (chance(40)) {
    y << "faults:\n  - {drop: {src: " << pick({"client", "server"})
      << ", flags: " << pick({"\".\"", "S", "F", "P"})
      << "}, nth: " << std::uniform_int_distribution<int>(1, 4)(rng) << ", count: 1}\n";
  }
  return y.str();
}

}  // namespace

TEST_CASE("every example scenario's diagram draws reactions below causes and labels clear") {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(NETSIM_SOURCE_DIR "/scenarios")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 15);
  for (const auto& f : files) {
    Scenario s = load_file(f.string());
    auto records = run_records(s);
    DiagramLayout L = compute_layout(records, {s.name, s.seed, {}}, {});
    check_causal_order(L, f.filename().string());
    check_labels_clear(L, f.filename().string());
  }
}

TEST_CASE("the hello-echo with its final ACK lost draws every reply below its cause") {
  LoadResult r = load_scenario_file(NETSIM_SOURCE_DIR "/scenarios/hello-echo.yaml");
  REQUIRE(r.ok());
  Scenario s = *r.scenario;
  LoadResult f = load_scenario_text(R"(
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: echo, on: server, port: 20000, reply: echo, close: after_peer}
  - tcp_client: {name: alice, on: client, port: 7500, connect: server:20000,
                 send: "Hello,server!", close: after_reply}
faults: [{drop: {src: client, flags: ".", payload: false}, nth: 3, count: 1}]
)",
                                    "lost-ack.yaml");
  INFO(f.error_text());
  REQUIRE(f.ok());
  auto records = run_records(*f.scenario);
  DiagramLayout L = compute_layout(records, {"lost-ack", 1, {}}, {});
  check_causal_order(L, "lost-ack");
  check_labels_clear(L, "lost-ack");
  // The server's CLOSE_WAIT sits on the row of the FIN that caused it, not above it.
  const auto& m = L.model;
  auto fin = std::find_if(m.arrows.begin(), m.arrows.end(), [](const PacketArrow& a) {
    return a.label.rfind("FIN", 0) == 0 && a.from == 0;
  });
  REQUIRE(fin != m.arrows.end());
  auto cw = std::find_if(m.marks.begin(), m.marks.end(),
                         [](const Mark& mk) { return mk.text == "CLOSE_WAIT"; });
  REQUIRE(cw != m.marks.end());
  size_t fi = static_cast<size_t>(fin - m.arrows.begin());
  size_t ci = static_cast<size_t>(cw - m.marks.begin());
  CHECK(L.marks[ci].line_y == L.arrows[fi].end.y);
}

TEST_CASE("a duplicate ACK's short label counts it, a data segment's leaves the preview out") {
  Scenario s = load_file(NETSIM_SOURCE_DIR "/scenarios/lossy-transfer.yaml");
  DiagramModel m = build_model(run_records(s), {s.name, s.seed, {}}, {});
  // RFC 5681: same ACK number and window, no data; the count restarts with each new ACK.
  size_t dups = 0, data = 0;
  for (const auto& a : m.arrows) {
    if (a.brief.rfind("dupACK #", 0) == 0) {
      ++dups;
      CHECK(a.label.rfind("ACK ack=", 0) == 0);
    } else if (!a.brief.empty()) {
      ++data;  // ". 1:1461 (1460)" of ". 1:1461 (1460) \"0123456789abcdef\"…"
      std::string range = a.brief.substr(0, a.brief.find(')') + 1);
      CHECK(a.label.rfind(range + " \"", 0) == 0);
      CHECK(a.brief.size() < a.label.size());
    }
  }
  CHECK(dups > 10);
  CHECK(data > 10);
}

TEST_CASE("three hundred generated scenarios' diagrams draw each reaction below its cause") {
  std::mt19937 rng(20261203);
  for (int i = 0; i < 300; ++i) {
    std::string text = random_scenario(rng);
    LoadResult r = load_scenario_text(text, "random.yaml");
    INFO(text << r.error_text());
    REQUIRE(r.ok());
    auto records = run_records(*r.scenario);
    DiagramLayout L = compute_layout(records, {"random", r.scenario->seed, {}}, {});
    check_causal_order(L, "random #" + std::to_string(i) + "\n" + text);
  }
}

TEST_CASE("an events file opens with the run's scenario and seed, and files without it read") {
  std::ostringstream out;
  JsonlSink sink(out, JsonlOptions{}, JsonlRun{"hello-echo", 7});
  sink.write(FaultRecord{Instant::zero(), "", "link_down", "a-b"});
  sink.finish();
  CHECK(out.str() ==
        "{\"ev\":\"run\",\"scenario\":\"hello-echo\",\"seed\":7}\n"
        "{\"t_ns\":0,\"ev\":\"fault\",\"host\":\"\",\"what\":\"link_down\",\"detail\":\"a-b\"}\n");
  std::istringstream in(out.str());
  std::optional<JsonlRun> run;
  auto records = read_jsonl(in, "events.jsonl", &run);
  REQUIRE(run);
  CHECK(run->scenario == "hello-echo");
  CHECK(run->seed == 7);
  CHECK(records.size() == 1);
  std::istringstream old("{\"t_ns\":0,\"ev\":\"fault\",\"host\":\"\",\"what\":\"link_up\"}\n");
  std::optional<JsonlRun> none;
  CHECK(read_jsonl(old, "old.jsonl", &none).size() == 1);
  CHECK_FALSE(none);
  std::istringstream bad("{\"ev\":\"run\",\"scenario\":3,\"seed\":1}\n");
  CHECK_THROWS_WITH(read_jsonl(bad, "bad.jsonl", &none),
                    "bad.jsonl:1: field \"scenario\" must be a string");
}

TEST_CASE("a transfer folds into bands, and the window lost to a crash into one band") {
  Scenario s = load_file(NETSIM_SOURCE_DIR "/scenarios/server-crash.yaml");
  auto records = run_records(s);
  DiagramModel m = build_model(records, {s.name, s.seed, {}}, {});
  std::vector<std::string> lines;
  for (const auto& b : m.bands)
    lines.insert(lines.end(), b.lines.begin(), b.lines.end());
  // 1448-byte segments (MSS 1460 less the timestamp option); the receiver ACKs every segment
  // while its window opens (tcp_grow_window()), so more ACKs come back than one per two.
  // TCP Small Queues keeps the sender's data out of the 10 Mbit/s link's queue (docs/
  // windows.md), so fewer segments are on their way when the server crashes.
  // The client's handshake-completing ACK (the cause of the server's ESTABLISHED) travels the
  // data's way: it stays an arrow and is no "ACK back".
  CHECK(lines == std::vector<std::string>{"× 80 data segments 1:115841",
                                          "× 46 ACKs back, last ack=110049",
                                          "× 21 data segments 115841:146249, all lost (host down)",
                                          "× 2 ACKs back, last ack=115841"});
  // The lone retransmissions after the crash stay arrows: the tail-loss probe sends new data
  // at 1.23 s, then the RTO (272 ms: the round trip no longer grows with a deep queue) resends
  // at 1.50 s and, backed off, at 2.05 s and 3.13 s, which the restarted server answers with a
  // RST.
  CHECK(std::count_if(m.arrows.begin(), m.arrows.end(),
                      [](const PacketArrow& a) { return a.label == "ACK ack=1"; }) == 1);
  auto retx = std::count_if(m.arrows.begin(), m.arrows.end(),
                            [](const PacketArrow& a) { return a.retransmission > 0; });
  CHECK(retx == 3);
  DiagramOptions every;
  every.fold_flows = false;
  CHECK(build_model(records, {s.name, s.seed, {}}, every).bands.empty());
}

TEST_CASE("a window with losses among its segments folds around them, the losses drawn") {
  Scenario s = load_file(NETSIM_SOURCE_DIR "/scenarios/sack-vs-newreno.yaml");
  DiagramOptions o;
  o.connections = {"linux_upload"};
  DiagramModel m = build_model(run_records(s), {s.name, s.seed, {}}, o);
  REQUIRE_FALSE(m.bands.empty());
  // The initial window of 20 segments (IW10, then two per ACK of slow start), sent at one
  // instant: the fault rules drop the 5th, 7th and 9th; the other 17 fold into one band. The
  // first ten leave as two-segment GSO packets (the pacing rate the SYN-ACK set), PSH on the
  // even ones: none of the lost three has it.
  CHECK(m.bands.front().lines ==
        std::vector<std::string>{"× 17 data segments 1:28961 around 3 lost",
                                 "× 7 ACKs back, last ack=5793"});
  std::vector<std::string> lost;
  for (const auto& a : m.arrows) {
    if (a.fate == ArrowFate::dropped_en_route) lost.push_back(a.brief + " " + a.drop_label);
  }
  CHECK(lost == std::vector<std::string>{". 5793:7241 (1448) fault rule",
                                         ". 8689:10137 (1448) fault rule",
                                         ". 11585:13033 (1448) fault rule"});
}

// Issue 15's pictures for loss: the time-sequence graph shows the receiver's SACK blocks, and
// the cwnd plot its ssthresh and why the window was cut, on the example that compares them.
TEST_CASE("the loss plots of sack-vs-newreno show SACK blocks, ssthresh and each fast retransmit") {
  Scenario s = load_file(NETSIM_SOURCE_DIR "/scenarios/sack-vs-newreno.yaml");
  auto recs = run_records(s);
  PlotOptions o;
  o.kind = PlotKind::tcptrace;
  o.connections = {"linux_upload"};
  PlotData d = plot_data(recs, o);
  // Segment 5 (5793:7241) is lost; segment 6's ACK SACKs it, then 8's and 10's come first in
  // their ACKs (RFC 2018: the most recent block first), three holes at once.
  REQUIRE(d.seq.sacks.size() >= 6);
  auto block = [&](size_t i) {
    const auto& b = d.seq.sacks[i];
    return std::to_string(b.t.ns()) + " " + std::to_string(b.lo) + ":" + std::to_string(b.hi);
  };
  CHECK(block(0) == "206188800 7241:8689");
  CHECK(block(1) == "207395200 10137:11585");
  CHECK(block(2) == "207395200 7241:8689");
  CHECK(block(3) == "208601600 13033:14481");
  CHECK(block(4) == "208601600 10137:11585");
  CHECK(block(5) == "208601600 7241:8689");
  o.connections = {"nr_upload"};
  CHECK(plot_data(recs, o).seq.sacks.empty());  // tcp_sack 0: no blocks to draw
  // CUBIC cuts the 14-segment window to 14 * 717 / 1024 = 9 segments (bictcp_recalc_ssthresh).
  o.kind = PlotKind::cwnd;
  o.connections = {"linux_upload"};
  PlotData w = plot_data(recs, o);
  auto ss = std::find_if(w.series.begin(), w.series.end(),
                         [](const Series& x) { return x.name == "ssthresh"; });
  REQUIRE(ss != w.series.end());
  CHECK(ss->dashed);
  REQUIRE_FALSE(ss->points.empty());
  CHECK(ss->points.front() ==
        SeriesPoint{Instant::zero() + Duration::nanoseconds(208601600), 9 * 1448});
  std::vector<std::string> marks;
  for (const auto& mk : w.markers)
    marks.push_back(mk.label + " " + std::to_string(mk.t.ns()));
  CHECK(marks == std::vector<std::string>{"fast retx 208601600", "fast retx 302643200",
                                          "fast retx 306243200"});
}

// Issue 15: a crashed host keeps no connection in any picture. keepalive-dead-peer.yaml's
// server crashes at 1 s: its end of the connection's bar in the timeline stops there, and the
// diagram marks it CLOSED (cause host crashed) at the crash.
TEST_CASE("a crashed server's connection ends at the crash in the timeline and the diagram") {
  Scenario s = load_file(NETSIM_SOURCE_DIR "/scenarios/keepalive-dead-peer.yaml");
  auto recs = run_records(s);
  TimelineModel tl = timeline_model(recs, {});
  const Instant crash = Instant::zero() + Duration::seconds(1);
  auto row = std::find_if(tl.rows.begin(), tl.rows.end(),
                          [](const TimelineRow& r) { return r.host == "server"; });
  REQUIRE(row != tl.rows.end());
  REQUIRE_FALSE(row->bars.empty());
  // CLOSED draws no bar: the last bar, ESTABLISHED, stops at the crash instead of running on
  // to the end of the run.
  const StateBar& last = row->bars.back();
  CHECK(last.state == TcpState::established);
  CHECK(last.to == crash);
  CHECK_FALSE(last.open);
  DiagramModel m = build_model(recs, {s.name, s.seed, {}}, {});
  auto closed = std::find_if(m.marks.begin(), m.marks.end(), [&](const Mark& mk) {
    return mk.text == "CLOSED" && mk.lifeline && m.lifelines[*mk.lifeline].host == "server";
  });
  REQUIRE(closed != m.marks.end());
  CHECK(closed->t == crash);
  CHECK(closed->cause == "host crashed");
}
