// scenarios/sack-vs-newreno.yaml: the same three lost segments recovered by NewReno (one hole
// per round trip, RFC 6582 partial ACKs) and by Linux's SACK recovery (every hole in the first
// round trip: tcp_sacktag_write_queue, tcp_rack_detect_loss, tcp_xmit_retransmit_queue); and
// sack-vs-newreno-tail.yaml: a tail loss repaired by the RTO and by a loss probe
// (tcp_schedule_loss_probe, tcp_send_loss_probe).
// The SACK halves carry the tag [sack-sender] (run them alone with: test_runner "[sack-sender]").
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"

using namespace netsim;

namespace {

constexpr Duration kRtt = Duration::milliseconds(100);  // two 50 ms links' worth

struct Pair {
  std::vector<Instant> retransmits;       // data segments resent by the client, in order
  std::vector<uint32_t> retransmit_seqs;  // and their first sequence numbers
  std::vector<uint32_t> dropped_seqs;     // data segments the fault rules dropped
  uint64_t sacked_acks = 0;               // ACKs from the server that carried SACK blocks
  Instant sink_closed;                    // the sink's result time: all data and the FIN in
};

struct Run {
  std::vector<ExpectVerdict> verdicts;
  std::map<std::string, Pair> pairs;  // "nr", "linux"
};

Run run_example(const std::string& file = "sack-vs-newreno.yaml") {
  LoadResult r = load_scenario_file(std::string(NETSIM_SOURCE_DIR "/scenarios/") + file);
  INFO(r.error_text());
  REQUIRE(r.ok());
  MemorySink sink;
  ScenarioRun run(*r.scenario);
  run.add_sink(&sink);
  run.run();
  Run out;
  out.verdicts = run.evaluate();
  for (const std::string prefix : {"nr", "linux"}) {
    Pair& pair = out.pairs[prefix];
    uint32_t highest = 0;  // highest end sent so far, relative to the first data byte
    std::optional<uint32_t> base;
    for (const auto& rec : sink.records) {
      const auto* p = std::get_if<PacketRecord>(&rec);
      if (!p) continue;
      const Segment& tcp = p->packet.tcp;
      if (p->host == prefix + "_server" && p->ev == PacketEvent::send)
        pair.sacked_acks += !tcp.options.sack.empty();
      if (p->host != prefix + "_client" || tcp.payload.empty()) continue;
      if (!base) base = tcp.seq.raw();
      uint32_t rel = tcp.seq.raw() - *base;
      if (p->ev == PacketEvent::drop) pair.dropped_seqs.push_back(rel);
      if (p->ev != PacketEvent::send) continue;
      if (rel + tcp.payload.size() <= highest) {
        pair.retransmits.push_back(p->t);
        pair.retransmit_seqs.push_back(rel);
      }
      highest = std::max<uint32_t>(highest, rel + static_cast<uint32_t>(tcp.payload.size()));
    }
    const apps::AppReport& sink_report = *run.report(prefix + "_sink");
    REQUIRE(sink_report.connections.size() == 1);
    REQUIRE(sink_report.connections[0].result_at);
    pair.sink_closed = *sink_report.connections[0].result_at;
  }
  return out;
}

}  // namespace

TEST_CASE("sack-vs-newreno: without SACK, NewReno repairs the three holes one round trip apart") {
  Run r = run_example();
  const Pair& nr = r.pairs["nr"];
  // The fault rules drop data segments 5, 7 and 9 (1448 bytes each, timestamps on).
  CHECK(nr.dropped_seqs == std::vector<uint32_t>{4 * 1448, 6 * 1448, 8 * 1448});
  CHECK(nr.retransmit_seqs == nr.dropped_seqs);
  CHECK(nr.sacked_acks == 0);  // tcp_sack 0: the receiver never tells which segments it holds
  REQUIRE(nr.retransmits.size() == 3);
  // The fast retransmit after three duplicate ACKs, then one partial ACK per round trip.
  CHECK(nr.retransmits[1] - nr.retransmits[0] >= kRtt);
  CHECK(nr.retransmits[2] - nr.retransmits[1] >= kRtt);
  // The file's own expectations about this pair hold.
  for (const ExpectVerdict& v : r.verdicts) {
    if (v.message.rfind("nr_", 0) != 0) continue;
    INFO(v.message);
    CHECK(v.ok);
  }
}

