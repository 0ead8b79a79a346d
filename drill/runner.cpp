// The event loop of a drill run: each event's time (absolute, +relative to the previous event,
// ranges, *), virtual time advanced to it, inbound packets injected from the remote node and
// outbound ones taken from what the host sent, compared as packetdrill compares them.
#include "drill/runner_impl.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/units.hpp"

namespace netsim::drill {
namespace {

Duration usec(int64_t us) {
  return Duration::microseconds(us);
}

// '*' waits at most this long for a packet: longer than any SYN or keepalive schedule.
constexpr int64_t kAnyTimeLimitUsec = 3600LL * 1'000'000;

}  // namespace

Runner::Runner(const Script& script, const RunOptions& options)
    : script_(script), options_(options), sim_(options.seed), net_(sim_) {}

void Runner::configure() {
  for (const auto& o : script_.options) {
    auto number = [&]() -> int64_t {
      try {
        return std::stoll(o.value, nullptr, 0);
      } catch (const std::exception&) {
        throw Failure{o.pos, fmt::format("--{} needs a number, found '{}'", o.name, o.value)};
      }
    };
    auto address = [&]() {
      auto a = Ipv4Addr::parse(o.value);
      if (!a) throw Unsupported{o.pos, "IPv6", fmt::format("--{}={}", o.name, o.value)};
      return *a;
    };
    auto bounded = [&](int64_t lo, int64_t hi) {
      int64_t v = number();
      if (v < lo || v > hi)
        throw Failure{o.pos,
                      fmt::format("--{}={} is out of range ({}..{})", o.name, o.value, lo, hi)};
      return v;
    };
    if (o.name == "tolerance_usecs") {
      tolerance_usec_ = bounded(0, 60'000'000);
    } else if (o.name == "ip_version") {
      if (o.value != "ipv4") throw Unsupported{o.pos, "IPv6", "--ip_version=" + o.value};
    } else if (o.name == "local_ip") {
      local_ip_ = address();
    } else if (o.name == "remote_ip") {
      remote_ip_ = address();
    } else if (o.name == "bind_port") {
      bind_port_ = static_cast<uint16_t>(bounded(1, 65535));
    } else if (o.name == "connect_port") {
      connect_port_ = static_cast<uint16_t>(bounded(1, 65535));
    } else if (o.name == "mtu") {
      profile_.mss = static_cast<uint16_t>(bounded(576, 65535) - 40);  // IPv4 + TCP headers
    } else {
      result_.notes.push_back(fmt::format("{}:{}:{}: option --{} ignored", script_.file, o.pos.line,
                                          o.pos.col, o.name));
    }
  }
  if (options_.tolerance_usecs)
    tolerance_usec_ = std::clamp<int64_t>(*options_.tolerance_usecs, 0, 60'000'000);
  local_node_ = net_.add_host("local", {local_ip_});
  remote_node_ = net_.add_host("remote", {remote_ip_});
  LinkParams instant{};  // no delay, infinite bandwidth: times are the script's own
  net_.add_link(local_node_, remote_node_, instant, instant);
  net_.compute_routes();
  net_.set_receiver(remote_node_, [this](const Packet& p) { sent_.push_back({sim_.now(), p}); });
  for (TraceSink* s : options_.sinks)
    sim_.trace().add_sink(s);
  sim_.set_event_limit(options_.max_events);
}

// Built at the first socket call or packet, so that sysctl lines before it shape the profile.
tcp::TcpHost& Runner::host() {
  if (!host_) host_ = std::make_unique<tcp::TcpHost>(sim_, net_, local_node_, profile_, "local");
  return *host_;
}

sockcalls::Engine& Runner::engine() {
  if (!engine_) engine_ = std::make_unique<sockcalls::Engine>(sim_, host(), "app");
  return *engine_;
}

std::string Runner::time_text(Instant t) const {
  return format_seconds(t);
}

// Script times stay below 10^9 s (about 31 years), far from the int64 nanosecond limit, however
// many relative steps add up.
Instant Runner::event_time(const TimeSpec& ts) const {
  Instant t = event_time_unchecked(ts);
  if (t > Instant::zero() + Duration::seconds(1'000'000'000))
    throw Failure{current_pos_, "event time beyond 10^9 s of virtual time"};
  return t;
}

Instant Runner::event_time_unchecked(const TimeSpec& ts) const {
  switch (ts.kind) {
    case TimeSpec::Kind::absolute:
    case TimeSpec::Kind::absolute_range:
      return Instant::zero() + usec(ts.usec);
    case TimeSpec::Kind::relative:
    case TimeSpec::Kind::relative_range:
      return last_ + usec(ts.usec);
    case TimeSpec::Kind::any:
    case TimeSpec::Kind::none:
      return last_;
  }
  return last_;
}

// Runs the simulation through every event up to `limit` in time order, checking the blocking
// call after each instant.
void Runner::step_once(Instant limit) {
  auto next = sim_.next_event_time();
  if (!next || *next > limit) {
    if (sim_.now() < limit) sim_.run_until(limit);
    return;
  }
  sim_.run_until(*next);
  poll_pending();
}

void Runner::step_to(Instant t) {
  if (t < sim_.now()) return;  // a time already passed (an earlier event took longer)
  while (true) {
    auto next = sim_.next_event_time();
    if (!next || *next > t) break;
    step_once(t);
  }
  if (sim_.now() < t) sim_.run_until(t);
  if (pending_ && sim_.now() > pending_->end + usec(tolerance_usec_)) {
    throw Failure{pending_->spec->pos,
                  fmt::format("{}() expected to return at {} s (tolerance {} us) but it was "
                              "still blocked at {} s",
                              pending_->spec->name, time_text(pending_->end), tolerance_usec_,
                              time_text(sim_.now()))};
  }
}

void Runner::check_unexpected(Instant before, Pos pos) {
  if (sent_.empty() || !(sent_.front().t < before)) return;
  const Sent& s = sent_.front();
  SeqSpace copy = space_for(s.p.tcp.dst_port);
  ScriptPacket sp = to_script(s.p, s.t, copy);
  throw Failure{pos, fmt::format("unexpected packet sent at {} s, before this event at {} s:\n"
                                 "  actual:   {}",
                                 time_text(s.t), time_text(before), format_actual(sp))};
}

void Runner::inbound(const PacketSpec& p) {
  if (p.unsupported) throw Unsupported{p.pos, *p.unsupported, ""};
  for (const auto& o : p.options) {
    if (o.kind == TcpOptionSpec::Kind::fast_open)
      throw Unsupported{o.pos, "TCP Fast Open", "FO option in an inbound packet"};
    if (o.kind == TcpOptionSpec::Kind::md5)
      throw Unsupported{o.pos, "TCP MD5", "md5 option in an inbound packet"};
  }
  host();
  uint16_t rport = p.ports ? p.ports->first : remote_port_;
  Packet pkt;
  pkt.src = remote_ip_;
  pkt.dst = local_ip_;
  pkt.tcp = to_live(p, space_for(rport));
  pkt.tcp.src_port = rport;
  pkt.tcp.dst_port = p.ports ? p.ports->second : local_port_;
  net_.send(remote_node_, pkt);
}

void Runner::outbound(const Event& e, const PacketSpec& p) {
  if (p.unsupported) throw Unsupported{p.pos, *p.unsupported, ""};
  Instant t = event_time(e.time);
  Duration tol = usec(tolerance_usec_);
  Instant lo = t - tol, hi = t + tol;
  if (e.time.kind == TimeSpec::Kind::any) {
    lo = sim_.now();
    hi = sim_.now() + usec(kAnyTimeLimitUsec);
  } else if (e.time.kind == TimeSpec::Kind::absolute_range ||
             e.time.kind == TimeSpec::Kind::relative_range) {
    Instant base = e.time.kind == TimeSpec::Kind::absolute_range ? Instant::zero() : last_;
    hi = base + usec(e.time.end_usec) + tol;
  }
  while (sent_.empty()) {
    auto next = sim_.next_event_time();
    if (!next || *next > hi) break;
    step_once(hi);
  }
  if (sent_.empty()) {
    if (sim_.now() < hi) step_to(hi);
    throw Failure{p.pos, fmt::format("expected packet not sent by {} s:\n  expected: {}",
                                     time_text(hi), format_expected(p))};
  }
  Instant at = sent_.front().t;
  SeqSpace& space = space_for(sent_.front().p.tcp.dst_port);
  if (sent_.front().p.tcp.flags.syn()) space.script_local_isn = p.seq_start;
  std::vector<ScriptPacket> batch;
  // GSO: the packets sent at that same instant, contiguous in sequence space.
  for (const Sent& s : sent_) {
    if (s.t != at || s.p.tcp.dst_port != sent_.front().p.tcp.dst_port) break;
    ScriptPacket sp = to_script(s.p, s.t, space);
    if (!batch.empty() && (sp.seq != batch.back().seq + batch.back().length ||
                           sp.ack != batch.front().ack || sp.length == 0))
      break;
    batch.push_back(sp);
  }
  size_t n = 1;
  uint32_t len = batch[0].length;
  while (len < p.length && n < batch.size())
    len += batch[n++].length;
  if (len != p.length) n = 1;
  ScriptPacket actual = n > 1 ? merge_gso(batch, n) : batch[0];
  std::string diff;
  if (p.ports && (p.ports->first != actual.src_port || p.ports->second != actual.dst_port)) {
    diff = fmt::format("ports: expected {}>{}, actual {}>{}", p.ports->first, p.ports->second,
                       actual.src_port, actual.dst_port);
  }
  if (diff.empty()) diff = compare(p, actual, space);
  if (diff.empty() && (at < lo || at > hi)) {
    diff = fmt::format("timing: expected at {} s (tolerance {} us), sent at {} s", time_text(t),
                       tolerance_usec_, time_text(at));
  }
  if (!diff.empty()) {
    throw Failure{p.pos,
                  fmt::format("outbound packet mismatch: {}\n  expected: {}\n  actual:   "
                              "{}  (at {} s)",
                              diff, format_expected(p), format_actual(actual), time_text(at))};
  }
  for (size_t i = 0; i < n; ++i)
    sent_.pop_front();
  last_ = at;
}

RunResult Runner::run() {
  try {
    if (auto u = find_unmodelled(script_)) throw *u;
    configure();
    for (const Event& e : script_.events) {
      current_pos_ = e.pos;
      if (const auto* p = std::get_if<PacketSpec>(&e.action); p && p->outbound) {
        if (e.time.kind != TimeSpec::Kind::any)
          check_unexpected(event_time(e.time) - usec(tolerance_usec_), e.pos);
        outbound(e, *p);
        continue;
      }
      Instant t = event_time(e.time);
      step_to(t);
      check_unexpected(t, e.pos);
      if (const auto* p = std::get_if<PacketSpec>(&e.action)) {
        inbound(*p);
      } else if (const auto* c = std::get_if<SyscallSpec>(&e.action)) {
        syscall(e, *c);
      } else if (const auto* cmd = std::get_if<CommandSpec>(&e.action)) {
        command(*cmd);
      } else if (const auto* code_block = std::get_if<CodeSpec>(&e.action)) {
        code(*code_block);
      }
      if (e.time.kind != TimeSpec::Kind::none) last_ = t;
    }
    if (pending_) {
      step_to(pending_->end + usec(tolerance_usec_));
      if (pending_) {
        throw Failure{pending_->spec->pos,
                      fmt::format("{}() never returned", pending_->spec->name)};
      }
    }
  } catch (const Failure& f) {
    result_.verdict = Verdict::fail;
    result_.message = fmt::format("{}:{}:{}: {}", script_.file, f.pos.line, f.pos.col, f.message);
  } catch (const EventLimitExceeded& e) {
    result_.verdict = Verdict::fail;
    result_.message = fmt::format("{}: {}", script_.file, e.what());
  } catch (const Unsupported& u) {
    result_.verdict = Verdict::unsupported;
    result_.feature = u.feature;
    result_.message = fmt::format(
        "{}:{}:{}: not modelled by netsim: {}{}", script_.file, u.pos.line, u.pos.col, u.feature,
        u.detail.empty() || u.detail == u.feature ? "" : " (" + u.detail + ")");
  }
  result_.end_usec = (sim_.now() - Instant::zero()).ns() / 1000;
  sim_.trace().finish();
  return result_;
}

RunResult run_script(const Script& script, const RunOptions& options) {
  Runner r(script, options);
  return r.run();
}

}  // namespace netsim::drill
