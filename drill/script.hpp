// The typed form of a packetdrill script (docs/drill.md): what drill/script_parser.cpp builds
// from the text and drill/runner.cpp executes. Every node keeps its file position so that a
// failure or a bad script is reported as file:line:col.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace netsim::drill {

struct Pos {
  int line = 0;
  int col = 0;
};

// A syscall argument or result: packetdrill's expression grammar, kept generic (a word with
// arguments covers msg_iov(1)=[...], htons(8080), inet_addr("..."); braces hold structs).
struct Expr {
  enum class Kind : uint8_t {
    ellipsis,  // ...
    number,    // 42, 0x2
    word,      // SOL_SOCKET, O_NONBLOCK
    string,    // "text"
    list,      // [a, b]
    group,     // {a, b}
    bit_or,    // a | b (items: the operands)
    assign,    // name = value (text: name; items[0]: value)
    call,      // name(args) (text: name; items: args)
  };
  Kind kind = Kind::ellipsis;
  Pos pos;
  int64_t number = 0;
  std::string text;
  std::vector<Expr> items;
};

struct TimeSpec {
  enum class Kind : uint8_t { absolute, relative, any, absolute_range, relative_range, none };
  Kind kind = Kind::none;  // none: a command line without a time (runs at the current time)
  int64_t usec = 0;
  int64_t end_usec = 0;  // ranges only
};

struct TcpOptionSpec {
  enum class Kind : uint8_t { nop, eol, mss, wscale, sack_ok, sack, timestamp, fast_open, md5 };
  Kind kind = Kind::nop;
  Pos pos;
  uint32_t a = 0, b = 0;                            // mss / wscale: a; TS val a ecr b
  std::vector<std::pair<uint32_t, uint32_t>> sack;  // sack blocks
  std::string blob;                                 // FO cookie, md5 key (hex)
};

struct PacketSpec {
  bool outbound = false;
  Pos pos;
  std::string flags;  // as written: "S", "S.", "P.", "F.", ".", "R", "" for '-'
  uint8_t flag_bits = 0;
  std::optional<std::pair<uint16_t, uint16_t>> ports;  // `src>dst` before the flags
  uint32_t seq_start = 0, seq_end = 0, length = 0;
  std::optional<uint32_t> ack;
  std::optional<uint16_t> window;
  uint16_t urgent = 0;
  bool options_any = false;  // <...>: outbound options are not checked
  std::vector<TcpOptionSpec> options;
  std::optional<std::string> unsupported;  // a feature netsim does not model (ip info, udp, ...)
};

struct SyscallSpec {
  std::string name;
  Pos pos;
  std::vector<Expr> args;
  Expr result;
  std::optional<std::string> errno_name;
  std::optional<int64_t> end_usec;  // `start...end`: a call that blocks until `end`
};

struct CommandSpec {
  std::string text;  // between the backquotes
  Pos pos;
};

struct CodeSpec {
  std::string text;  // between %{ and }%
  Pos pos;
};

struct Event {
  Pos pos;
  TimeSpec time;
  std::variant<PacketSpec, SyscallSpec, CommandSpec, CodeSpec> action;
};

struct ScriptOption {
  std::string name;  // without the leading "--"
  std::string value;
  Pos pos;
};

struct Script {
  std::string file;
  std::vector<ScriptOption> options;
  std::vector<Event> events;
};

}  // namespace netsim::drill
