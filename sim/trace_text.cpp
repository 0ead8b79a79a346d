// Formatting of the text trace. Every line starts with the virtual time (six decimals, like
// tcpdump -tt) and the host, so that `grep server trace.txt` shows one host's view.
#include "sim/trace_text.hpp"

#include <fmt/format.h>

#include "sim/safe_text.hpp"

#include <type_traits>

#include "sim/units.hpp"

namespace netsim {
namespace {

// "<t> <host> " or "<t> " when the record has no host (a fault on a link).
void start_line(std::string& out, Instant t, const std::string& host) {
  out += format_seconds(t);
  out += ' ';
  if (!host.empty()) {
    out += host;
    out += ' ';
  }
}

std::string who(const std::string& app, const SocketAddr& local, const SocketAddr& remote) {
  return app.empty() ? format_conn(local, remote) : app;
}

void packet_line(std::string& out, const PacketRecord& r) {
  start_line(out, r.t, r.host);
  if (r.ev == PacketEvent::drop) out += "DROP ";
  if (r.ev == PacketEvent::recv) out += "< ";
  out += format_tcpdump(r.packet);
  if (r.packet.retransmission > 0) {
    out += fmt::format(" (retransmission #{})", r.packet.retransmission);
  }
  if (r.packet.syn_cookie) out += " (SYN cookie)";
  if (r.ev == PacketEvent::drop) {
    out += fmt::format(" ({})", r.detail.empty() ? to_string(r.reason) : r.detail);
  }
}

void app_line(std::string& out, const AppRecord& r) {
  start_line(out, r.t, r.host);
  out += who(r.app, r.local, r.remote);
  out += ' ';
  out += to_string(r.what);
  switch (r.what) {
    case AppWhat::connect:
    case AppWhat::accepted:
      if (r.remote.port != 0) out += ' ' + r.remote.to_string();
      break;
    case AppWhat::listen:
      if (r.local.port != 0) out += ' ' + r.local.to_string();
      break;
    case AppWhat::data:
    case AppWhat::send:
      out += fmt::format(" {} bytes", r.bytes);
      break;
    case AppWhat::error:
      if (!r.error.empty()) out += ' ' + r.error;
      break;
    case AppWhat::connected:
    case AppWhat::eof:
    case AppWhat::closed:
      break;
  }
  if (!r.detail.empty()) out += fmt::format(" ({})", r.detail);
}

void append_line(std::string& out, const TraceRecord& rec) {
  std::visit(
      [&out](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, PacketRecord>) {
          packet_line(out, r);
        } else if constexpr (std::is_same_v<T, StateRecord>) {
          start_line(out, r.t, r.host);
          out += who(r.app, r.local, r.remote) + ' ';
          out += to_string(r.to);
          out += fmt::format(" ({})", to_string(r.cause));
        } else if constexpr (std::is_same_v<T, TimerRecord>) {
          start_line(out, r.t, r.host);
          out += fmt::format("{} {} fired", who(r.app, r.local, r.remote),
                             timer_display_name(r.timer));
          std::string detail = timer_detail(r);
          if (!detail.empty()) out += ": " + detail;
        } else if constexpr (std::is_same_v<T, AppRecord>) {
          app_line(out, r);
        } else if constexpr (std::is_same_v<T, FaultRecord>) {
          start_line(out, r.t, r.host);
          out += "FAULT " + r.what;
          if (!r.detail.empty()) out += ' ' + r.detail;
        } else {
          static_assert(std::is_same_v<T, CounterRecord>);
          start_line(out, r.t, r.host);
          out += fmt::format("COUNTER {} {}", r.name, r.value);
          if (r.local.port != 0 || r.remote.port != 0) {
            out += fmt::format(" ({})", format_conn(r.local, r.remote));
          }
        }
      },
      rec);
}

}  // namespace

std::string format_conn(const SocketAddr& local, const SocketAddr& remote) {
  return local.to_string() + '>' + remote.to_string();
}

