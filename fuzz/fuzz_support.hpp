// Shared by the fuzz targets: a reader that turns the fuzzer's bytes into values (running out
// of input yields zeros, never an error) and FUZZ_CHECK, which reports a broken invariant and
// aborts so that libFuzzer (or the corpus replay test) records the input as a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace netsim::fuzz {

[[noreturn]] inline void check_failed(const char* cond, const std::string& detail, const char* file,
                                      int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n  %s\n", file, line, cond,
               detail.c_str());
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                                                    \
  do {                                                                              \
    if (!(cond)) ::netsim::fuzz::check_failed(#cond, (detail), __FILE__, __LINE__); \
  } while (0)

// Consumes the input front to back. Reads past the end return zero, so every input, however
// short, decodes to some valid sequence of operations.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  bool empty() const { return pos_ >= data_.size(); }
  size_t remaining() const { return empty() ? 0 : data_.size() - pos_; }

  uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
  // Each read is its own statement: the order in which operands of `|` are evaluated is
  // unspecified, and gcc (corpus replay) and clang (fuzzing) must decode the same values.
  uint16_t u16() {
    uint16_t hi = u8();
    return static_cast<uint16_t>(hi << 8 | u8());
  }
  uint32_t u32() {
    uint32_t hi = u16();
    return hi << 16 | u16();
  }
  bool flag() { return (u8() & 1) != 0; }
  // A value in [0, n) (n > 0).
  uint32_t below(uint32_t n) { return (n <= 256 ? u8() : u32()) % n; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace netsim::fuzz
