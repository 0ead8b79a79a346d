// JSON Lines writer (hand-formatted with fmt and a small escaper: fast and byte-stable) and
// reader (nlohmann::json, with file:line messages). Field names and order are a contract with
// users' scripts: change them only together with docs/outputs.md.
#include "sim/trace_jsonl.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>

namespace netsim {
namespace {

using Buf = fmt::memory_buffer;

void append(Buf& b, std::string_view s) {
  b.append(s.data(), s.data() + s.size());
}

// RFC 8259 §7 string escaping. Text fields are passed through as UTF-8; payload bytes are
// raw, so each byte becomes one character and bytes >= 0x80 are written as \u0080..\u00ff.
void append_escaped(Buf& b, std::string_view s, bool bytes_as_latin1) {
  b.push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    bool plain = c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !bytes_as_latin1);
    if (plain) continue;
    append(b, s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        append(b, "\\\"");
        break;
      case '\\':
        append(b, "\\\\");
        break;
      case '\n':
        append(b, "\\n");
        break;
      case '\r':
        append(b, "\\r");
        break;
      case '\t':
        append(b, "\\t");
        break;
      case '\b':
        append(b, "\\b");
        break;
      case '\f':
        append(b, "\\f");
        break;
      default:
        fmt::format_to(fmt::appender(b), "\\u{:04x}", c);
        break;
    }
  }
  append(b, s.substr(run));
  b.push_back('"');
}

void append_uint(Buf& b, uint64_t v) {
  fmt::format_int f(v);
  b.append(f.data(), f.data() + f.size());
}

// "10.0.0.1:7500" without a format string: addresses are in every packet line.
void append_addr(Buf& b, const SocketAddr& a) {
  uint32_t v = a.addr.value;
  append_uint(b, v >> 24);
  b.push_back('.');
  append_uint(b, (v >> 16) & 0xff);
  b.push_back('.');
  append_uint(b, (v >> 8) & 0xff);
  b.push_back('.');
  append_uint(b, v & 0xff);
  b.push_back(':');
  append_uint(b, a.port);
}

bool is_set(const SocketAddr& a) {
  return a.port != 0 || a.addr.value != 0;
}

// Appends `{"key":value,...}` one field at a time; keys are ASCII literals needing no escape.
class Line {
 public:
  explicit Line(Buf& b) : b_(b) {}
  Line& str(std::string_view k, std::string_view v) {
    key(k);
    append_escaped(b_, v, false);
    return *this;
  }
  template <typename Int>
  Line& num(std::string_view k, Int v) {
    key(k);
    fmt::format_int f(v);
    b_.append(f.data(), f.data() + f.size());
    return *this;
  }
  Line& addr(std::string_view k, const SocketAddr& a) {
    key(k);
    b_.push_back('"');
    append_addr(b_, a);
    b_.push_back('"');
    return *this;
  }
  Line& conn(std::string_view k, const SocketAddr& local, const SocketAddr& remote) {
    key(k);
    b_.push_back('"');
    append_addr(b_, local);
    b_.push_back('>');
    append_addr(b_, remote);
    b_.push_back('"');
    return *this;
  }
  Line& payload(std::string_view k, std::string_view bytes) {
    key(k);
    append_escaped(b_, bytes, true);
    return *this;
  }
  // {"mss":1460,"sackOK":true,"ts":[1,0],"wscale":7,"sack":[[10,20],[30,40]]}: each option a
  // typed field, in tcpdump's order, absent options left out.
  Line& options(std::string_view k, const TcpOptions& o) {
    key(k);
    Line inner(b_);
    if (o.mss) inner.num("mss", *o.mss);
    if (o.sack_permitted) inner.yes("sackOK");
    if (o.timestamps) {
      inner.key("ts");
      fmt::format_to(fmt::appender(b_), "[{},{}]", o.timestamps->first, o.timestamps->second);
    }
    if (o.window_scale) inner.num("wscale", *o.window_scale);
    if (!o.sack.empty()) {
      inner.key("sack");
      b_.push_back('[');
      for (size_t i = 0; i < o.sack.size(); ++i) {
        fmt::format_to(fmt::appender(b_), "{}[{},{}]", i ? "," : "", o.sack[i].left.raw(),
                       o.sack[i].right.raw());
      }
      b_.push_back(']');
    }
    inner.end();
    return *this;
  }
  Line& yes(std::string_view k) {
    key(k);
    append(b_, "true");
    return *this;
  }
  void end() { b_.push_back('}'); }

