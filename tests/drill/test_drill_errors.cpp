// Broken scripts (tests/drill/broken/) give exact file:line:col messages and never a crash or
// a hang; the messages are part of the interface (docs/drill.md, "Errors").
#include <catch2/catch.hpp>

#include <string>

#include "drill/script_parser.hpp"

namespace {

std::string error_of(const std::string& name) {
  std::string dir = std::string(NETSIM_SOURCE_DIR) + "/tests/drill/broken/";
  netsim::drill::ParseResult r = netsim::drill::parse_script_file(dir + name);
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.error.rfind(dir, 0) == 0);
  return r.error.substr(dir.size());
}

}  // namespace

TEST_CASE("Each broken script is refused with its exact file:line:col message") {
  struct Case {
    const char* file;
    const char* message;
  };
  const Case cases[] = {
      {"backwards-range.pkt", "backwards-range.pkt:1:5: time range is backwards"},
      {"bad-character.pkt", "bad-character.pkt:1:16: unexpected character '@'"},
      {"inconsistent-seq.pkt",
       "inconsistent-seq.pkt:2:8: inconsistent TCP sequence numbers and payload size: 0:10(5) "
       "should end at 5"},
      {"missing-result.pkt",
       "missing-result.pkt:3:1: expected '=' and the expected return value, found end of file"},
      {"no-events.pkt", "no-events.pkt:1:1: the script has no events"},
      {"no-time.pkt", "no-time.pkt:1:1: expected an event time (0.100, +0.1 or *), found 'socket'"},
      {"option-after-event.pkt",
       "option-after-event.pkt:2:1: options (--tolerance_usecs=1000) must come before the first "
       "event"},
      {"star-inbound.pkt",
       "star-inbound.pkt:1:1: event time '*' or a range can only be used with outbound packets"},
      {"too-deep.pkt", "too-deep.pkt:1:88: expression nested more than 64 levels deep"},
      {"udp-packet.pkt",
       "udp-packet.pkt:1:5: 'udp' packets are not supported: netsim drill models TCP over IPv4 "
       "only"},
      {"unclosed-options.pkt",
       "unclosed-options.pkt:2:1: expected ',' or '>' in the TCP option list, found end of file"},
      {"unknown-flag.pkt",
       "unknown-flag.pkt:1:5: unknown TCP flag 'X' in 'SX' (flags are F S R P . U E W)"},
      {"unknown-tcp-option.pkt",
       "unknown-tcp-option.pkt:1:32: unknown TCP option 'foo' (known: mss, wscale, sackOK, sack, "
       "TS val/ecr, nop, eol, FO, md5)"},
      {"unterminated-code.pkt", "unterminated-code.pkt:1:3: unterminated %{ code block }%"},
      {"unterminated-command.pkt", "unterminated-command.pkt:1:3: unterminated `command`"},
      {"unterminated-comment.pkt", "unterminated-comment.pkt:1:1: unterminated /* comment"},
      {"unterminated-string.pkt", "unterminated-string.pkt:1:12: unterminated string"},
      {"time-backwards.pkt",
       "time-backwards.pkt:3:1: time goes backward: expected at least 1.000000 (the previous "
       "event's time), found 0.500000"},
      {"unclosed-arguments.pkt",
       "unclosed-arguments.pkt:2:16: expected ',' or ')' in the argument list, found '='"},
      {"sack-block-edge.pkt",
       "sack-block-edge.pkt:1:32: expected a SACK block right edge, found '>'"},
      {"nul-byte.pkt", "nul-byte.pkt:1:15: unexpected character byte 0"},
      {"integer-overflow.pkt",
       "integer-overflow.pkt:1:17: integer 99999999999999999999 is out of range"},
      {"seq-not-number.pkt", "seq-not-number.pkt:1:9: expected an end sequence number, found 'x'"},
      {"time-too-large.pkt",
       "time-too-large.pkt:1:2: time 99999999999 is out of range: expected seconds below 10^9 "
       "(about 31 years)"},
      {"window-out-of-range.pkt",
       "window-out-of-range.pkt:1:18: 70000 is out of range: expected a window (0-65535)"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    CHECK(error_of(c.file) == c.message);
  }
}

TEST_CASE("A missing file, a directory or an endless file is an error naming the file") {
  netsim::drill::ParseResult r = netsim::drill::parse_script_file("/nonexistent/x.pkt");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error == "/nonexistent/x.pkt: cannot open the file: No such file or directory");
  netsim::drill::ParseResult dir = netsim::drill::parse_script_file(NETSIM_SOURCE_DIR "/tests");
  CHECK(dir.error == NETSIM_SOURCE_DIR
        "/tests: is a directory, expected a packetdrill script file");
  netsim::drill::ParseResult zero = netsim::drill::parse_script_file("/dev/zero");
  CHECK(zero.error == "/dev/zero: the file is larger than 16 MiB, expected a packetdrill script");
}

TEST_CASE("Arbitrary bytes never crash the parser") {
  // A few hostile shapes the fuzzer (fuzz/fuzz_drill.cpp) also starts from.
  const char* inputs[] = {
      "",   "\0\0\0", "0",     "+",     "0 <", "0 > S 4294967296:0(1)", "0 a(((((((", "0 x(1) = ",
      "%{", "`",      "0...1", "0 ...", "--",  "0 < S 0:0(0) <sack"};
  for (const char* in : inputs) {
    netsim::drill::ParseResult r = netsim::drill::parse_script(in, "f.pkt");
    CHECK_FALSE(r.ok());
    CHECK(r.error.rfind("f.pkt:", 0) == 0);
  }
}