std::string_view timer_display_name(TimerKind t) {
  switch (t) {
    case TimerKind::rto:
      return "RTO";
    case TimerKind::syn:
      return "SYN";
    case TimerKind::synack:
      return "SYN-ACK";
    case TimerKind::keepalive:
      return "KEEPALIVE";
    case TimerKind::time_wait:
      return "TIME_WAIT";
    case TimerKind::fin_wait_2:
      return "FIN_WAIT_2";
    case TimerKind::persist:
      return "PERSIST";
    case TimerKind::delayed_ack:
      return "DELACK";
    case TimerKind::loss_probe:
      return "TLP";
    case TimerKind::reo:
      return "REO";
  }
  return "?";
}

std::string format_timeout(Duration d) {
  int64_t us = d.ns() / 1000;
  if (us < 1'000'000) return format_duration(Duration::microseconds(us));
  std::string s = fmt::format("{}.{:06}", us / 1'000'000, us % 1'000'000);
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + "s";
}

namespace {
// SYN, SYN-ACK and data retransmissions (tcp_retransmit_timer(), reqsk_timer_handler()).
std::string retransmit_detail(const TimerRecord& r) {
  if (!r.gives_up) {
    return fmt::format("retransmit seq {}, backoff {}, rto {}", r.seq, r.backoff,
                       format_timeout(r.next));
  }
  // A listener's request is dropped silently; a connection reports ETIMEDOUT.
  return fmt::format("give up after {} retransmissions in {}{}", r.attempt,
                     format_timeout(r.elapsed), r.timer == TimerKind::synack ? "" : ": ETIMEDOUT");
}
}  // namespace

std::string timer_detail(const TimerRecord& r) {
  switch (r.timer) {
    case TimerKind::rto:
    case TimerKind::syn:
    case TimerKind::synack:
      return retransmit_detail(r);
    case TimerKind::keepalive:
      if (r.gives_up) return fmt::format("{} probes unanswered: RST, ETIMEDOUT", r.attempt);
      return fmt::format("probe {} of {}, seq {}", r.attempt, r.limit, r.seq);
    case TimerKind::persist:
      if (r.gives_up) {
        return fmt::format("{} zero-window probes unanswered: ETIMEDOUT", r.attempt);
      }
      // tcp_write_wakeup(): the window opened, so the timer sent data instead of a probe and
      // armed nothing.
      if (r.next == Duration::zero()) return fmt::format("window open: send {} bytes", r.bytes);
      return fmt::format("zero-window probe {}, backoff {}, next {}", r.attempt, r.backoff,
                         format_timeout(r.next));
    case TimerKind::delayed_ack:
      return fmt::format("ack {}", r.seq);
    case TimerKind::loss_probe:
      return fmt::format("probe seq {} ({}), rto {}", r.seq, r.bytes ? "new data" : "last segment",
                         format_timeout(r.next));
    case TimerKind::reo:
      return fmt::format("reordering window over: {} lost", r.bytes);
    case TimerKind::time_wait:
      return "TIME_WAIT over";
    case TimerKind::fin_wait_2:
      return "orphaned FIN_WAIT_2 timed out";
  }
  return {};
}

// A trace line reaches a terminal (`--trace -`): names, payloads and details from a hostile
// file or a real peer must not carry escape sequences (issue 17 §5). Plain ASCII, nearly
// every line, is left as it is.
namespace {
void make_terminal_safe(std::string& line) {
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F) {
      line = text::terminal_safe(line);
      return;
    }
  }
}
}  // namespace

std::string format_trace_line(const TraceRecord& r) {
  std::string out;
  append_line(out, r);
  make_terminal_safe(out);
  return out;
}

void TextTraceSink::write(const TraceRecord& r) {
  if (const auto* p = std::get_if<PacketRecord>(&r)) {
    if (p->ev == PacketEvent::recv && !options_.show_recv) return;
  } else if (std::holds_alternative<CounterRecord>(r) && !options_.show_counters) {
    return;
  }
  line_.clear();
  append_line(line_, r);
  make_terminal_safe(line_);
  line_ += '\n';
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

}  // namespace netsim