 private:
  void key(std::string_view k) {
    b_.push_back(first_ ? '{' : ',');
    first_ = false;
    b_.push_back('"');
    append(b_, k);
    append(b_, "\":");
  }
  Buf& b_;
  bool first_ = true;
};

Line& head(Line& l, Instant t, std::string_view ev, const std::string& host) {
  return l.num("t_ns", t.ns()).str("ev", ev).str("host", host);
}

void write_packet(Line& l, const PacketRecord& r, const JsonlOptions& opt) {
  const Packet& p = r.packet;
  const Segment& s = p.tcp;
  head(l, r.t, to_string(r.ev), r.host)
      .num("uid", p.uid)
      .addr("src", p.src_addr())
      .addr("dst", p.dst_addr())
      .str("flags", s.flags.to_string())
      .num("seq", s.seq.raw())
      .num("ack", s.ack.raw())
      .num("win", s.window)
      .num("len", s.payload.size());
  if (s.urgent != 0) l.num("urg", s.urgent);
  if (!s.options.empty()) l.options("opts", s.options);
  if (p.retransmission > 0) l.num("retx", p.retransmission);
  if (p.corrupted) l.yes("corrupted");
  if (p.syn_cookie) l.yes("cookie");
  if (opt.payload_bytes > 0 && !s.payload.empty()) {
    l.payload("payload", s.payload.as_string_view().substr(0, opt.payload_bytes));
  }
  if (r.ev == PacketEvent::drop) l.str("reason", to_string(r.reason));
  if (!r.detail.empty()) l.str("detail", r.detail);
}

// The firing's facts; a field that is zero (or false) is left out and reads back as zero.
void write_timer(Line& l, const TimerRecord& r) {
  head(l, r.t, "timer", r.host).conn("conn", r.local, r.remote);
  if (!r.app.empty()) l.str("app", r.app);
  l.str("timer", to_string(r.timer)).num("attempt", r.attempt);
  if (r.limit != 0) l.num("limit", r.limit);
  if (r.ran != Duration::zero()) l.num("ran_ns", r.ran.ns());
  if (r.next != Duration::zero()) l.num("next_ns", r.next.ns());
  if (r.elapsed != Duration::zero()) l.num("elapsed_ns", r.elapsed.ns());
  if (r.gives_up) l.yes("gives_up");
  if (r.seq != 0) l.num("seq", r.seq);
  if (r.backoff != 0) l.num("backoff", r.backoff);
  if (r.bytes != 0) l.num("bytes", r.bytes);
}

void write_record(Buf& b, const TraceRecord& rec, const JsonlOptions& opt) {
  Line l(b);
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, PacketRecord>) {
          write_packet(l, r, opt);
        } else if constexpr (std::is_same_v<T, StateRecord>) {
          head(l, r.t, "state", r.host).conn("conn", r.local, r.remote);
          if (!r.app.empty()) l.str("app", r.app);
          l.str("from", to_string(r.from))
              .str("to", to_string(r.to))
              .str("cause", to_string(r.cause));
        } else if constexpr (std::is_same_v<T, TimerRecord>) {
          write_timer(l, r);
        } else if constexpr (std::is_same_v<T, AppRecord>) {
          head(l, r.t, "app", r.host).str("app", r.app).str("what", to_string(r.what));
          if (!r.error.empty()) l.str("error", r.error);
          if (r.bytes != 0 || r.what == AppWhat::data || r.what == AppWhat::send) {
            l.num("bytes", r.bytes);
          }
          if (is_set(r.local) || is_set(r.remote)) l.conn("conn", r.local, r.remote);
          if (!r.detail.empty()) l.str("detail", r.detail);
        } else if constexpr (std::is_same_v<T, FaultRecord>) {
          head(l, r.t, "fault", r.host).str("what", r.what);
          if (!r.detail.empty()) l.str("detail", r.detail);
        } else {
          static_assert(std::is_same_v<T, CounterRecord>);
          head(l, r.t, "counter", r.host).str("name", r.name).num("value", r.value);
          if (is_set(r.local) || is_set(r.remote)) l.conn("conn", r.local, r.remote);
        }
      },
      rec);
  l.end();
}

}  // namespace

