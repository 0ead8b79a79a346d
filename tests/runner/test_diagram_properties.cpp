// Properties every sequence diagram must have, checked on the diagram of every example scenario
// (scenarios/*.yaml) and of a few hundred generated ones: causality (nothing a packet's arrival
// caused is drawn above that arrival) and legibility (no label covers another or is crossed).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/trace_jsonl.hpp"
#include "viz/layout.hpp"

using namespace netsim;
using namespace netsim::viz;

namespace {

std::vector<TraceRecord> run_records(const Scenario& s) {
  MemorySink sink;
  ScenarioRun run(s);
  run.add_sink(&sink);
  run.run();
  return std::move(sink.records);
}

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

// Does segment a-b pass through the inside of box r?
bool crosses(Point a, Point b, const Box& r) {
  double t0 = 0, t1 = 1, dx = b.x - a.x, dy = b.y - a.y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x - r.x, r.right() - a.x, a.y - r.y, r.bottom() - a.y};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] <= 0) return false;
      continue;
    }
    double t = q[i] / p[i];
    if (p[i] < 0) {
      t0 = std::max(t0, t);
    } else {
      t1 = std::min(t1, t);
    }
  }
  return t0 < t1;
}

// Text boxes that overlap and labels an arrow passes through, each described.
std::vector<std::string> label_collisions(const DiagramLayout& L) {
  std::vector<std::string> out;
  auto boxes = L.text_boxes();
  for (size_t i = 0; i < boxes.size(); ++i) {
    for (size_t j = i + 1; j < boxes.size(); ++j) {
      if (boxes[i].overlaps(boxes[j])) {
        out.push_back("text boxes at (" + std::to_string(boxes[i].x) + "," +
                      std::to_string(boxes[i].y) + ") and (" + std::to_string(boxes[j].x) + "," +
                      std::to_string(boxes[j].y) + ") overlap");
      }
    }
  }
  for (size_t i = 0; i < L.arrows.size(); ++i) {
    for (size_t j = 0; j < L.arrows.size(); ++j) {
      if (i != j && crosses(L.arrows[j].start, L.arrows[j].end, L.arrows[i].label_box)) {
        out.push_back("arrow " + L.model.arrows[j].label + " crosses the label " +
                      L.model.arrows[i].label);
      }
    }
  }
  return out;
}

void check_labels_clear(const DiagramLayout& L, const std::string& what, size_t known = 0) {
  auto found = label_collisions(L);
  std::string list;
  for (const auto& f : found)
    list += "\n  " + f;
  INFO(what << ": " << found.size() << " collisions" << list);
  CHECK(found.size() <= known);
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
    // Not solved yet (listed in the report of issue 15), bounded so it cannot get worse:
    // half-close's 32-byte payload label is wider than the room between its parallel
    // neighbours; link-flap's window lost at the link's failure leaves half-arrows whose
    // labels collide; in the lossy transfers a queued retransmission crosses its dupACKs;
    // in late-reply and write-after-shutdown the handshake's ACK and the request leave at one
    // instant and the ACK's arrow crosses the request's label.
    static const std::map<std::string, size_t> kKnown{
        {"half-close.yaml", 2},          {"link-flap.yaml", 7},    {"burst-loss.yaml", 10},
        {"lossy-transfer.yaml", 84},     {"server-crash.yaml", 1}, {"late-reply.yaml", 1},
        {"write-after-shutdown.yaml", 1}};
    auto k = kKnown.find(f.filename().string());
    size_t known = k == kKnown.end() ? 0 : k->second;
    check_labels_clear(L, f.filename().string(), known);
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
  CHECK(lines == std::vector<std::string>{"× 80 data segments 1:116801",
                                          "× 28 ACKs back, last ack=55481",
                                          "× 44 data segments 116801:181041, all lost (host down)",
                                          "× 21 ACKs back, last ack=116801"});
  // The lone retransmissions after the crash stay arrows.
  auto retx = std::count_if(m.arrows.begin(), m.arrows.end(),
                            [](const PacketArrow& a) { return a.retransmission > 0; });
  CHECK(retx == 2);
  DiagramOptions every;
  every.fold_flows = false;
  CHECK(build_model(records, {s.name, s.seed, {}}, every).bands.empty());
}
