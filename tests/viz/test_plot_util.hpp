// Hand-built traces for the chart tests (plots and timelines): a small SYN flood whose SYN-queue
// length is counted by hand, and helpers for counter records and times in milliseconds; and what
// both kinds of chart test ask of a chart: its error message, its SVG against the golden file.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "golden_file.hpp"
#include "sim/trace.hpp"
#include "synthetic.hpp"
#include "viz/plot.hpp"

namespace netsim::viz::testing {

inline Instant ms(int64_t v) {
  return Instant::zero() + Duration::milliseconds(v);
}

inline void sort_by_time(std::vector<TraceRecord>& recs) {
  std::stable_sort(recs.begin(), recs.end(), [](const TraceRecord& a, const TraceRecord& b) {
    return record_time(a) < record_time(b);
  });
}

// Spoofed SYNs reach the listener "echo" (server 10.0.0.2:20000) at 100, 110, 120, 130, 132 and
// 140 ms. Its SYN queue holds 3 requests; a request lives 25 ms (its SYN-ACKs go nowhere:
// no_route), then expires. By hand: 1, 2, 3 requests at 100, 110, 120; 2 at 125; 3 at 130;
// the SYN at 132 finds the queue full (syn_queue_full); 2 at 135, 3 at 140, then 2, 1, 0 at
// 145, 155, 165. The counter and state records are what the stack emits for each change.
inline std::vector<TraceRecord> small_flood_trace() {
  TraceBuilder b;
  Endpoint s = server_endpoint();
  b.app(ms(0), s, nullptr, AppWhat::listen);
  std::vector<TraceRecord> extra;
  struct Request {
    int64_t expires;
    Endpoint peer;
  };
  std::vector<Request> queue;
  int64_t len = 0;
  auto expire_until = [&](int64_t t) {
    while (!queue.empty() && queue.front().expires <= t) {
      Request r = queue.front();
      queue.erase(queue.begin());
      b.state(ms(r.expires), s, r.peer, "SYN_RECEIVED", "CLOSED", "SYN-ACK retries exhausted");
      extra.push_back(CounterRecord{ms(r.expires), s.host, "syn_queue", --len, s.addr, {}});
    }
  };
  const int64_t arrivals[] = {100, 110, 120, 130, 132, 140};
  for (size_t i = 0; i < std::size(arrivals); ++i) {
    int64_t t = arrivals[i];
    expire_until(t);
    Endpoint peer{"attacker",
                  SocketAddr{*Ipv4Addr::parse("198.51.100." + std::to_string(10 + 2 * i)),
                             static_cast<uint16_t>(1000 + i)},
                  ""};
    Packet syn = b.deliver(ms(t - 5), ms(t), peer, s,
                           b.packet(peer, s, TcpFlags::SYN, 5000 + static_cast<uint32_t>(i), 0));
    if (len == 3) {
      b.drop(ms(t), s.host, syn, DropReason::syn_queue_full);
      continue;
    }
    b.state(ms(t), s, peer, "LISTEN", "SYN_RECEIVED", "rcv SYN");
    extra.push_back(CounterRecord{ms(t), s.host, "syn_queue", ++len, s.addr, {}});
    b.lose(ms(t), ms(t), s, s.host,
           b.packet(s, peer, TcpFlags::SYN | TcpFlags::ACK, 9000, 5001 + static_cast<uint32_t>(i)),
           DropReason::no_route, "no host has the address");
    queue.push_back({t + 25, peer});
  }
  expire_until(1000);
  std::vector<TraceRecord> recs = b.records();
  recs.insert(recs.end(), extra.begin(), extra.end());
  sort_by_time(recs);
  return recs;
}

// The SYN-queue length of small_flood_trace() as counted above: 0 from the listen at 0 ms on,
// then one point per change.
inline std::vector<SeriesPoint> small_flood_syn_queue() {
  return {{ms(0), 0},   {ms(100), 1}, {ms(110), 2}, {ms(120), 3}, {ms(125), 2}, {ms(130), 3},
          {ms(135), 2}, {ms(140), 3}, {ms(145), 2}, {ms(155), 1}, {ms(165), 0}};
}

// Alice's connection to echo up to the server's CLOSE_WAIT: the handshake (client SYN_SENT at
// 0 ms, server SYN_RECEIVED at 5 ms, ESTABLISHED at 10 and 15 ms), the client's close at 50 ms
// and its FIN reaching the server at 55 ms. Callers add how the server closes.
inline void handshake_and_client_close(TraceBuilder& b) {
  Endpoint c = client_endpoint(), s = server_endpoint();
  b.state(ms(0), c, s, "CLOSED", "SYN_SENT", "connect");
  b.state(ms(5), s, c, "LISTEN", "SYN_RECEIVED", "rcv SYN");
  b.state(ms(10), c, s, "SYN_SENT", "ESTABLISHED", "rcv SYN-ACK");
  b.state(ms(15), s, c, "SYN_RECEIVED", "ESTABLISHED", "rcv ACK");
  b.state(ms(50), c, s, "ESTABLISHED", "FIN_WAIT_1", "close");
  b.state(ms(55), s, c, "ESTABLISHED", "CLOSE_WAIT", "rcv FIN");
}

// The message of the ChartError that `build()` throws, or "no error".
template <class Build>
std::string chart_error(Build build) {
  try {
    build();
  } catch (const ChartError& e) {
    return e.what();
  }
  return "no error";
}

// The SVG that `render(ChartFormat::svg)` returns is the same bytes every time, and those of the
// golden file `golden` (which NETSIM_UPDATE_GOLDEN=1 rewrites instead).
template <class Render>
void check_svg_golden(Render render, const std::string& golden) {
  std::string svg = render(ChartFormat::svg);
  CHECK(svg == render(ChartFormat::svg));
  std::string path = golden_path(golden);
  if (updating_goldens()) write_file(path, svg);
  CHECK(svg == read_file(path));
}

}  // namespace netsim::viz::testing