std::string format_jsonl_line(const TraceRecord& r, const JsonlOptions& options) {
  Buf b;
  write_record(b, r, options);
  return fmt::to_string(b);
}

JsonlSink::JsonlSink(std::ostream& out, JsonlOptions options, std::optional<JsonlRun> run)
    : out_(out), options_(options) {
  if (!run) return;
  Line l(buf_);
  l.str("ev", "run").str("scenario", run->scenario).num("seed", run->seed);
  l.end();
  buf_.push_back('\n');
  out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
}

void JsonlSink::write(const TraceRecord& r) {
  buf_.clear();
  write_record(buf_, r, options_);
  buf_.push_back('\n');
  out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
}

// ---------------------------------------------------------------------------------------
// Reader

JsonlError::JsonlError(std::string file, size_t line, const std::string& what)
    : std::runtime_error(fmt::format("{}:{}: {}", file, line, what)),
      file_(std::move(file)),
      line_(line) {}

namespace {

using nlohmann::json;

// A problem with one line; read_jsonl() adds file and line.
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

std::optional<SocketAddr> parse_socket_addr(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto addr = Ipv4Addr::parse(s.substr(0, colon));
  uint16_t port = 0;
  if (!addr || !parse_number(s.substr(colon + 1), port)) return std::nullopt;
  return SocketAddr{*addr, port};
}

// One option of TcpOptions::to_string(): "mss 1460", "sackOK", "TS val 1 ecr 0",
// "wscale 7", "sack 2 {1:2}{3:4}"; "nop"/"eol" (tcpdump's spelling) are accepted and skipped.
bool parse_option(std::string_view tok, TcpOptions& o) {
  auto starts = [&tok](std::string_view p) {
    if (tok.substr(0, p.size()) != p) return false;
    tok.remove_prefix(p.size());
    return true;
  };
  if (tok == "sackOK") {
    o.sack_permitted = true;
    return true;
  }
  if (tok == "nop" || tok == "eol") return true;
  if (starts("mss ")) return parse_number(tok, o.mss.emplace());
  if (starts("wscale ")) return parse_number(tok, o.window_scale.emplace());
  if (starts("TS val ")) {
    size_t ecr = tok.find(" ecr ");
    auto& ts = o.timestamps.emplace();
    return ecr != std::string_view::npos && parse_number(tok.substr(0, ecr), ts.first) &&
           parse_number(tok.substr(ecr + 5), ts.second);
  }
  if (!starts("sack ")) return false;
  size_t space = tok.find(' ');
  size_t n = 0;
  if (space == std::string_view::npos || !parse_number(tok.substr(0, space), n)) return false;
  tok.remove_prefix(space + 1);
  o.sack.clear();
  for (size_t i = 0; i < n; ++i) {
    size_t colon = tok.find(':'), close = tok.find('}');
    uint32_t left = 0, right = 0;
    if (tok.empty() || tok[0] != '{' || colon > close || close == std::string_view::npos ||
        !parse_number(tok.substr(1, colon - 1), left) ||
        !parse_number(tok.substr(colon + 1, close - colon - 1), right)) {
      return false;
    }
    o.sack.push_back({SeqNum(left), SeqNum(right)});
    tok.remove_prefix(close + 1);
  }
  return tok.empty();
}

std::optional<TcpOptions> parse_options_text(std::string_view s) {
  TcpOptions o;
  while (!s.empty()) {
    size_t comma = s.find(',');
    if (!parse_option(s.substr(0, comma), o)) return std::nullopt;
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  }
  return o;
}

// Field access with messages that say which field and what was expected.
class Obj {
 public:
  explicit Obj(const json& j) : j_(j) {}

