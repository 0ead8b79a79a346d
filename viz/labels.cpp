// The words of a sequence diagram; see labels.hpp. Everything here is pure string formatting
// with integer time, so the same records always give the same text.
#include "viz/labels.hpp"

#include <fmt/format.h>

#include "sim/units.hpp"
#include "viz/time_format.hpp"

namespace netsim::viz {

void SeqBases::observe(const Packet& p) {
  auto [it, added] = dirs_.try_emplace(std::make_pair(p.src_addr(), p.dst_addr()));
  Direction& d = it->second;
  SeqNum end = p.tcp.seq + p.tcp.seq_len();
  if (p.tcp.flags.syn() || added || end > d.next) d.next = end;
  if (p.tcp.flags.syn()) {
    // A retransmitted SYN carries the same ISN; a different one is a new incarnation.
    if (added || !d.from_syn || d.isn != p.tcp.seq.raw()) {
      d.isn = p.tcp.seq.raw();
      d.from_syn = true;
    }
    return;
  }
  if (added) d.isn = p.tcp.seq.raw();
}

std::optional<uint32_t> SeqBases::base(SocketAddr src, SocketAddr dst) const {
  auto it = dirs_.find({src, dst});
  if (it == dirs_.end()) return std::nullopt;
  return it->second.isn;
}

bool SeqBases::behind(const Packet& p) const {
  const TcpFlags f = p.tcp.flags;
  if (!p.tcp.payload.empty() || f.syn() || f.fin() || f.rst()) return false;
  auto it = dirs_.find({p.src_addr(), p.dst_addr()});
  return it != dirs_.end() && p.tcp.seq < it->second.next;
}

namespace {
uint32_t relative(SeqNum v, std::optional<uint32_t> base) {
  return base ? v.raw() - *base : v.raw();
}
}  // namespace

std::string packet_label(const Packet& p, const SeqBases* bases, bool preview) {
  const Segment& s = p.tcp;
  std::optional<uint32_t> own, peer;
  if (bases) {
    own = bases->base(p.src_addr(), p.dst_addr());
    peer = bases->base(p.dst_addr(), p.src_addr());
  }
  uint32_t seq = relative(s.seq, own);
  uint32_t ack = relative(s.ack, peer);
  std::string out;
  if (!s.payload.empty()) {
    // tcpdump's data form: flags, then the byte range and its length.
    out = fmt::format("{} {}:{} ({})", s.flags.to_string(), seq,
                      seq + static_cast<uint32_t>(s.payload.size()), s.payload.size());
    std::string text = preview ? payload_preview(s.payload) : std::string();
    if (!text.empty()) out += " " + text;
  } else if (s.flags.syn()) {
    // A SYN cookie is the listener keeping no state for this handshake: worth seeing.
    out = s.flags.ack()
              ? fmt::format("SYN-ACK{} seq={} ack={}", p.syn_cookie ? " (cookie)" : "", seq, ack)
              : fmt::format("SYN seq={}", seq);
  } else if (s.flags.rst()) {
    out = s.flags.ack() ? fmt::format("RST-ACK seq={} ack={}", seq, ack)
                        : fmt::format("RST seq={}", seq);
  } else if (s.flags.fin()) {
    out =
        s.flags.ack() ? fmt::format("FIN seq={} ack={}", seq, ack) : fmt::format("FIN seq={}", seq);
  } else if (s.flags.ack()) {
    out = bases && bases->behind(p) ? fmt::format("ACK seq={} ack={}", seq, ack)
                                    : fmt::format("ACK ack={}", ack);
  } else {
    out = fmt::format("{} seq={}", s.flags.to_string(), seq);
  }
  if (s.window == 0 && !s.flags.rst()) out += " win=0";
  if (p.retransmission > 0) out += fmt::format(" retx #{}", p.retransmission);
  return out;
}

std::string payload_preview(const Payload& payload) {
  constexpr size_t kShort = 32;  // shown whole up to this many bytes
  constexpr size_t kHead = 16;   // longer text: this many characters, then "…"
  std::string_view text = payload.as_string_view();
  std::string out = "\"";
  size_t shown = 0;
  bool cut = text.size() > kShort;
  for (char c : text) {
    if (cut && shown == kHead) break;
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u > 0x7e) return {};  // binary: a preview would be noise
        out.push_back(c);
    }
    ++shown;
  }
  out += cut ? "\"…" : "\"";
  return text.empty() ? std::string{} : out;
}

std::string drop_reason_text(DropReason reason, std::string_view detail) {
  switch (reason) {
    case DropReason::loss:
      // The link's detail ("loss 2%") says how likely it was; keep it when it is short.
      return !detail.empty() && detail.size() <= 24 ? std::string(detail) : "loss";
    case DropReason::burst_loss:
      return !detail.empty() && detail.size() <= 24 ? std::string(detail) : "burst loss";
    case DropReason::queue_full:
      return "queue full";
    case DropReason::link_down:
      return "link down";
    case DropReason::no_route:
      return "no route";
    case DropReason::corrupt:
      return "bad checksum";
    case DropReason::fault:
      return "fault rule";
    case DropReason::syn_queue_full:
      return "SYN queue full";
    case DropReason::accept_queue_full:
      return "accept queue full";
    case DropReason::host_down:
      return "host down";
    case DropReason::no_listener:
      return "no listener";
    case DropReason::ttl_exceeded:
      return "TTL exceeded";
    case DropReason::malformed:
      return "malformed";
  }
  return "dropped";
}

