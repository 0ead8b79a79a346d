// The run summary: summary.json (SCENARIO_SPEC.md "Summary") and the short text version the
// command prints when no output file was asked for.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <utility>

#include "protocols/tcp/tcp_info.hpp"
#include "protocols/tcp/timer_wheel.hpp"
#include "scenarios/runner/host_counters.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/units.hpp"

namespace netsim {
namespace {

using Json = nlohmann::ordered_json;

Json optional_ns(const std::optional<Instant>& t) {
  return t ? Json(t->ns()) : Json(nullptr);
}

Json counters_json(const tcp::Counters& c) {
  Json j = Json::object();
  for (const auto& [name, value] : host_counters(c))
    j[std::string(name)] = value;
  return j;
}

// An app lists its connections one by one only up to this many (its totals cover the rest).
constexpr size_t kListedConnections = 1000;

// The tcp_info of the listed connections alive at the end of the run, by their two endpoints.
using ConnKeyPair = std::pair<SocketAddr, SocketAddr>;
using InfoByConn = std::map<ConnKeyPair, Json>;

// {"tcp_info": ..., "skmem": ...}: the tcp_info fields, and the socket buffers as `ss -m`
// names them (r sk_rmem_alloc, rb sk_rcvbuf, tb sk_sndbuf, f sk_forward_alloc, w sk_wmem_queued).
Json info_json(const tcp::TcpInfo& info) {
  Json j = Json::object();
  for (auto [name, v] : info.fields())
    j[std::string(name.substr(5))] = v;  // without "tcpi_", as `ss -i` names them
  Json skmem{{"r", info.rmem_alloc},
             {"rb", info.rcvbuf},
             {"tb", info.sndbuf},
             {"f", info.fwd_alloc},
             {"w", info.wmem_queued}};
  return Json{{"tcp_info", std::move(j)}, {"skmem", std::move(skmem)}};
}

// The first connection stands for the app in the flat fields; all are listed below it.
Json app_json(const apps::AppReport& r, const InfoByConn& infos) {
  Json j;
  j["kind"] = r.kind;
  j["host"] = r.host;
  j["result"] = r.overall_result();
  const apps::ConnectionReport* first = r.connections.empty() ? nullptr : &r.connections.front();
  j["state"] = first ? first->state : "CLOSED";
  j["connected_ns"] = first ? optional_ns(first->connected_at) : Json(nullptr);
  j["closed_ns"] = first && first->result != "open" ? optional_ns(first->result_at) : Json(nullptr);
  uint64_t sent = 0, received = 0, retx = 0;
  for (const auto& c : r.connections) {
    sent += c.bytes_sent;
    received += c.bytes_received;
    retx += c.retransmits;
  }
  j["bytes_sent"] = sent;
  j["bytes_received"] = received;
  j["retransmits"] = retx;
  if (r.kind == "tcp_server") j["accepted"] = r.accepted;
  if (r.kind == "syn_flood") j["packets_sent"] = r.packets_sent;
  if (r.connections.size() > 1) {
    std::map<std::string, uint64_t> by_result;
    for (const auto& c : r.connections)
      ++by_result[std::string(c.result)];
    j["results"] = by_result;
  }
  if (!r.connections.empty() && r.connections.size() <= kListedConnections) {
    Json conns = Json::array();
    for (const auto& c : r.connections) {
      conns.push_back(Json{{"local", c.local.to_string()},
                           {"remote", c.remote.to_string()},
                           {"result", c.result},
                           {"state", c.state},
                           {"connected_ns", optional_ns(c.connected_at)},
                           {"result_ns", optional_ns(c.result_at)},
                           {"bytes_sent", c.bytes_sent},
                           {"bytes_received", c.bytes_received},
                           {"retransmits", c.retransmits}});
      auto it = infos.find({c.local, c.remote});
      conns.back()["tcp_info"] = it == infos.end() ? Json(nullptr) : it->second.at("tcp_info");
      conns.back()["skmem"] = it == infos.end() ? Json(nullptr) : it->second.at("skmem");
    }
    j["connections"] = std::move(conns);
  }
  return j;
}

// Only real-time runs with `tun:` hosts have it, so other summaries are unchanged.
Json tun_json(const std::vector<TunReport>& reports) {
  Json j = Json::object();
  for (const auto& r : reports) {
    j[r.device] = Json{{"host", r.host},
                       {"rx_dropped", r.rx_dropped},
                       {"tx_dropped", r.tx_dropped},
                       {"read", r.read},
                       {"injected", r.injected},
                       {"malformed", r.malformed},
                       {"refused_in", r.refused_in},
                       {"written", r.written},
                       {"refused_out", r.refused_out},
                       {"write_errors", r.write_errors}};
  }
  return j;
}

}  // namespace

std::string ScenarioRun::summary_json(const std::vector<ExpectVerdict>& verdicts) const {
  Json j;
  j["scenario"] = scenario_.name;
  j["seed"] = scenario_.seed;
  j["end_ns"] = sim_.now().ns();
  j["events"] = sim_.events_executed();
  j["packets_sent"] = net_.packets_sent();
  // Only the connections an app lists get a tcp_info: a million-connection run must not build
  // a million JSON objects nobody writes (bench/scenarios/million-established.yaml).
  std::set<ConnKeyPair> listed;
  for (const auto* r : reports()) {
    if (r->connections.size() > kListedConnections) continue;
    for (const auto& c : r->connections)
      listed.insert({c.local, c.remote});
  }
  InfoByConn infos;
  for (const auto& [name, h] : hosts_) {
    const tcp::Stack& st = h->stack();
    if (listed.empty()) break;
    for (tcp::SocketId id : st.connection_ids()) {
      ConnKeyPair key{st.local_address(id), st.remote_address(id)};
      if (listed.count(key) != 0)
        infos[key] = info_json(tcp::tcp_info(*st.connection(id), sim_.now()));
    }
  }
  Json apps_j = Json::object();
  for (const auto* r : reports())
    apps_j[r->name] = app_json(*r, infos);
  j["apps"] = std::move(apps_j);
  Json hosts_j = Json::object();
  for (const auto& h : scenario_.hosts) {
    // A `tun:` host (the real Linux stack) has no simulated stack and so no counters.
    if (const tcp::TcpHost* th = host(h.name))
      hosts_j[h.name] = counters_json(th->stack().counters());
  }
  j["hosts"] = std::move(hosts_j);
  Json drops = Json::object();
  for (DropReason r : kAllDropReasons) {
    if (net_.drops(r) > 0) drops[std::string(to_string(r))] = net_.drops(r);
  }
  j["drops"] = std::move(drops);
  if (!tun_reports_.empty()) j["tun"] = tun_json(tun_reports_);
  Json ex = Json::array();
  for (const auto& v : verdicts) {
    ex.push_back(Json{{"ok", v.ok}, {"message", v.message}, {"where", v.pos.to_string()}});
  }
  j["expect"] = std::move(ex);
  return j.dump(2) + "\n";
}

std::string ScenarioRun::summary_text(const std::vector<ExpectVerdict>& verdicts) const {
  std::string out = fmt::format("--- {} (seed {}): {} events, virtual time {} s\n", scenario_.name,
                                scenario_.seed, sim_.events_executed(), format_seconds(sim_.now()));
  for (const auto* r : reports()) {
    if (r->kind == "syn_flood") {
      out += fmt::format("{:<12} {} sent {} SYNs\n", r->name, r->kind, r->packets_sent);
      continue;
    }
    out += fmt::format("{:<12} {:<10} {} connection(s), result {}", r->name, r->kind,
                       r->connections.size(), r->overall_result());
    if (r->kind == "tcp_server") out += fmt::format(", accepted {}", r->accepted);
    if (r->connections.size() == 1) {
      const auto& c = r->connections.front();
      if (c.connected_at)
        out += fmt::format(", connected at {} s", format_seconds(*c.connected_at));
      out += fmt::format(", {} B sent, {} B received", c.bytes_sent, c.bytes_received);
    }
    out += "\n";
  }
  std::string drops;
  for (DropReason r : kAllDropReasons) {
    if (net_.drops(r) > 0) drops += fmt::format(" {} {}", to_string(r), net_.drops(r));
  }
  out += fmt::format("drops:{}\n", drops.empty() ? " none" : drops);
  // With `timer_wheel: 1` every timer instant follows from these two facts per host
  // (docs/tcp-timers.md#the-timer-wheel), so a reader can redo the arithmetic.
  for (const auto& h : scenario_.hosts) {
    const tcp::TcpHost* th = host(h.name);
    const tcp::TimerWheel* w = th != nullptr ? th->stack().timer_wheel() : nullptr;
    if (w == nullptr) continue;
    out += fmt::format(
        "timer wheel: {} has jiffies {} at 0 s, the next tick at {} ns, one every {:g} "
        "ms (HZ {})\n",
        h.name, w->boot_jiffies(), w->tick(w->boot_jiffies() + 1).ns(), 1000.0 / w->clock().hz,
        w->clock().hz);
  }
  size_t failed = 0;
  for (const auto& v : verdicts) {
    out += fmt::format("expect {} {}\n", v.ok ? "ok  " : "FAIL", v.message);
    if (!v.ok) ++failed;
  }
  if (!verdicts.empty()) {
    out += fmt::format("{} of {} expectations held\n", verdicts.size() - failed, verdicts.size());
  }
  return out;
}

}  // namespace netsim