  const json* find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  const json& need(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) throw FieldError(fmt::format("missing field \"{}\"", key));
    return *v;
  }
  std::string str(const char* key) const {
    const json& v = need(key);
    if (!v.is_string()) throw FieldError(fmt::format("field \"{}\" must be a string", key));
    return v.get<std::string>();
  }
  std::string opt_str(const char* key) const { return find(key) ? str(key) : std::string(); }
  uint64_t uint(const char* key, uint64_t max) const {
    const json& v = need(key);
    if (!v.is_number_unsigned() || v.get<uint64_t>() > max) {
      throw FieldError(
          fmt::format("field \"{}\" must be an unsigned integer of at most {}", key, max));
    }
    return v.get<uint64_t>();
  }
  uint64_t opt_uint(const char* key, uint64_t max) const { return find(key) ? uint(key, max) : 0; }
  int64_t int64(const char* key) const {
    const json& v = need(key);
    bool ok = v.is_number_integer() &&
              (!v.is_number_unsigned() ||
               v.get<uint64_t>() <= uint64_t{std::numeric_limits<int64_t>::max()});
    if (!ok) throw FieldError(fmt::format("field \"{}\" must be an integer", key));
    return v.get<int64_t>();
  }
  bool opt_bool(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) throw FieldError(fmt::format("field \"{}\" must be true or false", key));
    return v->get<bool>();
  }
  SocketAddr addr(const char* key) const {
    std::string s = str(key);
    auto a = parse_socket_addr(s);
    if (!a) throw bad_value(key, s, "an address like \"10.0.0.1:7500\"");
    return *a;
  }
  std::pair<SocketAddr, SocketAddr> conn(const char* key) const {
    std::string s = str(key);
    size_t gt = s.find('>');
    std::optional<SocketAddr> l, r;
    if (gt != std::string::npos) {
      l = parse_socket_addr(std::string_view(s).substr(0, gt));
      r = parse_socket_addr(std::string_view(s).substr(gt + 1));
    }
    if (!l || !r) throw bad_value(key, s, "a connection like \"10.0.0.1:7500>10.0.0.2:80\"");
    return {*l, *r};
  }
  template <typename E>
  E name(const char* key, std::optional<E> (*parse)(std::string_view), const char* what) const {
    std::string s = str(key);
    auto e = parse(s);
    if (!e) throw bad_value(key, s, what);
    return *e;
  }
  static FieldError bad_value(const char* key, const std::string& got, std::string_view want) {
    return FieldError(fmt::format("field \"{}\": \"{}\" is not {}", key, got, want));
  }

 private:
  const json& j_;
};

// The payload string back to bytes: each character is one byte (U+0000..U+00FF).
std::vector<uint8_t> payload_from_json(const std::string& utf8) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<uint8_t>(utf8[i]);
    if (c < 0x80) {
      out.push_back(c);
    } else if ((c & 0xFE) == 0xC2 && i + 1 < utf8.size()) {  // U+0080..U+00FF
      out.push_back(static_cast<uint8_t>(((c & 0x03) << 6) | (utf8[++i] & 0x3F)));
    } else {
      throw FieldError("field \"payload\" has a character above \\u00ff (one character per byte)");
    }
  }
  return out;
}

// An unsigned JSON integer of at most `max`, or an error naming the option.
uint64_t option_uint(const json& v, const char* name, uint64_t max) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max) {
    throw FieldError(
        fmt::format("field \"opts\": option \"{}\" must be an unsigned integer of "
                    "at most {}",
                    name, max));
  }
  return v.get<uint64_t>();
}

// [a, b] of two 32-bit unsigned integers (a timestamp pair, a SACK block).
std::pair<uint32_t, uint32_t> option_pair(const json& v, const char* name) {
  if (!v.is_array() || v.size() != 2) {
    throw FieldError(fmt::format("field \"opts\": option \"{}\" must be a pair [a, b]", name));
  }
  return {static_cast<uint32_t>(option_uint(v[0], name, UINT32_MAX)),
          static_cast<uint32_t>(option_uint(v[1], name, UINT32_MAX))};
}

// "opts" as typed fields; files written before them hold tcpdump's text, still accepted.
TcpOptions read_options(const Obj& o) {
  const json* v = o.find("opts");
  if (v == nullptr) return {};
  if (v->is_string()) {
    std::string text = v->get<std::string>();
    auto parsed = parse_options_text(text);
    if (!parsed) throw Obj::bad_value("opts", text, "an options list like \"mss 1460,sackOK\"");
    return *parsed;
  }
  if (!v->is_object()) throw FieldError("field \"opts\" must be an object like {\"mss\":1460}");
  TcpOptions out;
  for (const auto& [name, value] : v->items()) {
    if (name == "mss") {
      out.mss = static_cast<uint16_t>(option_uint(value, "mss", UINT16_MAX));
    } else if (name == "wscale") {
      out.window_scale = static_cast<uint8_t>(option_uint(value, "wscale", UINT8_MAX));
    } else if (name == "sackOK") {
      if (!value.is_boolean()) throw FieldError("field \"opts\": option \"sackOK\" must be true");
      out.sack_permitted = value.get<bool>();
    } else if (name == "ts") {
      out.timestamps = option_pair(value, "ts");
    } else if (name == "sack") {
      if (!value.is_array()) throw FieldError("field \"opts\": option \"sack\" must be a list");
      for (const json& block : value) {
        auto [left, right] = option_pair(block, "sack");
        out.sack.push_back({SeqNum(left), SeqNum(right)});
      }
    }  // other names: options of newer versions, ignored like unknown fields
  }
  return out;
}