TEST_CASE(
    "sack-vs-newreno: with SACK, all three holes are retransmitted in the first round trip and "
    "the upload ends a round trip sooner",
    "[sack-sender]") {
  Run r = run_example();
  const Pair& nr = r.pairs["nr"];
  const Pair& linux = r.pairs["linux"];
  CHECK(linux.dropped_seqs == std::vector<uint32_t>{4 * 1448, 6 * 1448, 8 * 1448});
  CHECK(linux.retransmit_seqs == linux.dropped_seqs);  // the same three, nothing spurious
  CHECK(linux.sacked_acks > 0);
  REQUIRE(linux.retransmits.size() == 3);
  // The scoreboard knows every hole once the duplicate ACKs of the first window are in (RACK
  // marks them lost on one ACK); PRR sends one retransmission per delivered segment, so the
  // other two follow with the next round of ACKs, within a round trip of the first.
  CHECK(linux.retransmits[2] - linux.retransmits[0] < kRtt);
  CHECK(nr.sink_closed - linux.sink_closed >= kRtt);
  for (const ExpectVerdict& v : r.verdicts) {
    INFO(v.message);
    CHECK(v.ok);
  }
}

namespace {
Instant at_ms(double ms) {
  return Instant::zero() + Duration::nanoseconds(static_cast<int64_t>(ms * 1e6));
}
}  // namespace

TEST_CASE(
    "sack-vs-newreno-tail: without SACK, the lost tail waits for the retransmission timeout") {
  Run r = run_example("sack-vs-newreno-tail.yaml");
  const Pair& nr = r.pairs["nr"];
  CHECK(nr.dropped_seqs == std::vector<uint32_t>{8 * 1448, 9 * 1448});
  // RTO = SRTT + max(4 RTTVAR, rto_min) = 20 + 200 ms, restarted by the ACKs that arrive at
  // 0.04 s: 9 goes again at 0.26 s, 10 on the ACK of 9 a round trip later; nothing earlier.
  CHECK(nr.retransmit_seqs == nr.dropped_seqs);
  REQUIRE(nr.retransmits.size() == 2);
  CHECK(nr.retransmits[0] == at_ms(260));
  CHECK(nr.retransmits[1] == at_ms(280));
  CHECK(nr.sink_closed == at_ms(290));
  for (const ExpectVerdict& v : r.verdicts) {
    if (v.message.rfind("nr_", 0) != 0) continue;
    INFO(v.message);
    CHECK(v.ok);
  }
}

TEST_CASE(
    "sack-vs-newreno-tail: with SACK, a loss probe 2 SRTT + 2 ms after the last ACK resends the "
    "last segment and its SACK gets the other one resent a round trip later",
    "[sack-sender]") {
  Run r = run_example("sack-vs-newreno-tail.yaml");
  const Pair& linux = r.pairs["linux"];
  CHECK(linux.dropped_seqs == std::vector<uint32_t>{8 * 1448, 9 * 1448});
  // The probe: the last segment again (no new data is left), PTO = 2 x 20 ms + 2 ms = 42 ms,
  // 11 jiffies of 4 ms = 44 ms after the ACKs that arrived at 0.04 s.
  CHECK(linux.retransmit_seqs == std::vector<uint32_t>{9 * 1448, 8 * 1448});
  REQUIRE(linux.retransmits.size() == 2);
  CHECK(linux.retransmits[0] == at_ms(84));
  // Its SACK arrives at 0.104 s; RACK marks 9 lost (sent 84 ms ago > rack.rtt 20 ms + 5 ms).
  CHECK(linux.retransmits[1] == at_ms(104));
  CHECK(linux.sacked_acks > 0);
  for (const ExpectVerdict& v : r.verdicts) {
    INFO(v.message);
    CHECK(v.ok);
  }
}
