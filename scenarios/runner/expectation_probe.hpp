// A trace sink that keeps just what `expect:` entries need and the run's reports do not hold:
// each state change of the named apps' connections (for `state: X, at: T`) and drops per host.
// Attached only when such an expectation exists, so plain runs stay untraced.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/loader/scenario.hpp"
#include "sim/trace.hpp"

namespace netsim {

class ExpectationProbe : public TraceSink {
 public:
  explicit ExpectationProbe(const Scenario& s) {
    for (const auto& e : s.expect) {
      if (e.kind == Expectation::Kind::state) apps_.insert(e.app);
      if (e.kind == Expectation::Kind::drops && !e.host.empty()) hosts_.insert(e.host);
      if (e.kind == Expectation::Kind::packets) packet_checks_.push_back({&e, 0});
    }
  }
  bool needed() const { return !apps_.empty() || !hosts_.empty() || !packet_checks_.empty(); }

  void write(const TraceRecord& r) override {
    if (const auto* s = std::get_if<StateRecord>(&r)) {
      if (apps_.count(s->app)) {
        states_[s->app][{s->local, s->remote}].emplace_back(s->t, std::string(to_string(s->to)));
      }
    } else if (const auto* p = std::get_if<PacketRecord>(&r)) {
      if (p->ev == PacketEvent::drop && hosts_.count(p->host)) ++drops_[{p->host, p->reason}];
      if (p->ev == PacketEvent::send) count_packet(*p);
    }
  }

  // Packets sent that `e` (a packets expectation of the scenario) counts.
  uint64_t packets(const Expectation& e) const {
    for (const auto& c : packet_checks_) {
      if (c.e == &e) return c.n;
    }
    return 0;
  }

  // State of every connection of `app` at time t (connections that had not begun: skipped).
  // Each connection of `app` that existed at t: its endpoints and its state then, in the
  // order of the connections' addresses.
  struct ConnState {
    SocketAddr local, remote;
    std::string state;
  };
  std::vector<ConnState> states_at(const std::string& app, Instant t) const {
    std::vector<ConnState> out;
    auto it = states_.find(app);
    if (it == states_.end()) return out;
    for (const auto& [conn, changes] : it->second) {
      std::string state;
      for (const auto& [when, to] : changes) {
        if (when > t) break;
        state = to;
      }
      if (!state.empty()) out.push_back({conn.first, conn.second, state});
    }
    return out;
  }
  uint64_t drops(const std::string& host, DropReason r) const {
    auto it = drops_.find({host, r});
    return it == drops_.end() ? 0 : it->second;
  }

 private:
  void count_packet(const PacketRecord& p) {
    for (auto& c : packet_checks_) {
      const Expectation& e = *c.e;
      if (!e.packets_from.empty() && p.host != e.packets_from) continue;
      if (e.window_from && p.t < Instant::zero() + *e.window_from) continue;
      if (e.window_to && p.t > Instant::zero() + *e.window_to) continue;
      if (e.packets.matches(p.packet)) ++c.n;
    }
  }

  struct PacketCheck {
    const Expectation* e;
    uint64_t n;
  };
  std::vector<PacketCheck> packet_checks_;
  std::set<std::string> apps_, hosts_;
  std::map<std::string, std::map<std::pair<SocketAddr, SocketAddr>,
                                 std::vector<std::pair<Instant, std::string>>>>
      states_;
  std::map<std::pair<std::string, DropReason>, uint64_t> drops_;
};

}  // namespace netsim