namespace {
std::string with_span(std::string text, Duration d) {
  if (d > Duration::zero()) text += fmt::format(" ({})", format_span(d));
  return text;
}

// The firing that ends the connection (or the listener's request): what it is, not one more
// retransmission. The span is how long the attempt lasted, from the first transmission (or
// the last segment heard, for keepalive) to giving up.
std::string give_up_text(const TimerRecord& t) {
  switch (t.timer) {
    case TimerKind::rto:
      return with_span("RTO timeout → ETIMEDOUT", t.elapsed);
    case TimerKind::syn:
      return with_span("SYN timeout → ETIMEDOUT", t.elapsed);
    case TimerKind::synack:
      // A listener drops its request silently; the client sees nothing.
      return with_span("SYN-ACK timeout", t.elapsed);
    case TimerKind::keepalive:
      return with_span("keepalive timeout → ETIMEDOUT", t.elapsed);
    case TimerKind::persist:
      return with_span("zero-window probe timeout → ETIMEDOUT", t.elapsed);
    case TimerKind::time_wait:
    case TimerKind::fin_wait_2:
    case TimerKind::delayed_ack:
    case TimerKind::loss_probe:
    case TimerKind::reo:
      break;  // one-shot timers never give up
  }
  return "timeout";
}
}  // namespace

std::string timer_text(const TimerRecord& t) {
  if (t.gives_up) return give_up_text(t);
  switch (t.timer) {
    case TimerKind::rto:
      return with_span(fmt::format("RTO #{}", t.attempt), t.ran);
    case TimerKind::syn:
      return with_span(fmt::format("SYN RTO #{}", t.attempt), t.ran);
    case TimerKind::synack:
      return with_span(fmt::format("SYN-ACK RTO #{}", t.attempt), t.ran);
    case TimerKind::keepalive:
      // The kernel counts probes against tcp_keepalive_probes: the fraction is what a reader
      // wants to see.
      return t.limit > 0 ? fmt::format("keepalive probe {}/{}", t.attempt, t.limit)
                         : fmt::format("keepalive probe #{}", t.attempt);
    case TimerKind::time_wait:
      return with_span("TIME_WAIT expired", t.ran);
    case TimerKind::fin_wait_2:
      return with_span("FIN_WAIT_2 timeout", t.ran);
    case TimerKind::persist:
      return fmt::format("persist probe #{}", t.attempt);
    case TimerKind::delayed_ack:
      return "delayed ACK";
    case TimerKind::loss_probe:
      return with_span("TLP", t.ran);
    case TimerKind::reo:
      return with_span("RACK reorder timeout", t.ran);
  }
  return "timer";
}

namespace {
// value / 10^decimals with trailing zeros trimmed: (7500, 3) -> "7.5".
std::string trimmed_fraction(int64_t value, int decimals) {
  int64_t unit = 1;
  for (int i = 0; i < decimals; ++i)
    unit *= 10;
  std::string s = fmt::format("{}", value / unit);
  int64_t rem = value % unit;
  if (rem == 0) return s;
  std::string frac = fmt::format("{:0{}}", rem, decimals);
  while (!frac.empty() && frac.back() == '0')
    frac.pop_back();
  return frac.empty() ? s : s + "." + frac;
}
}  // namespace

std::string format_time(Instant t) {
  int64_t ns = t.ns();
  // INT64_MIN has no positive twin: clamp it (a hostile events.jsonl), never negate it.
  if (ns < 0)
    return fmt::format("-{}", format_time(Instant::from_ns(ns == INT64_MIN ? INT64_MAX : -ns)));
  // Microsecond resolution is the finest a reader can use on a diagram.
  int64_t us = ns / 1'000;
  if (ns < 1'000'000'000) return trimmed_fraction(us, 3) + " ms";
  return trimmed_fraction(us, 6) + " s";
}

std::string format_span(Duration d) {
  double v = static_cast<double>(d.ns());
  const char* unit = "ns";
  double scale = 1;
  if (d.ns() >= 1'000'000'000) {
    unit = "s", scale = 1e9;
  } else if (d.ns() >= 1'000'000) {
    unit = "ms", scale = 1e6;
  } else if (d.ns() >= 1'000) {
    unit = "us", scale = 1e3;
  }
  double x = v / scale;
  int decimals = x >= 100 ? 0 : x >= 10 ? 1 : 2;
  std::string s = fmt::format("{:.{}f}", x, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s + " " + unit;
}

std::string group_thousands(uint64_t n) {
  std::string digits = fmt::format("{}", n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

double text_width(std::string_view text, double font_size) {
  return static_cast<double>(utf8_length(text)) * 0.602 * font_size;
}

}  // namespace netsim::viz
