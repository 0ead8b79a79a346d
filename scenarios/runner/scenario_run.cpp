// Building and running a scenario: topology, TCP hosts, apps, faults; then the run.
#include "scenarios/runner/scenario_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "protocols/tcp/tcp_info.hpp"
#include "scenarios/runner/expectation_probe.hpp"

namespace netsim {

tcp::Profile make_profile(const TcpSettings& s) {
  return s.to_profile();
}

namespace {

// Deterministic filler for `send: 1MB`: printable, so traces and diagrams stay readable, and
// position-dependent, so a misordered reassembly cannot go unnoticed.
// Byte i is kAlphabet[(i + i / 36) % 36]: block b of 36 bytes is the alphabet rotated by b, so
// it is copied from a doubled alphabet instead of computed byte by byte. The pattern repeats
// every 36 * 36 bytes, so one period (plus a window) is stored however large the send is: a
// 100 MB `send:` cost 100 MB and a quarter of the run's time, now 66 KB (Payload::periodic).
Payload generated_bytes(int64_t n) {
  static constexpr std::string_view kDoubled =
      "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789";
  constexpr size_t kBlock = kDoubled.size() / 2;
  constexpr size_t kPeriod = kBlock * kBlock;
  const auto size = static_cast<size_t>(n);
  std::vector<uint8_t> v(std::min(size, kPeriod + Payload::kPeriodicWindow));
  for (size_t start = 0, b = 0; start < v.size(); start += kBlock, ++b) {
    size_t len = std::min(kBlock, v.size() - start);
    std::memcpy(v.data() + start, kDoubled.data() + b % kBlock, len);
  }
  return Payload::periodic(std::move(v), kPeriod, size);
}

// The filler of every `size` payload is one buffer, generated once at the largest size any app
// asks for and shared as slices: byte i does not depend on the total, so a prefix equals what
// generated_bytes() of the smaller size gives. 10,000 apps sending 1 GiB then cost 1 GiB, not
// 10 TiB (issue 8, resource bounds).
Payload shared_filler(const Scenario& s) {
  int64_t largest = 0;
  for (const auto& a : s.apps) {
    if (const auto* sv = a.server(); sv && sv->reply.kind == DataSpec::Kind::size) {
      largest = std::max(largest, sv->reply.bytes);
    } else if (const auto* cl = a.client(); cl && cl->send.kind == DataSpec::Kind::size) {
      largest = std::max(largest, cl->send.bytes);
    } else if (const auto* sa = a.scripted()) {
      for (const auto& c : sa->script) {
        if (c.kind == AppCall::Kind::send && c.data.kind == DataSpec::Kind::size) {
          largest = std::max(largest, c.data.bytes);
        }
      }
    }
  }
  return generated_bytes(largest);
}

Payload payload_of(const DataSpec& d, const Payload& filler) {
  switch (d.kind) {
    case DataSpec::Kind::text:
      return Payload::from_string(d.text);
    case DataSpec::Kind::size:
      return filler.slice(0, static_cast<size_t>(d.bytes));
    case DataSpec::Kind::none:
    case DataSpec::Kind::echo:
      return {};
  }
  return {};
}

tcp::SocketOptions keepalive_options(const std::optional<KeepaliveSpec>& k) {
  tcp::SocketOptions o;
  if (k) {
    o.keepalive.enabled = true;
    o.keepalive.idle = k->idle;
    o.keepalive.interval = k->interval;
    o.keepalive.probes = k->probes;
  }
  return o;
}

// The app's setsockopt() calls before listen()/connect() (values checked by the loader), in
// their order: SO_RCVLOWAT is capped by the SO_RCVBUF set before it (tcp_set_rcvlowat()).
void apply_socket_options(tcp::SocketOptions& o, const SockOptList& list, const tcp::Profile& p) {
  for (const auto& [opt, value] : list)
    tcp::store_sockopt(o, opt, value, p);
}

apps::ClientClose client_close(ClosePolicy::Kind k) {
  switch (k) {
    case ClosePolicy::Kind::after_reply:
      return apps::ClientClose::after_reply;
    case ClosePolicy::Kind::after_send:
      return apps::ClientClose::after_send;
    case ClosePolicy::Kind::after_peer:
      return apps::ClientClose::after_peer;
    case ClosePolicy::Kind::never:
      return apps::ClientClose::never;
    case ClosePolicy::Kind::abort:
      return apps::ClientClose::abort;
    case ClosePolicy::Kind::at:
      return apps::ClientClose::at;
  }
  return apps::ClientClose::never;
}

apps::ServerClose server_close(ClosePolicy::Kind k) {
  switch (k) {
    case ClosePolicy::Kind::after_peer:
      return apps::ServerClose::after_peer;
    case ClosePolicy::Kind::after_reply:
    case ClosePolicy::Kind::after_send:
      return apps::ServerClose::after_reply;
    case ClosePolicy::Kind::never:
      return apps::ServerClose::never;
    case ClosePolicy::Kind::abort:
      return apps::ServerClose::abort;
    case ClosePolicy::Kind::at:
      return apps::ServerClose::at;
  }
  return apps::ServerClose::never;
}

}  // namespace

ScenarioRun::ScenarioRun(const Scenario& s) : scenario_(s), sim_(s.seed), net_(sim_) {
  check_real_hosts();
  build_topology();
  // Faults first: among events of one instant the earlier scheduled runs first, so a fault at
  // t takes effect before anything else at t (a link_down at 0 s stops the first SYN).
  schedule_faults();
  build_apps();
  probe_ = std::make_unique<ExpectationProbe>(s);
  if (probe_->needed()) sim_.trace().add_sink(probe_.get());
}

ScenarioRun::~ScenarioRun() = default;

void ScenarioRun::build_topology() {
  for (const auto& h : scenario_.hosts)
    net_.add_host(h.name, {h.address});
  for (const auto& r : scenario_.routers)
    net_.add_router(r.name);
  for (const auto& l : scenario_.links) {
    net_.add_link(*net_.find_node(l.a), *net_.find_node(l.b), l.a_to_b, l.b_to_a);
  }
  net_.compute_routes();
  for (const auto& h : scenario_.hosts) {
    if (h.tun) continue;  // the real Linux stack: realtime::TunBridge receives its packets
    NodeId id = *net_.find_node(h.name);
    hosts_.emplace(h.name, std::make_unique<tcp::TcpHost>(
                               sim_, net_, id, make_profile(scenario_.tcp_for(h)), h.name));
  }
}

// How much of each connection's data app `name` must keep: enough to tell a `received:
// "text"` expectation's text from a longer reception, and 61 bytes so that a failure can
// quote up to 60 (expectations.cpp); nothing when no such expectation names it.
static size_t received_to_keep(const Scenario& sc, const std::string& name) {
  size_t keep = 0;
  for (const auto& e : sc.expect) {
    if (e.kind == Expectation::Kind::received && e.app == name &&
        e.received.kind != DataSpec::Kind::size) {
      keep = std::max({keep, e.received.text.size() + 1, size_t{61}});
    }
  }
  return std::min(keep, apps::kReceivedKeep);
}

void ScenarioRun::build_apps() {
  const Payload filler = shared_filler(scenario_);
  for (const auto& a : scenario_.apps) {
    if (const auto* sv = a.server()) {
      apps::TcpServerConfig c;
      c.name = sv->name;
      c.port = sv->port;
      c.backlog = sv->backlog;
      c.reply = sv->reply.kind == DataSpec::Kind::echo   ? apps::ServerReply::echo
                : sv->reply.kind == DataSpec::Kind::none ? apps::ServerReply::none
                                                         : apps::ServerReply::fixed;
      c.reply_data = payload_of(sv->reply, filler);
      c.accept = sv->accept;
      c.close = server_close(sv->close.kind);
      c.close_at = sv->close.at;
      c.keep_received = received_to_keep(scenario_, sv->name);
      apply_socket_options(c.options, sv->socket_options, host(sv->on)->stack().profile());
      c.send_flags = sv->send_flags;
      c.options.read_size = sv->read_size;
      servers_.push_back(std::make_unique<apps::TcpServerApp>(sim_, *host(sv->on), std::move(c)));
    } else if (const auto* cl = a.client()) {
      apps::TcpClientConfig c;
      c.name = cl->name;
      c.remote = SocketAddr{cl->connect.address, cl->connect.port};
      if (cl->port != 0) c.local_port = cl->port;
      c.at = cl->at;
      c.data = payload_of(cl->send, filler);
      c.close = client_close(cl->close.kind);
      c.close_at = cl->close.at;
      c.shutdown = cl->shutdown;
      c.send_flags = cl->send_flags;
      c.options = keepalive_options(cl->keepalive);
      apply_socket_options(c.options, cl->socket_options, host(cl->on)->stack().profile());
      c.options.read_size = cl->read_size;
      c.count = static_cast<int>(cl->count);
      c.interval = cl->interval;
      c.keep_received = received_to_keep(scenario_, cl->name);
      clients_.push_back(std::make_unique<apps::TcpClientApp>(sim_, *host(cl->on), std::move(c)));
    } else if (const auto* fl = a.flood()) {
      apps::SynFloodConfig c;
      c.name = fl->name;
      c.attacker = *net_.find_node(fl->on);
      c.target = SocketAddr{fl->target.address, fl->target.port};
      c.interval = fl->rate.interval;
      c.start = fl->start;
      c.duration = fl->duration;
      if (fl->count) c.count = static_cast<uint64_t>(*fl->count);
      c.spoof = fl->spoof;
      floods_.push_back(std::make_unique<apps::SynFloodApp>(net_, std::move(c)));
    } else if (const auto* sa = a.scripted()) {
      scripted_.push_back(std::make_unique<ScriptedApp>(sim_, *host(sa->on), *sa, filler));
    }
  }
  // Servers listen at time zero, before any client connects.
  for (auto& s : servers_)
    s->start();
  for (auto& c : clients_)
    c->start();
  for (auto& f : floods_)
    f->start();
  for (auto& a : scripted_)
    a->start();
}

void ScenarioRun::schedule_faults() {
  for (const auto& f : scenario_.packet_faults)
    net_.add_fault(f.fault);
  for (const auto& f : scenario_.timed_faults) {
    sim_.schedule_at(Instant::zero() + f.at, [this, &f] {
      auto emit = [this](const std::string& host, const std::string& what, std::string detail) {
        if (sim_.trace().enabled()) {
          sim_.trace().emit(FaultRecord{sim_.now(), host, what, std::move(detail)});
        }
      };
      switch (f.kind) {
        case TimedFaultSpec::Kind::link_down:
        case TimedFaultSpec::Kind::link_up: {
          bool up = f.kind == TimedFaultSpec::Kind::link_up;
          NodeId a = *net_.find_node(f.a), b = *net_.find_node(f.b);
          net_.set_link_up(*net_.link_between(a, b), up);
          emit("", up ? "link_up" : "link_down", f.a + "-" + f.b);
          break;
        }
        case TimedFaultSpec::Kind::set_link: {
          NodeId a = *net_.find_node(f.a), b = *net_.find_node(f.b);
          LinkId l = *net_.link_between(a, b);
          Link& link = net_.link(l);
          net_.set_link_params(l, a, f.a_to_b.applied_to(link.from(a).params()));
          net_.set_link_params(l, b, f.b_to_a.applied_to(link.from(b).params()));
          emit("", "set_link", f.a + "-" + f.b);
          break;
        }
        case TimedFaultSpec::Kind::crash:
          // The cause before its effects: the apps' and the stack's CLOSED records follow.
          emit(f.host, "crash", "all TCP state lost");
          for (auto& c : clients_)
            if (c->report().host == f.host) c->on_host_crash(sim_.now());
          for (auto& s : servers_)
            if (s->report().host == f.host) s->on_host_crash(sim_.now());
          for (auto& a : scripted_)
            if (a->report().host == f.host) a->on_host_crash(sim_.now());
          host(f.host)->crash();
          break;
        case TimedFaultSpec::Kind::restart:
          emit(f.host, "restart", "listeners restored");
          restart_host(f.host);
          break;
        case TimedFaultSpec::Kind::inject:
          inject(f.segment);
          break;
      }
    });
  }
}

// The 4-tuple and sequence numbers of a raw segment, resolved now: relative numbers count from
// what the receiving connection expects (RCV.NXT for seq, SND.NXT for ack).
void ScenarioRun::inject(const RawSegmentSpec& s) {
  auto emit = [this, &s](std::string detail) {
    if (sim_.trace().enabled())
      sim_.trace().emit(FaultRecord{sim_.now(), s.from, "inject", detail});
  };
  Packet p;
  p.src = s.src.value_or(scenario_.find_host(s.from)->address);
  p.dst = scenario_.find_host(s.to)->address;
  p.tcp.src_port = s.sport;
  p.tcp.dst_port = s.dport;
  uint32_t seq_base = 0, ack_base = 0;
  if (s.connection) {
    const apps::AppReport* r = report(*s.connection);
    const apps::ConnectionReport* c = r && !r->connections.empty() ? &r->connections[0] : nullptr;
    bool to_client = r && s.to == r->host;
    SocketAddr dst = c ? (to_client ? c->local : c->remote) : SocketAddr{};
    SocketAddr src = c ? (to_client ? c->remote : c->local) : SocketAddr{};
    const tcp::Stack& st = host(s.to)->stack();
    const tcp::Connection* conn = nullptr;
    for (tcp::SocketId id : st.connection_ids()) {
      if (st.local_address(id) == dst && st.remote_address(id) == src) conn = st.connection(id);
    }
    if (!conn) {
      emit(fmt::format("skipped: {} has no connection of {} now", s.to, *s.connection));
      return;
    }
    tcp::TcpInfo info = tcp::tcp_info(*conn, sim_.now());
    seq_base = info.rcv_nxt.raw();
    ack_base = info.snd_nxt.raw();
    p.src = s.src.value_or(src.addr);
    p.dst = dst.addr;
    p.tcp.src_port = src.port;
    p.tcp.dst_port = dst.port;
  }
  p.tcp.seq = SeqNum(static_cast<uint32_t>(s.seq.relative ? seq_base + s.seq.value : s.seq.value));
  p.tcp.ack = SeqNum(static_cast<uint32_t>(s.ack.relative ? ack_base + s.ack.value : s.ack.value));
  p.tcp.flags = s.flags;
  p.tcp.window = s.window;
  p.tcp.options = s.options;
  p.tcp.payload = s.payload.kind == DataSpec::Kind::size ? generated_bytes(s.payload.bytes)
                                                         : Payload::from_string(s.payload.text);
  emit(fmt::format("{} toward {}", s.flags.to_string(), s.to));
  net_.send(*net_.find_node(s.from), std::move(p));
}

void ScenarioRun::restart_host(const std::string& name) {
  host(name)->restart();
  for (auto& s : servers_) {
    if (s->report().host == name) s->start();
  }
}

void ScenarioRun::run() {
  if (has_real_peers()) {
    throw std::logic_error(
        "a scenario with `tun:` hosts runs on the wall clock: use realtime::RealtimeSession");
  }
  if (scenario_.duration) {
    sim_.run_until(Instant::zero() + *scenario_.duration);
  } else {
    sim_.run();
  }
  ran_ = true;
  refresh_reports();
  // A run stopped from outside (the CLI's --max-wall guard) is incomplete: its sinks are not
  // finished, so file sinks (pcap) discard their temporaries instead of committing half a run.
  if (!sim_.stopped()) sim_.trace().finish();
}

// ---- real peers (realtime/) ---------------------------------------------------------------

// A `tun:` host has no simulated TCP stack, so nothing simulated can run on it or crash it.
void ScenarioRun::check_real_hosts() const {
  auto refuse = [](const SourcePos& pos, const std::string& what, const HostSpec& h) {
    throw std::invalid_argument(fmt::format(
        "{}: {} on {}: {} is the machine's real Linux stack (tun: {}); run a real program "
        "there instead (docs/real-peers.md)",
        pos.to_string(), what, h.name, h.name, *h.tun));
  };
  for (const auto& a : scenario_.apps) {
    const HostSpec* h = scenario_.find_host(a.on());
    if (h && h->tun) refuse(a.pos(), fmt::format("{} {}", a.kind_name(), a.name()), *h);
  }
  for (const auto& f : scenario_.timed_faults) {
    bool host_fault =
        f.kind == TimedFaultSpec::Kind::crash || f.kind == TimedFaultSpec::Kind::restart;
    const HostSpec* h = host_fault ? scenario_.find_host(f.host) : nullptr;
    if (h && h->tun) {
      refuse(f.pos, f.kind == TimedFaultSpec::Kind::crash ? "crash" : "restart", *h);
    }
  }
}

bool ScenarioRun::has_real_peers() const {
  for (const auto& h : scenario_.hosts) {
    if (h.tun) return true;
  }
  return false;
}

void ScenarioRun::run_driven(const std::function<void(std::optional<Instant> end)>& drive) {
  std::optional<Instant> end;
  if (scenario_.duration) end = Instant::zero() + *scenario_.duration;
  drive(end);
  ran_ = true;
  refresh_reports();
  sim_.trace().finish();
}

void ScenarioRun::refresh_reports() {
  for (auto& s : servers_)
    s->refresh();
  for (auto& c : clients_)
    c->refresh();
  for (auto& a : scripted_)
    a->refresh();
}

tcp::TcpHost* ScenarioRun::host(std::string_view name) {
  auto it = hosts_.find(name);
  return it == hosts_.end() ? nullptr : it->second.get();
}

const tcp::TcpHost* ScenarioRun::host(std::string_view name) const {
  auto it = hosts_.find(name);
  return it == hosts_.end() ? nullptr : it->second.get();
}

std::vector<const apps::AppReport*> ScenarioRun::reports() const {
  // In the file's order of apps.
  std::vector<const apps::AppReport*> out;
  size_t si = 0, ci = 0, fi = 0, ai = 0;
  for (const auto& a : scenario_.apps) {
    if (a.server()) out.push_back(&servers_[si++]->report());
    if (a.client()) out.push_back(&clients_[ci++]->report());
    if (a.flood()) out.push_back(&floods_[fi++]->report());
    if (a.scripted()) out.push_back(&scripted_[ai++]->report());
  }
  return out;
}

const apps::AppReport* ScenarioRun::report(std::string_view name) const {
  for (const auto* r : reports()) {
    if (r->name == name) return r;
  }
  return nullptr;
}

}  // namespace netsim
