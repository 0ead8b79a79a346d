// Recursive descent over the token list, following packetdrill's grammar (parser.y): options,
// then events `time action` where the action is a packet, a syscall, a `command` or a %{ code }%.
#include "drill/script_parser.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "drill/lexer.hpp"

namespace netsim::drill {
namespace {

struct ParseFail {
  Pos pos;
  std::string message;
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Token::Kind::end:
      return "end of file";
    case Token::Kind::number:
      return "number " + t.text;
    case Token::Kind::word:
      return "'" + t.text + "'";
    case Token::Kind::string:
      return "string \"" + t.text + "\"";
    case Token::Kind::command:
      return "`command`";
    case Token::Kind::code:
      return "%{ code }%";
    case Token::Kind::option:
      return "option --" + t.text;
    case Token::Kind::ellipsis:
      return "'...'";
    case Token::Kind::punct:
      return "'" + t.text + "'";
  }
  return "token";
}

// Seconds as written ("1", "0.25", ".01") to microseconds, without floating point.
std::optional<int64_t> seconds_to_usec(const std::string& text) {
  int64_t whole = 0, frac = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    if (whole > 1'000'000'000) return std::nullopt;  // beyond 30 years of script time
    whole = whole * 10 + (text[i] - '0');
  }
  int digits = 0;
  if (i < text.size()) {
    for (++i; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      if (digits < 6) {
        frac = frac * 10 + (text[i] - '0');
        ++digits;
      }
    }
  }
  for (; digits < 6; ++digits)
    frac *= 10;
  return whole * 1'000'000 + frac;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Script script() {
    Script s;
    while (peek().kind == Token::Kind::option) {
      const Token& o = take();
      size_t eq = o.text.find('=');
      s.options.push_back(ScriptOption{
          o.text.substr(0, eq), eq == std::string::npos ? "" : o.text.substr(eq + 1), o.pos});
    }
    std::optional<int64_t> last_absolute;  // the previous event's time, when it was absolute
    while (peek().kind != Token::Kind::end) {
      s.events.push_back(event());
      const Event& e = s.events.back();
      if (e.time.kind == TimeSpec::Kind::none) continue;  // a command line: no time of its own
      bool absolute =
          e.time.kind == TimeSpec::Kind::absolute || e.time.kind == TimeSpec::Kind::absolute_range;
      // packetdrill refuses an absolute time before the absolute time just before it.
      if (absolute && last_absolute && e.time.usec < *last_absolute) {
        throw ParseFail{e.pos, fmt::format("time goes backward: expected at least {:.6f} (the "
                                           "previous event's time), found {:.6f}",
                                           *last_absolute / 1e6, e.time.usec / 1e6)};
      }
      last_absolute = absolute ? std::optional(e.time.usec) : std::nullopt;
    }
    return s;
  }

 private:
  const Token& peek(size_t ahead = 0) const {
    size_t k = i_ + ahead;
    return k < t_.size() ? t_[k] : t_.back();
  }
  const Token& take() {
    const Token& t = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return t;
  }
  [[noreturn]] void fail(const Token& at, const std::string& expected) const {
    throw ParseFail{at.pos, fmt::format("expected {}, found {}", expected, describe(at))};
  }
  void expect(char c, const char* what = nullptr) {
    if (!peek().is(c)) fail(peek(), what ? what : fmt::format("'{}'", c));
    take();
  }
  bool accept(char c) {
    if (!peek().is(c)) return false;
    take();
    return true;
  }
  int64_t integer(const char* what, int64_t max) {
    const Token& t = peek();
    if (t.kind != Token::Kind::number || t.text.find('.') != std::string::npos) fail(t, what);
    take();
    int64_t v = 0;
    try {
      v = std::stoll(t.text, nullptr, 0);
    } catch (const std::exception&) {
      throw ParseFail{t.pos, fmt::format("{} is out of range: expected {}", t.text, what)};
    }
    if (v < 0 || v > max)
      throw ParseFail{t.pos, fmt::format("{} is out of range: expected {}", t.text, what)};
    return v;
  }
  int64_t time_value() {
    const Token& t = peek();
    if (t.kind != Token::Kind::number) fail(t, "a time in seconds");
    take();
    auto us = seconds_to_usec(t.text);
    if (!us) {
      bool digits = t.text.find_first_not_of("0123456789.") == std::string::npos;
      throw ParseFail{t.pos, digits ? fmt::format("time {} is out of range: expected seconds "
                                                  "below 10^9 (about 31 years)",
                                                  t.text)
                                    : fmt::format("time {} is not a number of seconds", t.text)};
    }
    return *us;
  }

  TimeSpec time_spec() {
    TimeSpec ts;
    if (accept('*')) {
      ts.kind = TimeSpec::Kind::any;
      return ts;
    }
    bool relative = accept('+');
    ts.kind = relative ? TimeSpec::Kind::relative : TimeSpec::Kind::absolute;
    ts.usec = time_value();
    if (accept('~')) {
      if (relative) expect('+', "'+' (a relative range is +a~+b)");
      Pos end_pos = peek().pos;
      ts.end_usec = time_value();
      if (ts.end_usec < ts.usec) throw ParseFail{end_pos, "time range is backwards"};
      ts.kind = relative ? TimeSpec::Kind::relative_range : TimeSpec::Kind::absolute_range;
    }
    return ts;
  }

  Event event() {
    Event e;
    e.pos = peek().pos;
    if (peek().kind == Token::Kind::command) {  // a command without a time: init or cleanup
      const Token& c = take();
      e.action = CommandSpec{c.text, c.pos};
      return e;
    }
    if (peek().kind == Token::Kind::option)
      throw ParseFail{peek().pos,
                      "options (--" + peek().text + ") must come before the first event"};
    if (!(peek().kind == Token::Kind::number || peek().is('+') || peek().is('*')))
      fail(peek(), "an event time (0.100, +0.1 or *)");
    e.time = time_spec();
    const Token& a = peek();
    bool ranged = e.time.kind == TimeSpec::Kind::any ||
                  e.time.kind == TimeSpec::Kind::absolute_range ||
                  e.time.kind == TimeSpec::Kind::relative_range;
    if (a.is('<') || a.is('>')) {
      e.action = packet();
      if (ranged && !std::get<PacketSpec>(e.action).outbound)
        throw ParseFail{e.pos, "event time '*' or a range can only be used with outbound packets"};
      return e;
    }
    if (ranged)
      throw ParseFail{e.pos, "event time '*' or a range can only be used with outbound packets"};
    if (a.kind == Token::Kind::command) {
      take();
      e.action = CommandSpec{a.text, a.pos};
    } else if (a.kind == Token::Kind::code) {
      take();
      e.action = CodeSpec{a.text, a.pos};
    } else if (a.kind == Token::Kind::word || a.kind == Token::Kind::ellipsis) {
      e.action = syscall();
    } else {
      fail(a, "a packet ('<' or '>'), a system call, a `command` or a %{ code }% block");
    }
    return e;
  }

  // --- packets ---

  PacketSpec packet() {
    PacketSpec p;
    p.pos = peek().pos;
    p.outbound = take().is('>');
    if (peek().is('(') || peek().is('[')) {
      char close = peek().is('(') ? ')' : ']';
      take();
      while (!peek().is(close) && peek().kind != Token::Kind::end)
        take();
      expect(close);
      p.unsupported = "IP header fields (ECN, TOS, TTL, flow label)";
    }
    if (peek().kind == Token::Kind::word) {
      static constexpr std::string_view kOther[] = {"udp", "icmp", "ipv4", "ipv6", "gre", "mpls"};
      for (auto w : kOther) {
        if (peek().text == w)
          throw ParseFail{peek().pos, fmt::format("'{}' packets are not supported: netsim drill "
                                                  "models TCP over IPv4 only",
                                                  w)};
      }
    }
    if (peek().kind == Token::Kind::number && peek(1).is('>')) {
      auto src = static_cast<uint16_t>(integer("a source port", 65535));
      take();
      auto dst = static_cast<uint16_t>(integer("a destination port", 65535));
      p.ports = std::make_pair(src, dst);
    }
    flags(p);
    seq(p);
    tail(p);
    return p;
  }

  void flags(PacketSpec& p) {
    const Token& t = peek();
    if (t.is('.')) {
      take();
      p.flags = ".";
    } else if (t.is('-')) {
      take();
      p.flags = "";
    } else if (t.kind == Token::Kind::word) {
      take();
      p.flags = t.text;
      if (accept('.')) p.flags += '.';
    } else {
      fail(t, "TCP flags (S, S., ., P., F., R, R. ...)");
    }
    for (char c : p.flags) {
      switch (c) {
        case 'F':
          p.flag_bits |= 0x01;
          break;
        case 'S':
          p.flag_bits |= 0x02;
          break;
        case 'R':
          p.flag_bits |= 0x04;
          break;
        case 'P':
          p.flag_bits |= 0x08;
          break;
        case '.':
          p.flag_bits |= 0x10;
          break;
        case 'U':
          p.flag_bits |= 0x20;
          break;
        case 'E':
          p.flag_bits |= 0x40;
          break;
        case 'W':
          p.flag_bits |= 0x80;
          break;
        default:
          throw ParseFail{t.pos, fmt::format("unknown TCP flag '{}' in '{}' (flags are F S R P . "
                                             "U E W)",
                                             c, p.flags)};
      }
    }
  }

  void seq(PacketSpec& p) {
    const Token& start = peek();
    p.seq_start =
        static_cast<uint32_t>(integer("a sequence number (start:end(length))", UINT32_MAX));
    expect(':', "':' in start:end(length)");
    p.seq_end = static_cast<uint32_t>(integer("an end sequence number", UINT32_MAX));
    expect('(', "'(' in start:end(length)");
    p.length = static_cast<uint32_t>(integer("a payload length", 65535));
    expect(')', "')' after the payload length");
    if (p.seq_end != static_cast<uint32_t>(p.seq_start + p.length))
      throw ParseFail{start.pos, fmt::format("inconsistent TCP sequence numbers and payload size: "
                                             "{}:{}({}) should end at {}",
                                             p.seq_start, p.seq_end, p.length,
                                             static_cast<uint32_t>(p.seq_start + p.length))};
  }

  void tail(PacketSpec& p) {
    while (peek().kind == Token::Kind::word) {
      const std::string& w = peek().text;
      if (w == "ack") {
        take();
        p.ack = static_cast<uint32_t>(integer("an ack number", UINT32_MAX));
      } else if (w == "win") {
        take();
        p.window = static_cast<uint16_t>(integer("a window (0-65535)", 65535));
      } else if (w == "urg") {
        take();
        p.urgent = static_cast<uint16_t>(integer("an urgent pointer (0-65535)", 65535));
      } else {
        break;
      }
    }
    if (accept('<')) {
      if (peek().kind == Token::Kind::ellipsis) {
        if (!p.outbound)
          throw ParseFail{peek().pos,
                          "<...> for TCP options can only be used with outbound packets"};
        take();
        p.options_any = true;
      } else {
        do {
          p.options.push_back(option());
        } while (accept(','));
      }
      expect('>', "',' or '>' in the TCP option list");
    }
    if (peek().is('{')) fail(peek(), "the next event (packet fuzzing {...} is not supported)");
  }

  TcpOptionSpec option() {
    TcpOptionSpec o;
    const Token& t = peek();
    o.pos = t.pos;
    if (t.kind != Token::Kind::word)
      fail(t, "a TCP option (mss, wscale, sackOK, sack, TS, nop, eol)");
    take();
    using K = TcpOptionSpec::Kind;
    if (t.text == "nop") {
      o.kind = K::nop;
    } else if (t.text == "eol") {
      o.kind = K::eol;
    } else if (t.text == "mss") {
      o.kind = K::mss;
      o.a = static_cast<uint32_t>(integer("an MSS (0-65535)", 65535));
    } else if (t.text == "wscale") {
      o.kind = K::wscale;
      o.a = static_cast<uint32_t>(integer("a window scale shift (0-255)", 255));
    } else if (t.text == "sackOK") {
      o.kind = K::sack_ok;
    } else if (t.text == "sack") {
      o.kind = K::sack;
      do {
        auto l = static_cast<uint32_t>(integer("a SACK block left edge", UINT32_MAX));
        expect(':', "':' in a SACK block left:right");
        auto r = static_cast<uint32_t>(integer("a SACK block right edge", UINT32_MAX));
        o.sack.emplace_back(l, r);
      } while (peek().kind == Token::Kind::number);
    } else if (t.text == "TS") {
      o.kind = K::timestamp;
      if (peek().kind != Token::Kind::word || peek().text != "val") fail(peek(), "'val' after TS");
      take();
      o.a = static_cast<uint32_t>(integer("a TS value", UINT32_MAX));
      if (peek().kind != Token::Kind::word || peek().text != "ecr")
        fail(peek(), "'ecr' after TS val");
      take();
      o.b = static_cast<uint32_t>(integer("a TS echo reply", UINT32_MAX));
    } else if (t.text == "FO" || t.text == "FOEXP") {
      o.kind = K::fast_open;
      if (peek().kind == Token::Kind::word || peek().kind == Token::Kind::number)
        o.blob = take().text;
    } else if (t.text == "md5") {
      o.kind = K::md5;
      if (peek().kind != Token::Kind::word && peek().kind != Token::Kind::number)
        fail(peek(), "an MD5 key in hex");
      o.blob = take().text;
    } else {
      throw ParseFail{t.pos,
                      fmt::format("unknown TCP option '{}' (known: mss, wscale, sackOK, sack, "
                                  "TS val/ecr, nop, eol, FO, md5)",
                                  t.text)};
    }
    return o;
  }

  // --- system calls ---

  SyscallSpec syscall() {
    SyscallSpec c;
    if (peek().kind == Token::Kind::ellipsis) {
      take();
      c.end_usec = time_value();
    }
    const Token& name = peek();
    if (name.kind != Token::Kind::word) fail(name, "a system call name");
    take();
    c.name = name.text;
    c.pos = name.pos;
    expect('(', "'(' after the system call name");
    if (!accept(')')) {
      do {
        c.args.push_back(expr(0));
      } while (accept(','));
      expect(')', "',' or ')' in the argument list");
    }
    expect('=', "'=' and the expected return value");
    c.result = expr(0);
    // A word after the result is its errno (no event starts with a word).
    if (peek().kind == Token::Kind::word) c.errno_name = take().text;
    if (peek().is('(')) note();
    return c;
  }

  void note() {
    const Token& open = take();
    int depth = 1;
    while (depth > 0) {
      if (peek().kind == Token::Kind::end)
        throw ParseFail{open.pos, "unterminated note: '(' without ')'"};
      if (peek().is('(')) ++depth;
      if (peek().is(')')) --depth;
      take();
    }
  }

  Expr expr(int depth) {
    if (depth > 64) throw ParseFail{peek().pos, "expression nested more than 64 levels deep"};
    Expr first = primary(depth);
    if (!peek().is('|')) return first;
    Expr e;
    e.kind = Expr::Kind::bit_or;
    e.pos = first.pos;
    e.items.push_back(std::move(first));
    while (accept('|'))
      e.items.push_back(primary(depth));
    return e;
  }

  std::vector<Expr> expr_list(int depth, char close) {
    std::vector<Expr> items;
    if (accept(close)) return items;
    do {
      items.push_back(expr(depth + 1));
    } while (accept(','));
    expect(close, fmt::format("',' or '{}'", close).c_str());
    return items;
  }

  Expr primary(int depth) {
    const Token& t = peek();
    Expr e;
    e.pos = t.pos;
    switch (t.kind) {
      case Token::Kind::ellipsis:
        take();
        e.kind = Expr::Kind::ellipsis;
        return e;
      case Token::Kind::number:
        return number();
      case Token::Kind::string:
        take();
        e.kind = Expr::Kind::string;
        e.text = t.text;
        while (peek().kind == Token::Kind::string)
          e.text += take().text;
        if (peek().kind == Token::Kind::ellipsis) take();
        return e;
      case Token::Kind::word:
        return word(depth);
      case Token::Kind::punct:
        if (t.is('-') && peek(1).kind == Token::Kind::number) {
          take();
          Expr n = number();
          n.number = -n.number;
          n.pos = e.pos;
          return n;
        }
        if (t.is('[') || t.is('{')) {
          take();
          e.kind = t.is('[') ? Expr::Kind::list : Expr::Kind::group;
          e.items = expr_list(depth, t.is('[') ? ']' : '}');
          return e;
        }
        break;
      default:
        break;
    }
    fail(t, "an expression (a number, a name, \"string\", [list], {struct} or ...)");
  }

  Expr number() {
    const Token& t = take();
    Expr e;
    e.kind = Expr::Kind::number;
    e.pos = t.pos;
    if (t.text.find('.') != std::string::npos)
      throw ParseFail{t.pos, "expected an integer, found number " + t.text};
    try {
      e.number = std::stoll(t.text, nullptr, 0);
    } catch (const std::exception&) {
      throw ParseFail{t.pos, "integer " + t.text + " is out of range"};
    }
    return e;
  }

  Expr word(int depth) {
    const Token& t = take();
    Expr e;
    e.pos = t.pos;
    e.text = t.text;
    e.kind = Expr::Kind::word;
    if (accept('(')) {
      e.kind = Expr::Kind::call;
      e.items = expr_list(depth, ')');
    }
    if (accept('=')) {
      Expr a;
      a.kind = Expr::Kind::assign;
      a.pos = e.pos;
      a.text = e.text;
      a.items.push_back(std::move(e));
      a.items.push_back(expr(depth + 1));
      return a;
    }
    return e;
  }

  std::vector<Token> t_;
  size_t i_ = 0;
};

}  // namespace

