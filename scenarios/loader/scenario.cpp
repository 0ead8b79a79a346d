// Small behaviours of the typed scenario: overlaying tcp settings and link patches, naming,
// lookups, and the TCP state names accepted in expectations.
#include "scenarios/loader/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/tcp_state.hpp"

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

std::optional<tcp::TunableValue> TcpSettings::get(std::string_view key) const {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

TcpSettings TcpSettings::overlaid_with(const TcpSettings& o) const {
  TcpSettings r = *this;
  overlay(r.profile, o.profile);
  for (const auto& [key, value] : o.values)
    r.values.insert_or_assign(key, value);
  return r;
}

tcp::Profile TcpSettings::to_profile() const {
  tcp::Profile p(profile.value_or(tcp::Preset::linux_kernel));
  for (const auto& [key, value] : values) {
    if (const tcp::Tunable* t = tcp::find_tunable(key)) tcp::apply(*t, value, p);
  }
  return p;
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
    case 2:
      return "syn_flood";
    default:
      return "tcp_app";
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
  // One parser for state names (any case, '-' for '_', the aliases of other tools).
  auto state = parse_tcp_state(text);
  if (!state) return std::nullopt;
  return std::string(to_string(*state));
}

const std::vector<std::string>& known_host_counters() {
  static const std::vector<std::string> kCounters = [] {
    std::vector<std::string> v;
    for (const tcp::CounterInfo& c : tcp::counter_table())
      v.emplace_back(c.name);
    return v;
  }();
  return kCounters;
}

}  // namespace netsim
