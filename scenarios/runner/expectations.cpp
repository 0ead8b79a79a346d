// Judging the scenario's `expect:` entries after a run. Each verdict says what was expected
// and what happened, with the time, so a failed exercise explains itself.
#include <fmt/format.h>

#include "scenarios/runner/expectation_probe.hpp"
#include "scenarios/runner/host_counters.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/units.hpp"

namespace netsim {
namespace {

std::string secs(Instant t) {
  return format_seconds(t) + " s";
}
std::string secs(Duration d) {
  return secs(Instant::zero() + d);
}

std::optional<uint64_t> counter_value(const tcp::Counters& c, std::string_view name) {
  for (const auto& [n, v] : host_counters(c)) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string describe_result(const apps::ConnectionReport& c) {
  if (c.result == "open") return "still open at the end";
  return fmt::format("{} at {}", c.result, c.result_at ? secs(*c.result_at) : "?");
}

std::string range_text(const Expectation& e) {
  if (e.min && e.max) return fmt::format("between {} and {}", *e.min, *e.max);
  if (e.min) return fmt::format("at least {}", *e.min);
  return fmt::format("at most {}", *e.max);
}

bool in_range(const Expectation& e, uint64_t v) {
  auto sv = static_cast<int64_t>(v);
  return (!e.min || sv >= *e.min) && (!e.max || sv <= *e.max);
}

std::string quote_data(const DataSpec& d) {
  if (d.kind == DataSpec::Kind::size) return fmt::format("{} bytes", d.bytes);
  return fmt::format("\"{}\"", d.text);
}

// One connection's verdict for an app-level expectation; empty string = it holds.
std::string judge_connection(const Expectation& e, const apps::ConnectionReport& c) {
  switch (e.kind) {
    case Expectation::Kind::connected_by:
      if (!c.connected_at) return fmt::format("never connected ({})", describe_result(c));
      if (*c.connected_at > Instant::zero() + e.by) {
        return fmt::format("connected only at {}", secs(*c.connected_at));
      }
      return {};
    case Expectation::Kind::received: {
      bool ok = e.received.kind == DataSpec::Kind::size
                    ? c.bytes_received == static_cast<uint64_t>(e.received.bytes)
                    : c.received() == e.received.text;
      if (ok) return {};
      if (e.received.kind == DataSpec::Kind::size || c.received().size() > 60) {
        return fmt::format("received {} bytes", c.bytes_received);
      }
      return fmt::format("received \"{}\"", c.received());
    }
    case Expectation::Kind::result: {
      if (c.result != to_string(e.result)) return fmt::format("got {}", describe_result(c));
      if (e.at) {
        Instant want = Instant::zero() + *e.at;
        Duration tol = e.within.value_or(Duration::zero());
        Duration off = *c.result_at > want ? *c.result_at - want : want - *c.result_at;
        if (off > tol) {
          return fmt::format("got {} at {}, {} from the expected time", c.result,
                             secs(*c.result_at), format_duration(off));
        }
      }
      return {};
    }
    case Expectation::Kind::state:
    case Expectation::Kind::accepted:
    case Expectation::Kind::counter:
    case Expectation::Kind::drops:
    case Expectation::Kind::packets:
      return {};
  }
  return {};
}

// "exactly 2" / "at least 1" / "between 1 and 3".
std::string count_text(const Expectation& e) {
  if (e.min && e.max && *e.min == *e.max) return fmt::format("exactly {}", *e.min);
  return range_text(e);
}

// "from client to server flags F. with payload in [0.5 s, 0.6 s]": what is counted.
std::string packets_text(const Expectation& e) {
  std::vector<std::string> parts;
  if (!e.packets_from.empty()) parts.push_back("from " + e.packets_from);
  if (!e.packets_to.empty()) parts.push_back("to " + e.packets_to);
  if (e.packets.flags) parts.push_back("flags " + e.packets.flags->to_string());
  if (e.packets.sport) parts.push_back(fmt::format("sport {}", *e.packets.sport));
  if (e.packets.dport) parts.push_back(fmt::format("dport {}", *e.packets.dport));
  if (e.packets.payload) parts.push_back(*e.packets.payload ? "with payload" : "without payload");
  if (e.window_from && e.window_to) {
    parts.push_back(fmt::format("in [{}, {}]", secs(*e.window_from), secs(*e.window_to)));
  }
  return parts.empty() ? "sent" : fmt::format("{}", fmt::join(parts, " "));
}

std::string expectation_text(const Expectation& e) {
  switch (e.kind) {
    case Expectation::Kind::connected_by:
      return fmt::format("{}: connected by {}", e.app, secs(e.by));
    case Expectation::Kind::received:
      return fmt::format("{}: received {}", e.app, quote_data(e.received));
    case Expectation::Kind::result:
      if (e.at) {
        return fmt::format("{}: result {} at {}{}", e.app, to_string(e.result), secs(*e.at),
                           e.within ? " within " + format_duration(*e.within) : "");
      }
      return fmt::format("{}: result {}", e.app, to_string(e.result));
    case Expectation::Kind::state:
      return fmt::format("{}: state {} {}", e.app, e.state,
                         e.at ? "at " + secs(*e.at) : "at the end");
    case Expectation::Kind::accepted:
      return fmt::format("{}: accepted {}", e.app, e.accepted);
    case Expectation::Kind::counter:
      return fmt::format("{}: counter {} {}", e.host, e.counter, range_text(e));
    case Expectation::Kind::drops:
      return fmt::format("{}drops for {} {}", e.host.empty() ? "" : e.host + ": ",
                         to_string(e.reason), range_text(e));
    case Expectation::Kind::packets:
      return fmt::format("packets {} {}", packets_text(e), count_text(e));
  }
  return {};
}

}  // namespace

std::vector<ExpectVerdict> ScenarioRun::evaluate() const {
  std::vector<ExpectVerdict> out;
  for (const auto& e : scenario_.expect) {
    ExpectVerdict v;
    v.pos = e.pos;
    std::string what = expectation_text(e);
    std::string problem;
    const apps::AppReport* r = e.app.empty() ? nullptr : report(e.app);
    switch (e.kind) {
      case Expectation::Kind::connected_by:
      case Expectation::Kind::received:
      case Expectation::Kind::result:
        if (!r || r->connections.empty()) {
          problem = "the app made no connection";
          break;
        }
        for (size_t i = 0; i < r->connections.size() && problem.empty(); ++i) {
          problem = judge_connection(e, r->connections[i]);
          if (!problem.empty() && r->connections.size() > 1) {
            problem = fmt::format("connection {} of {}: {}", i + 1, r->connections.size(), problem);
          }
        }
        break;
      case Expectation::Kind::state: {
        // Every connection of the app must be in the state; a failure names the connection
        // (an app with `count: 3` has three).
        std::vector<ExpectationProbe::ConnState> states;
        if (e.at) {
          states = probe_->states_at(e.app, Instant::zero() + *e.at);
        } else if (r) {
          for (const auto& c : r->connections)
            states.push_back({c.local, c.remote, std::string(c.state)});
        }
        if (states.empty()) problem = "no connection of this app existed then";
        for (size_t i = 0; i < states.size(); ++i) {
          if (states[i].state == e.state) continue;
          problem = states.size() == 1 ? fmt::format("was {}", states[i].state)
                                       : fmt::format("connection {} of {} ({}-{}) was {}", i + 1,
                                                     states.size(), states[i].local.to_string(),
                                                     states[i].remote.to_string(), states[i].state);
          break;
        }
        break;
      }
      case Expectation::Kind::accepted:
        if (!r || r->accepted != static_cast<uint64_t>(e.accepted)) {
          problem = fmt::format("accepted {}", r ? r->accepted : 0);
        }
        break;
      case Expectation::Kind::counter: {
        const tcp::TcpHost* h = host(e.host);
        auto v2 = h ? counter_value(h->stack().counters(), e.counter) : std::nullopt;
        if (!v2) {
          problem = "no such counter";
        } else if (!in_range(e, *v2)) {
          problem = fmt::format("was {}", *v2);
        }
        break;
      }
      case Expectation::Kind::drops: {
        uint64_t n = e.host.empty() ? net_.drops(e.reason) : probe_->drops(e.host, e.reason);
        if (!in_range(e, n)) problem = fmt::format("was {}", n);
        break;
      }
      case Expectation::Kind::packets: {
        uint64_t n = probe_->packets(e);
        if (!in_range(e, n)) problem = fmt::format("{} sent", n);
        break;
      }
    }
    v.ok = problem.empty();
    v.message = v.ok ? what : fmt::format("{}: {}", what, problem);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace netsim
