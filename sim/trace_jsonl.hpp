// The trace as JSON Lines (events.jsonl): one object per record, fields in a fixed order
// (SCENARIO_SPEC.md "JSON Lines events", table in docs/outputs.md), and the reader that turns
// such a file back into records so `netsim diagram events.jsonl` can redraw a saved run.
#pragma once

#include <cstddef>
#include <istream>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "sim/trace.hpp"

namespace netsim {

// What the file's first line says about the run, so a diagram redrawn from the file keeps the
// scenario's name and seed: {"ev":"run","scenario":"hello-echo","seed":1}. Files written
// before it existed have no such line and still read.
struct JsonlRun {
  std::string scenario;
  uint64_t seed = 0;
};

struct JsonlOptions {
  // How many leading payload bytes go into "payload" (0: none). A file re-written from a
  // read one must use the same value to come out byte-identical.
  size_t payload_bytes = 64;
};

// The line for one record, without the newline. Hand-formatted (no JSON library) because a
// run can produce millions of records; numbers are plain integers, never locale-formatted.
std::string format_jsonl_line(const TraceRecord& r, const JsonlOptions& options = {});

class JsonlSink : public TraceSink {
 public:
  // `run`, when set, is written as the first line.
  explicit JsonlSink(std::ostream& out, JsonlOptions options = {},
                     std::optional<JsonlRun> run = std::nullopt);
  void write(const TraceRecord& r) override;
  void finish() override { out_.flush(); }

 private:
  std::ostream& out_;
  JsonlOptions options_;
  fmt::memory_buffer buf_;
};

// "events.jsonl:12: field \"seq\" must be an unsigned integer below 2^32".
class JsonlError : public std::runtime_error {
 public:
  JsonlError(std::string file, size_t line, const std::string& what);
  const std::string& file() const { return file_; }
  size_t line() const { return line_; }

 private:
  std::string file_;
  size_t line_;
};

// Reads a whole events file; blank lines are skipped and unknown fields ignored (files from
// newer versions stay readable). Throws JsonlError naming file and line on the first problem.
// Bounds on what read_jsonl() accepts, so that any input is read in bounded memory
// (docs/reliability.md "Limits"): a netsim event line is under 2 KB, and the 1M-SYN flood
// example writes about 5 million events.
struct JsonlLimits {
  size_t max_line_bytes = size_t{1} << 20;  // 1 MiB
  size_t max_records = 20'000'000;
};
// The run line, when there is one, goes to `*run` (not to the records).
std::vector<TraceRecord> read_jsonl(std::istream& in, std::string_view filename,
                                    std::optional<JsonlRun>* run = nullptr,
                                    const JsonlLimits& limits = {});

// One line (line_no only for messages).
TraceRecord parse_jsonl_line(std::string_view line, std::string_view filename, size_t line_no);

}  // namespace netsim
