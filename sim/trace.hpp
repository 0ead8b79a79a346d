// The trace is data (DESIGN.md property 7): everything that happens in a run is one typed
// record appended to the trace, and every output (text, JSON Lines, pcap, diagrams, summary)
// is a sink reading that one stream. sim/ knows nothing of TCP, so states and causes are text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/packet.hpp"
#include "sim/time.hpp"

namespace netsim {

enum class PacketEvent : uint8_t { send, recv, drop };

// Why a packet did not arrive. Names are the `reason` values of SCENARIO_SPEC.md.
enum class DropReason : uint8_t {
  loss,               // Bernoulli loss on a link
  burst_loss,         // Gilbert-Elliott loss on a link
  queue_full,         // drop-tail queue of a link
  link_down,          // the link was down
  no_route,           // no node owns the destination address
  corrupt,            // damaged on a link; the receiver's checksum check failed
  fault,              // a scenario fault rule dropped it
  syn_queue_full,     // a listener's SYN queue overflowed (no cookies)
  accept_queue_full,  // a listener's accept queue was full
  host_down,          // the destination host has crashed
  no_listener,        // nobody listens on the port (answered by RST)
  ttl_exceeded,       // forwarded too often (a routing loop)
  malformed,          // bytes from a real device that do not parse (TUN bridge)
};
// Every reason, in declaration order (summary.json's and the sweep CSV's column order).
inline constexpr DropReason kAllDropReasons[] = {
    DropReason::loss,      DropReason::burst_loss,     DropReason::queue_full,
    DropReason::link_down, DropReason::no_route,       DropReason::corrupt,
    DropReason::fault,     DropReason::syn_queue_full, DropReason::accept_queue_full,
    DropReason::host_down, DropReason::no_listener,    DropReason::ttl_exceeded,
    DropReason::malformed};
static_assert(std::size(kAllDropReasons) == static_cast<size_t>(DropReason::malformed) + 1,
              "kAllDropReasons names every DropReason");
std::string_view to_string(PacketEvent e);
std::string_view to_string(DropReason r);
std::optional<DropReason> parse_drop_reason(std::string_view s);

enum class TimerKind : uint8_t {
  rto,
  syn,
  synack,
  keepalive,
  time_wait,
  fin_wait_2,
  persist,
  delayed_ack
};
std::string_view to_string(TimerKind t);
std::optional<TimerKind> parse_timer_kind(std::string_view s);

enum class AppWhat : uint8_t {
  connect,
  connected,
  accepted,
  data,
  eof,
  closed,
  error,
  listen,
  send
};
std::string_view to_string(AppWhat w);
std::optional<AppWhat> parse_app_what(std::string_view s);

struct PacketRecord {
  Instant t;
  PacketEvent ev = PacketEvent::send;
  std::string host;  // the node where it happened (sender for send/most drops, receiver for recv)
  Packet packet;
  DropReason reason = DropReason::loss;  // meaningful for drops only
  std::string detail;                    // e.g. "loss 1%", "link r1-server down"
};

struct StateRecord {
  Instant t;
  std::string host;
  SocketAddr local, remote;
  std::string app;  // empty when no application owns the connection
  std::string from, to;
  std::string cause;  // "connect", "rcv SYN-ACK", "RTO expired", ...
};

struct TimerRecord {
  Instant t;
  std::string host;
  SocketAddr local, remote;
  std::string app;
  TimerKind timer = TimerKind::rto;
  uint32_t attempt = 0;  // retransmission / probe number this firing leads to
  std::string detail;    // "retransmit seq 1001, backoff 1, rto 400ms"
};

struct AppRecord {
  Instant t;
  std::string host;
  std::string app;
  AppWhat what = AppWhat::connect;
  SocketAddr local, remote;
  std::string error;  // ETIMEDOUT, ECONNREFUSED, ECONNRESET, EPIPE
  uint64_t bytes = 0;
  std::string detail;
};

struct FaultRecord {
  Instant t;
  std::string host;  // node it applied to, if any
  std::string
      what;  // link_down, link_up, set_link, crash, restart, drop, delay, duplicate, corrupt
  std::string detail;
};

// A sampled quantity (SYN-queue length, cwnd, ...) for time-series plots.
struct CounterRecord {
  Instant t;
  std::string host;
  std::string name;
  int64_t value = 0;
  SocketAddr local, remote;  // zero when host-wide
};

using TraceRecord =
    std::variant<PacketRecord, StateRecord, TimerRecord, AppRecord, FaultRecord, CounterRecord>;

Instant record_time(const TraceRecord& r);

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void write(const TraceRecord& r) = 0;
  // Called once at the end of a run; sinks that write files complete them here.
  virtual void finish() {}
};

// Fans records out to sinks. Producers check enabled() before building a record, so a run
// without sinks formats nothing on its hot paths.
class Trace {
 public:
  void add_sink(TraceSink* s) { sinks_.push_back(s); }
  bool enabled() const { return !sinks_.empty(); }
  void emit(const TraceRecord& r) {
    for (auto* s : sinks_)
      s->write(r);
  }
  void finish() {
    for (auto* s : sinks_)
      s->finish();
  }

 private:
  std::vector<TraceSink*> sinks_;
};

// Keeps every record in memory: for tests, diagrams and the summary.
class MemorySink : public TraceSink {
 public:
  void write(const TraceRecord& r) override { records.push_back(r); }
  std::vector<TraceRecord> records;
};

}  // namespace netsim
