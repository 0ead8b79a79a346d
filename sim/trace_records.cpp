// Names of the trace records' enums, shared by every sink and by the JSONL reader.
#include "sim/trace_records.hpp"

#include <array>

namespace netsim {
namespace {
template <typename E, size_t N>
std::optional<E> parse_by_name(std::string_view s, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 3> kPacketEvents{"send", "recv", "drop"};
constexpr std::array<std::string_view, 13> kDropReasons{
    "loss",        "burst_loss",   "queue_full",     "link_down",         "no_route",
    "corrupt",     "fault",        "syn_queue_full", "accept_queue_full", "host_down",
    "no_listener", "ttl_exceeded", "malformed"};
constexpr std::array<std::string_view, 10> kTimerKinds{
    "rto",        "syn",     "synack",      "keepalive",  "time_wait",
    "fin_wait_2", "persist", "delayed_ack", "loss_probe", "reo"};
// The text of each StateCause, in declaration order; these strings are the "cause" values of
// trace.txt and events.jsonl (docs/outputs.md).
constexpr std::array<std::string_view, kStateCauseCount> kStateCauses{
    "connect",
    "listen",
    "close",
    "shutdown",
    "abort",
    "rcv SYN",
    "rcv SYN-ACK",
    "rcv ACK",
    "rcv ACK, valid SYN cookie",
    "rcv ACK of FIN",
    "rcv FIN",
    "rcv FIN+ACK",
    "rcv RST",
    "rcv SYN in window",
    "rcv SYN after close",
    "rcv data after close",
    "SYN retries exhausted",
    "SYN-ACK retries exhausted",
    "RTO expired",
    "zero-window probes exhausted",
    "keepalive probes exhausted",
    "FIN_WAIT_2 timeout",
    "TIME_WAIT expired",
    "new SYN reuses the 4-tuple",
    "listener closed",
    "accept queue full, abort_on_overflow",
    "host crashed"};
constexpr std::array<std::string_view, 9> kAppWhats{
    "connect", "connected", "accepted", "data", "eof", "closed", "error", "listen", "send"};
}  // namespace

std::string_view to_string(PacketEvent e) {
  return kPacketEvents[static_cast<size_t>(e)];
}
std::string_view to_string(DropReason r) {
  return kDropReasons[static_cast<size_t>(r)];
}
std::string_view to_string(TimerKind t) {
  return kTimerKinds[static_cast<size_t>(t)];
}
std::string_view to_string(AppWhat w) {
  return kAppWhats[static_cast<size_t>(w)];
}

std::string_view to_string(StateCause c) {
  return kStateCauses[static_cast<size_t>(c)];
}
std::optional<StateCause> parse_state_cause(std::string_view s) {
  return parse_by_name<StateCause>(s, kStateCauses);
}

std::optional<DropReason> parse_drop_reason(std::string_view s) {
  return parse_by_name<DropReason>(s, kDropReasons);
}
std::optional<TimerKind> parse_timer_kind(std::string_view s) {
  return parse_by_name<TimerKind>(s, kTimerKinds);
}
std::optional<AppWhat> parse_app_what(std::string_view s) {
  return parse_by_name<AppWhat>(s, kAppWhats);
}

Instant record_time(const TraceRecord& r) {
  return std::visit([](const auto& rec) { return rec.t; }, r);
}

}  // namespace netsim