ParseResult parse_script(std::string_view text, const std::string& file) {
  ParseResult r;
  LexResult lexed = lex(text);
  if (lexed.error) {
    r.error = fmt::format("{}:{}:{}: {}", file, lexed.error->pos.line, lexed.error->pos.col,
                          lexed.error->message);
    return r;
  }
  try {
    Script s = Parser(std::move(lexed.tokens)).script();
    s.file = file;
    if (s.events.empty()) {
      r.error = fmt::format("{}:1:1: the script has no events", file);
      return r;
    }
    r.script = std::move(s);
  } catch (const ParseFail& f) {
    r.error = fmt::format("{}:{}:{}: {}", file, f.pos.line, f.pos.col, f.message);
  }
  return r;
}

// Scripts are small text files; the limit keeps /dev/zero or a mistaken multi-GB file from
// being read into memory.
constexpr size_t kMaxScriptBytes = 16 << 20;

ParseResult parse_script_file(const std::string& path) {
  ParseResult r;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    r.error = fmt::format("{}: is a directory, expected a packetdrill script file", path);
    return r;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.error = fmt::format("{}: cannot open the file: {}", path, std::strerror(errno));
    return r;
  }
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxScriptBytes) {
      r.error = fmt::format("{}: the file is larger than {} MiB, expected a packetdrill script",
                            path, kMaxScriptBytes >> 20);
      return r;
    }
  }
  return parse_script(text, path);
}

}  // namespace netsim::drill