PacketRecord read_packet(const Obj& o, PacketEvent ev) {
  PacketRecord r;
  r.ev = ev;
  Packet& p = r.packet;
  Segment& s = p.tcp;
  p.uid = o.uint("uid", std::numeric_limits<uint64_t>::max());
  SocketAddr src = o.addr("src"), dst = o.addr("dst");
  p.src = src.addr, s.src_port = src.port;
  p.dst = dst.addr, s.dst_port = dst.port;
  s.flags = o.name<TcpFlags>("flags", &TcpFlags::parse, "tcpdump flags like \"S.\"");
  s.seq = SeqNum(static_cast<uint32_t>(o.uint("seq", UINT32_MAX)));
  s.ack = SeqNum(static_cast<uint32_t>(o.uint("ack", UINT32_MAX)));
  s.window = static_cast<uint16_t>(o.uint("win", UINT16_MAX));
  s.urgent = static_cast<uint16_t>(o.opt_uint("urg", UINT16_MAX));
  size_t len = o.uint("len", 65535);
  s.options = read_options(o);
  p.retransmission = static_cast<uint16_t>(o.opt_uint("retx", UINT16_MAX));
  p.corrupted = o.opt_bool("corrupted");
  p.syn_cookie = o.opt_bool("cookie");
  std::vector<uint8_t> bytes = payload_from_json(o.opt_str("payload"));
  if (bytes.size() > len) throw FieldError("field \"payload\" is longer than \"len\"");
  bytes.resize(len);  // only the first bytes are saved; the rest reads back as zeros
  s.payload = Payload(std::move(bytes));
  if (ev == PacketEvent::drop) {
    r.reason = o.name<DropReason>("reason", &parse_drop_reason, "a drop reason");
  }
  r.detail = o.opt_str("detail");
  return r;
}

// Files written before the typed fields (format 1) have only "attempt" and a "detail" text,
// which is ignored: such timers redraw without their limit and durations.
void read_timer_facts(const Obj& o, TimerRecord& r) {
  auto duration = [&o](const char* key) {
    return Duration::nanoseconds(
        static_cast<int64_t>(o.opt_uint(key, uint64_t{std::numeric_limits<int64_t>::max()})));
  };
  r.attempt = static_cast<uint32_t>(o.uint("attempt", UINT32_MAX));
  r.limit = static_cast<uint32_t>(o.opt_uint("limit", UINT32_MAX));
  r.ran = duration("ran_ns");
  r.next = duration("next_ns");
  r.elapsed = duration("elapsed_ns");
  r.gives_up = o.opt_bool("gives_up");
  r.seq = static_cast<uint32_t>(o.opt_uint("seq", UINT32_MAX));
  r.backoff = static_cast<uint32_t>(o.opt_uint("backoff", UINT32_MAX));
  r.bytes = static_cast<uint32_t>(o.opt_uint("bytes", UINT32_MAX));
}

