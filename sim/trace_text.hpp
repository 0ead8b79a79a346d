// The text trace: one line per record in tcpdump's shape ("<time> <host> <packet>"), with
// state changes, timers, application events and faults as annotation lines between them.
// The exact forms are SCENARIO_SPEC.md "The text trace" and docs/outputs.md.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "sim/trace.hpp"

namespace netsim {

struct TextTraceOptions {
  bool show_recv = false;      // "<t> <host> < <packet>" for every delivered packet
  bool show_counters = false;  // "<t> <host> COUNTER <name> <value>"
};

// The line for any record (without newline), whatever the options say about showing it.
std::string format_trace_line(const TraceRecord& r);

// "10.0.0.1:7500>10.0.0.2:20000": a connection seen from `local`'s side.
std::string format_conn(const SocketAddr& local, const SocketAddr& remote);

// tcpdump's capitals for timers: RTO, SYN, SYN-ACK, KEEPALIVE, TIME_WAIT, FIN_WAIT_2,
// PERSIST, DELACK.
std::string_view timer_display_name(TimerKind t);

// A timer firing in words, made from its fields: "retransmit seq 1001, backoff 1, rto 400ms",
// "probe 3 of 9, seq 4000", "give up after 6 retransmissions in 127s: ETIMEDOUT". The text
// trace prints it after "fired: "; diagrams use it as the tooltip.
std::string timer_detail(const TimerRecord& r);
// A timeout as a person reads it: "210ms", "448.752ms", "6.72s", "120s" (rounded to the
// microsecond; never "2min").
std::string format_timeout(Duration d);

class TextTraceSink : public TraceSink {
 public:
  explicit TextTraceSink(std::ostream& out, TextTraceOptions options = {})
      : out_(out), options_(options) {}
  void write(const TraceRecord& r) override;
  void finish() override { out_.flush(); }

 private:
  std::ostream& out_;
  TextTraceOptions options_;
  std::string line_;
};

}  // namespace netsim
