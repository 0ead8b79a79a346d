// Small behaviours of the typed scenario: overlaying tcp settings and link patches, naming,
// lookups, and the TCP state names accepted in expectations.
#include "scenarios/loader/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace netsim {

std::string SourcePos::to_string() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

namespace {
template <typename T>
void overlay(std::optional<T>& base, const std::optional<T>& over) {
  if (over) base = over;
}
}  // namespace

TcpSettings TcpSettings::overlaid_with(const TcpSettings& o) const {
  TcpSettings r = *this;
  overlay(r.profile, o.profile);
  overlay(r.syn_retries, o.syn_retries);
  overlay(r.syn_linear_timeouts, o.syn_linear_timeouts);
  overlay(r.synack_retries, o.synack_retries);
  overlay(r.syncookies, o.syncookies);
  overlay(r.max_syn_backlog, o.max_syn_backlog);
  overlay(r.somaxconn, o.somaxconn);
  overlay(r.abort_on_overflow, o.abort_on_overflow);
  overlay(r.retries2, o.retries2);
  overlay(r.keepalive_time, o.keepalive_time);
  overlay(r.keepalive_intvl, o.keepalive_intvl);
  overlay(r.keepalive_probes, o.keepalive_probes);
  overlay(r.time_wait, o.time_wait);
  overlay(r.fin_timeout, o.fin_timeout);
  overlay(r.rto_initial, o.rto_initial);
  overlay(r.rto_min, o.rto_min);
  overlay(r.rto_max, o.rto_max);
  overlay(r.mss, o.mss);
  overlay(r.delayed_ack, o.delayed_ack);
  overlay(r.congestion, o.congestion);
  return r;
}

LinkParams LinkPatch::applied_to(LinkParams base) const {
  if (delay) base.delay = *delay;
  if (bandwidth) base.bandwidth = *bandwidth;
  if (queue) {
    base.queue_packets = queue->packets;
    base.queue_bytes = queue->bytes;
  }
  if (loss) base.loss = *loss;
  if (jitter) base.jitter = *jitter;
  if (duplicate) base.duplicate = *duplicate;
  if (corrupt) base.corrupt = *corrupt;
  return base;
}

LinkPatch LinkPatch::overlaid_with(const LinkPatch& o) const {
  LinkPatch r = *this;
  overlay(r.delay, o.delay);
  overlay(r.bandwidth, o.bandwidth);
  overlay(r.queue, o.queue);
  overlay(r.loss, o.loss);
  overlay(r.jitter, o.jitter);
  overlay(r.duplicate, o.duplicate);
  overlay(r.corrupt, o.corrupt);
  return r;
}

bool LinkPatch::empty() const {
  return !delay && !bandwidth && !queue && !loss && !jitter && !duplicate && !corrupt;
}

std::string Endpoint::to_string() const {
  return fmt::format("{}:{}", host ? *host : address.to_string(), port);
}

int64_t SynFloodSpec::total_packets() const {
  if (count) return *count;
  if (!duration || rate.interval.ns() <= 0) return 0;
  // One SYN at start, then every interval while still inside [start, start + duration).
  return (duration->ns() + rate.interval.ns() - 1) / rate.interval.ns();
}

const std::string& AppSpec::name() const {
  return std::visit([](const auto& a) -> const std::string& { return a.name; }, app);
}
const std::string& AppSpec::on() const {
  return std::visit([](const auto& a) -> const std::string& { return a.on; }, app);
}
const SourcePos& AppSpec::pos() const {
  return std::visit([](const auto& a) -> const SourcePos& { return a.pos; }, app);
}
std::string_view AppSpec::kind_name() const {
  switch (app.index()) {
    case 0:
      return "tcp_server";
    case 1:
      return "tcp_client";
    default:
      return "syn_flood";
  }
}

std::vector<std::string> plot_kind_names() {
  return {"syn_queue", "accept_queue", "established", "drops", "cwnd", "tcptrace"};
}

bool OutputsSpec::any() const {
  return trace || events || pcap || summary || !diagrams.empty() || timeline || !plots.empty();
}

std::string_view to_string(AppResult r) {
  switch (r) {
    case AppResult::closed:
      return "closed";
    case AppResult::etimedout:
      return "ETIMEDOUT";
    case AppResult::econnrefused:
      return "ECONNREFUSED";
    case AppResult::econnreset:
      return "ECONNRESET";
    case AppResult::epipe:
      return "EPIPE";
    case AppResult::open:
      return "open";
    case AppResult::crashed:
      return "crashed";
  }
  return "?";
}

const HostSpec* Scenario::find_host(std::string_view n) const {
  auto it =
      std::find_if(hosts.begin(), hosts.end(), [&](const HostSpec& h) { return h.name == n; });
  return it == hosts.end() ? nullptr : &*it;
}

const RouterSpec* Scenario::find_router(std::string_view n) const {
  auto it = std::find_if(routers.begin(), routers.end(),
                         [&](const RouterSpec& r) { return r.name == n; });
  return it == routers.end() ? nullptr : &*it;
}

const AppSpec* Scenario::find_app(std::string_view n) const {
  auto it = std::find_if(apps.begin(), apps.end(), [&](const AppSpec& a) { return a.name() == n; });
  return it == apps.end() ? nullptr : &*it;
}

const LinkSpec* Scenario::find_link(std::string_view a, std::string_view b) const {
  auto it = std::find_if(links.begin(), links.end(), [&](const LinkSpec& l) {
    return (l.a == a && l.b == b) || (l.a == b && l.b == a);
  });
  return it == links.end() ? nullptr : &*it;
}

std::optional<std::string> canonical_tcp_state(std::string_view text) {
  static constexpr std::array<std::string_view, 11> kNames{
      "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
      "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};
  // Aliases from other tools: BSD/netstat SYN_RCVD, Linux /proc SYN_RECV, ss ESTAB, and the
  // FIN_WAIT1/FIN_WAIT2 spelling of netstat.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kAliases{{
      {"SYN_RCVD", "SYN_RECEIVED"},
      {"SYN_RECV", "SYN_RECEIVED"},
      {"FIN_WAIT1", "FIN_WAIT_1"},
      {"FIN_WAIT2", "FIN_WAIT_2"},
      {"ESTAB", "ESTABLISHED"},
  }};
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    s.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  for (auto n : kNames) {
    if (s == n) return std::string(n);
  }
  for (auto [alias, name] : kAliases) {
    if (s == alias) return std::string(name);
  }
  return std::nullopt;
}

const std::vector<std::string>& known_host_counters() {
  static const std::vector<std::string> kCounters{"syn_received",
                                                  "synack_sent",
                                                  "synack_retransmits",
                                                  "syn_queue_drops",
                                                  "accept_queue_drops",
                                                  "syncookies_sent",
                                                  "syncookies_ok",
                                                  "syncookies_failed",
                                                  "rst_sent",
                                                  "rst_received",
                                                  "keepalive_probes_sent",
                                                  "retransmits",
                                                  "challenge_acks",
                                                  "connections_established"};
  return kCounters;
}

}  // namespace netsim