TraceRecord read_record(const Obj& o) {
  Instant t = Instant::from_ns(o.int64("t_ns"));
  std::string ev = o.str("ev");
  std::string host = o.str("host");
  auto finish = [&](auto rec) -> TraceRecord {
    rec.t = t;
    rec.host = std::move(host);
    return rec;
  };
  if (ev == "send") return finish(read_packet(o, PacketEvent::send));
  if (ev == "recv") return finish(read_packet(o, PacketEvent::recv));
  if (ev == "drop") return finish(read_packet(o, PacketEvent::drop));
  if (ev == "state") {
    StateRecord r;
    std::tie(r.local, r.remote) = o.conn("conn");
    r.app = o.opt_str("app");
    r.from = o.name<TcpState>("from", &parse_tcp_state, "a TCP state like \"ESTABLISHED\"");
    r.to = o.name<TcpState>("to", &parse_tcp_state, "a TCP state like \"ESTABLISHED\"");
    r.cause = o.name<StateCause>("cause", &parse_state_cause, "a state-change cause");
    return finish(std::move(r));
  }
  if (ev == "timer") {
    TimerRecord r;
    std::tie(r.local, r.remote) = o.conn("conn");
    r.app = o.opt_str("app");
    r.timer = o.name<TimerKind>("timer", &parse_timer_kind, "a timer name");
    read_timer_facts(o, r);
    return finish(std::move(r));
  }
  if (ev == "app") {
    AppRecord r;
    r.app = o.str("app");
    r.what = o.name<AppWhat>("what", &parse_app_what, "an application event");
    r.error = o.opt_str("error");
    r.bytes = o.opt_uint("bytes", std::numeric_limits<uint64_t>::max());
    if (o.find("conn")) std::tie(r.local, r.remote) = o.conn("conn");
    r.detail = o.opt_str("detail");
    return finish(std::move(r));
  }
  if (ev == "fault") {
    FaultRecord r;
    r.what = o.str("what");
    r.detail = o.opt_str("detail");
    return finish(std::move(r));
  }
  if (ev == "counter") {
    CounterRecord r;
    r.name = o.str("name");
    r.value = o.int64("value");
    if (o.find("conn")) std::tie(r.local, r.remote) = o.conn("conn");
    return finish(std::move(r));
  }
  throw FieldError(fmt::format(
      "unknown ev \"{}\" (expected send, recv, drop, state, timer, app, fault or counter)", ev));
}

}  // namespace

TraceRecord parse_jsonl_line(std::string_view line, std::string_view filename, size_t line_no) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    std::string msg = e.what();
    size_t bracket = msg.find("] ");  // drop "[json.exception.parse_error.101] "
    if (bracket != std::string::npos) msg.erase(0, bracket + 2);
    size_t line1 = msg.find("at line 1, column");  // the whole text is one line of the file
    if (line1 != std::string::npos) msg.erase(line1 + 3, 8);
    throw JsonlError(std::string(filename), line_no, "invalid JSON: " + msg);
  }
  if (!j.is_object()) throw JsonlError(std::string(filename), line_no, "expected a JSON object");
  try {
    return read_record(Obj(j));
  } catch (const FieldError& e) {
    throw JsonlError(std::string(filename), line_no, e.what());
  }
}

namespace {

// std::getline without a bound reads /dev/zero until memory runs out (issue 17 §4): this one
// stops at `max` bytes. False at the end of the input.
bool read_line_limited(std::istream& in, std::string& line, size_t max, std::string_view file,
                       size_t n) {
  line.clear();
  std::streambuf* sb = in.rdbuf();
  if (sb == nullptr) return false;
  for (;;) {
    int c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return !line.empty();
    }
    if (c == '\n') return true;
    if (line.size() >= max) {
      throw JsonlError(std::string(file), n,
                       fmt::format("a line longer than {} bytes (the limit of one event)", max));
    }
    line.push_back(static_cast<char>(c));
  }
}

}  // namespace

std::vector<TraceRecord> read_jsonl(std::istream& in, std::string_view filename,
                                    std::optional<JsonlRun>* run, const JsonlLimits& limits) {
  std::vector<TraceRecord> out;
  std::string line;
  for (size_t n = 1; read_line_limited(in, line, limits.max_line_bytes, filename, n); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (n == 1 && line.find("\"ev\":\"run\"") != std::string::npos) {
      try {
        json j = json::parse(line);  // Obj keeps a reference: the json must outlive it
        Obj o(j);
        JsonlRun r{o.str("scenario"), o.uint("seed", std::numeric_limits<uint64_t>::max())};
        if (run) *run = std::move(r);
      } catch (const FieldError& e) {
        throw JsonlError(std::string(filename), n, e.what());
      } catch (const json::exception& e) {
        throw JsonlError(std::string(filename), n, std::string("invalid JSON: ") + e.what());
      }
      continue;
    }
    if (out.size() >= limits.max_records) {
      throw JsonlError(
          std::string(filename), n,
          fmt::format("more than {} events (the limit of one file)", limits.max_records));
    }
    out.push_back(parse_jsonl_line(line, filename, n));
  }
  if (in.bad()) throw JsonlError(std::string(filename), 0, "read error");
  return out;
}

}  // namespace netsim
