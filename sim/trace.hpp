// The trace's fan-out: every output (text, JSON Lines, pcap, diagrams, summary) is a sink
// reading the one stream of typed records (sim/trace_records.hpp). Producers that only build
// records (the TCP core) include trace_records.hpp, not this.
#pragma once

#include <vector>

#include "sim/trace_records.hpp"

namespace netsim {

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
