// Reading `expect:`: every form of SCENARIO_SPEC.md (connected_by, received, result [at,
// within], state [at], accepted, counter min/max) plus `drops` by reason. Each expectation keeps
// its position so a failed one can point at its line.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "scenarios/loader/sections.hpp"

namespace netsim::loader {
namespace {

using Kind = Expectation::Kind;

struct KindInfo {
  std::string_view key;
  Kind kind;
  std::vector<std::string_view> companions;  // further keys this form accepts
};

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> k{
      {"connected_by", Kind::connected_by, {"app"}},
      {"received", Kind::received, {"app"}},
      {"result", Kind::result, {"app", "at", "within"}},
      {"state", Kind::state, {"app", "at"}},
      {"accepted", Kind::accepted, {"app"}},
      {"counter", Kind::counter, {"host", "min", "max"}},
      {"drops", Kind::drops, {"host", "min", "max"}},
      {"packets", Kind::packets, {"count", "min", "max", "window"}},
  };
  return k;
}

// The app an expectation names; it must exist and (except for `accepted`) hold connections.
const AppSpec* read_app_subject(Reader& r, const MapView& m, const Scenario& sc,
                                std::string_view form) {
  if (!m.require("app", "the app this expectation is about")) return nullptr;
  YAML::Node n = *m.get("app");
  auto name = read_string(r, n, m.path("app"), "an app name");
  if (!name) return nullptr;
  const AppSpec* app = sc.find_app(*name);
  if (!app) {
    std::vector<std::string> names;
    for (const auto& a : sc.apps)
      names.push_back(a.name());
    r.error(n, m.path("app"),
            fmt::format("unknown app {}{}", quoted(*name), suggestion_suffix(*name, names)));
    return nullptr;
  }
  if (form == "accepted" && !app->server() && !app->scripted()) {
    r.error(n, m.path("app"),
            fmt::format("expected a tcp_server or tcp_app for accepted, found {} {}",
                        app->kind_name(), quoted(*name)));
  } else if (app->flood()) {
    r.error(n, m.path("app"),
            fmt::format("expected a tcp_client, tcp_server or tcp_app for {}, found syn_flood {}",
                        form, quoted(*name)));
  }
  return app;
}

void read_min_max(Reader& r, const MapView& m, Expectation& e) {
  if (auto v = m.get("min")) e.min = read_int(r, *v, m.path("min"), 0, INT64_MAX);
  if (auto v = m.get("max")) e.max = read_int(r, *v, m.path("max"), 0, INT64_MAX);
  if (!m.has("min") && !m.has("max")) {
    r.error(m.node(), m.path(), "missing key \"min\" or \"max\" (the bounds to check)");
  }
  if (e.min && e.max && *e.min > *e.max) {
    r.error(*m.get("max"), m.path("max"),
            fmt::format("expected a value of at least min ({}), found {}", *e.min, *e.max));
  }
}

// "; did you mean \"TIME_WAIT\"?" for TIMEWAIT, time-wait-ish spellings.
std::string state_suggestion(std::string_view written) {
  static const std::vector<std::string> kStates{
      "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
      "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT"};
  std::string upper;
  for (char c : written) {
    upper.push_back(c == '-' ? '_'
                             : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return suggestion_suffix(upper, kStates);
}

// {packets: {from, to, flags, sport, dport, payload}, count | min/max, window: [T1, T2]}.
void read_packets(Reader& r, const MapView& m, const Scenario& sc, Expectation& e) {
  YAML::Node n = *m.get("packets");
  std::string path = m.path("packets");
  if (!n.IsNull() &&
      expect_map(r, n, path, "a map of match keys (from, to, flags, sport, dport, payload)")) {
    MapView p(r, n, path, {"from", "to", "flags", "sport", "dport", "payload"});
    if (auto v = p.get("from")) {
      if (const HostSpec* h = read_host_ref(r, *v, p.path("from"), sc)) {
        e.packets_from = h->name;  // the sending node (a spoofed source address still counts)
      }
    }
    if (auto v = p.get("to")) {
      if (const HostSpec* h = read_host_ref(r, *v, p.path("to"), sc)) {
        e.packets_to = h->name;
        e.packets.dst = h->address;
      }
    }
    if (auto v = p.get("flags")) {
      static constexpr std::string_view kWhat =
          "TCP flags in tcpdump notation like \"S\", \"S.\", \".\", \"P.\", \"F.\" or \"R\"";
      if (auto s = read_string(r, *v, p.path("flags"), kWhat)) {
        e.packets.flags = TcpFlags::parse(*s);
        if (!e.packets.flags) {
          r.error(*v, p.path("flags"), fmt::format("expected {}, found {}", kWhat, quoted(*s)));
        }
      }
    }
    if (auto v = p.get("sport")) e.packets.sport = read_port(r, *v, p.path("sport"));
    if (auto v = p.get("dport")) e.packets.dport = read_port(r, *v, p.path("dport"));
    if (auto v = p.get("payload")) e.packets.payload = read_bool(r, *v, p.path("payload"));
  }
  if (auto v = m.get("count")) {
    if (m.has("min") || m.has("max")) {
      r.error(m.entry("count")->key_node, m.path("count"),
              "expected either count or min/max, found both");
    }
    e.min = e.max = read_int(r, *v, m.path("count"), 0, INT64_MAX);
  } else if (!m.has("min") && !m.has("max")) {
    r.error(m.node(), m.path(), "missing key \"count\", \"min\" or \"max\" (how many packets)");
  } else {
    read_min_max(r, m, e);
  }
  if (auto v = m.get("window")) {
    if (!v->IsSequence() || v->size() != 2) {
      r.error(*v, m.path("window"),
              fmt::format("expected [FROM, TO] like [1s, 2s], found {}", describe(*v)));
      return;
    }
    e.window_from = read_duration(r, (*v)[0], index_path(m.path("window"), 0), Zero::allowed);
    e.window_to = read_duration(r, (*v)[1], index_path(m.path("window"), 1), Zero::allowed);
    if (e.window_from && e.window_to && *e.window_to < *e.window_from) {
      r.error((*v)[1], index_path(m.path("window"), 1),
              fmt::format("expected a time no earlier than {}, found {}",
                          format_duration(*e.window_from), format_duration(*e.window_to)));
    }
  }
}

void read_form(Reader& r, const MapView& m, const KindInfo& info, Expectation& e) {
  std::string path = m.path(info.key);
  YAML::Node v = *m.get(info.key);
  switch (info.kind) {
    case Kind::packets:  // read_packets()
      break;
    case Kind::connected_by:
      e.by = read_duration(r, v, path, Zero::allowed).value_or(Duration{});
      break;
    case Kind::received:
      e.received = read_data(r, v, path, false).value_or(DataSpec{});
      break;
    case Kind::result: {
      static const std::array<std::string, 7> kResults{
          "closed", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "EPIPE", "open", "crashed"};
      if (auto i = read_choice(r, v, path, kResults, true)) e.result = static_cast<AppResult>(*i);
      if (m.has("within") && !m.has("at")) {
        r.error(m.entry("within")->key_node, m.path("within"),
                "applies only together with at (the time the result is expected)");
      }
      break;
    }
    case Kind::state: {
      auto s = read_string(r, v, path, "a TCP state like ESTABLISHED or TIME_WAIT");
      if (!s) break;
      if (auto c = canonical_tcp_state(*s)) {
        e.state = *c;
      } else {
        r.error(v, path,
                fmt::format("expected a TCP state (CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, "
                            "ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, "
                            "TIME_WAIT), found {}{}",
                            quoted(*s), state_suggestion(*s)));
      }
      break;
    }
    case Kind::accepted:
      e.accepted = read_int(r, v, path, 0, INT64_MAX).value_or(0);
      break;
    case Kind::counter: {
      if (auto s = read_string(r, v, path, "a host counter name")) {
        const auto& known = known_host_counters();
        if (std::find(known.begin(), known.end(), *s) == known.end()) {
          std::string hint = suggestion_suffix(*s, known);
          r.error(v, path,
                  hint.empty() ? fmt::format("unknown counter {}; expected one of {}", quoted(*s),
                                             fmt::join(known, ", "))
                               : fmt::format("unknown counter {}{}", quoted(*s), hint));
        }
        e.counter = *s;
      }
      break;
    }
    case Kind::drops: {
      if (auto s = read_string(r, v, path, "a drop reason like loss or queue_full")) {
        if (auto reason = parse_drop_reason(*s)) {
          e.reason = *reason;
        } else {
          r.error(v, path,
                  fmt::format("unknown drop reason {}; expected one of loss, burst_loss, "
                              "queue_full, link_down, no_route, corrupt, fault, "
                              "syn_queue_full, accept_queue_full, host_down, "
                              "no_listener, ttl_exceeded",
                              quoted(*s)));
        }
      }
      break;
    }
  }
}

void read_one_expectation(Reader& r, const YAML::Node& item, size_t i, Scenario& sc) {
  std::string path = index_path("expect", i);
  if (!expect_map(r, item, path, "a map such as {app: alice, result: closed}")) return;
  MapView m(r, item, path,
            {"app", "host", "connected_by", "received", "result", "state", "accepted", "counter",
             "drops", "packets", "at", "within", "min", "max", "count", "window"});
  const KindInfo* info = nullptr;
  for (const auto& entry : m.entries()) {  // file order, so "found A and B" reads as written
    auto k = std::find_if(kinds().begin(), kinds().end(),
                          [&](const KindInfo& ki) { return ki.key == entry.key; });
    if (k == kinds().end()) continue;
    if (info) {
      r.error(
          entry.key_node, path,
          fmt::format("expected one check per expectation, found {} and {}", info->key, k->key));
      return;
    }
    info = &*k;
  }
  if (!info) {
    r.error(item, path,
            "expected one of connected_by, received, result, state, accepted, counter, drops, "
            "packets, found none");
    return;
  }
  // Keys that belong to another form are mistakes, not silently ignored extras.
  for (std::string_view key : {"app", "host", "at", "within", "min", "max", "count", "window"}) {
    const auto* e = m.entry(key);
    if (e && std::find(info->companions.begin(), info->companions.end(), key) ==
                 info->companions.end()) {
      r.error(e->key_node, m.path(key), fmt::format("does not apply to {} checks", info->key));
    }
  }
  Expectation e;
  e.kind = info->kind;
  e.pos = r.pos(item);
  if (info->kind == Kind::packets) {
    read_packets(r, m, sc, e);
  } else if (info->kind == Kind::counter || info->kind == Kind::drops) {
    bool need_host = info->kind == Kind::counter;
    if (!need_host || m.require("host", "the host whose counter is checked")) {
      if (auto h = m.get("host")) {
        if (const HostSpec* host = read_host_ref(r, *h, m.path("host"), sc)) e.host = host->name;
      }
    }
    read_min_max(r, m, e);
  } else if (const AppSpec* app = read_app_subject(r, m, sc, info->key)) {
    e.app = app->name();
  }
  read_form(r, m, *info, e);
  if (auto v = m.get("at"); v && (info->kind == Kind::result || info->kind == Kind::state)) {
    e.at = read_duration(r, *v, m.path("at"), Zero::allowed);
  }
  if (auto v = m.get("within"); v && info->kind == Kind::result) {
    e.within = read_duration(r, *v, m.path("within"), Zero::allowed);
  }
  sc.expect.push_back(std::move(e));
}

}  // namespace

void read_expect(Reader& r, const YAML::Node& n, Scenario& sc) {
  if (!check_list_section(r, n, "expect", r.limits().max_expectations, "max_expectations",
                          "expectations")) {
    return;
  }
  for (size_t i = 0; i < n.size(); ++i)
    read_one_expectation(r, n[i], i, sc);
}

}  // namespace netsim::loader
