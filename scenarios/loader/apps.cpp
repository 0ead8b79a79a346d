// Reading `apps:`: tcp_server, tcp_client and syn_flood with every key of SCENARIO_SPEC.md and
// its default, plus the cross-checks between apps (unique names, one listener per host:port).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>

#include "scenarios/loader/sections.hpp"

namespace netsim::loader {

std::optional<DataSpec> read_data(Reader& r, const YAML::Node& n, const std::string& path,
                                  bool keywords_allowed) {
  std::string_view what = keywords_allowed ? "echo, none, \"text\" or a size like \"10KB\""
                                           : "\"text\" or a size like \"10KB\"";
  auto s = read_text(r, n, path, what);
  if (!s) return std::nullopt;
  DataSpec d;
  if (is_quoted(n)) {  // quoted: always text, even "echo" or "10KB"
    d.kind = s->empty() ? DataSpec::Kind::none : DataSpec::Kind::text;
    d.text = *s;
    d.bytes = static_cast<int64_t>(s->size());
    return d;
  }
  if (keywords_allowed && (*s == "echo" || *s == "none")) {
    d.kind = *s == "echo" ? DataSpec::Kind::echo : DataSpec::Kind::none;
    return d;
  }
  bool digits_only = !s->empty() && std::all_of(s->begin(), s->end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
  if (digits_only) {
    r.error(n, path,
            fmt::format("expected {}, found {} (write \"{}B\" for bytes, or quote it for text)",
                        what, quoted(*s), *s));
    return std::nullopt;
  }
  if (std::isdigit(static_cast<unsigned char>(s->front()))) {
    // Starts like a number: it must be a size; "10 apples" is more likely a bad unit than text.
    auto b = read_size(r, n, path);
    if (!b) return std::nullopt;
    if (b->count() > r.limits().max_data_bytes) {
      r.error(
          n, path,
          fmt::format("expected at most {} (the max_data_bytes limit), found {}",
                      format_byte_size(ByteSize::bytes(r.limits().max_data_bytes)), quoted(*s)));
      return std::nullopt;
    }
    d.kind = b->count() == 0 ? DataSpec::Kind::none : DataSpec::Kind::size;
    d.bytes = b->count();
    return d;
  }
  d.kind = DataSpec::Kind::text;
  d.text = *s;
  d.bytes = static_cast<int64_t>(s->size());
  return d;
}

std::optional<KeepaliveSpec> read_keepalive(Reader& r, const YAML::Node& n,
                                            const std::string& path) {
  if (n.IsScalar()) {
    auto on = read_bool(r, n, path);
    if (!on || !*on) return std::nullopt;
    return KeepaliveSpec{};
  }
  if (!expect_map(r, n, path, "true, false or {idle, interval, probes}")) return std::nullopt;
  MapView m(r, n, path, {"idle", "interval", "probes"});
  KeepaliveSpec k;
  if (auto v = m.get("idle")) k.idle = read_duration(r, *v, m.path("idle"), Zero::refused);
  if (auto v = m.get("interval")) {
    k.interval = read_duration(r, *v, m.path("interval"), Zero::refused);
  }
  if (auto v = m.get("probes")) {
    if (auto p = read_int(r, *v, m.path("probes"), 1, 127)) k.probes = static_cast<int>(*p);
  }
  return k;
}

namespace {

// close: one of the named policies (those `allowed` for this app kind) or {at: T}.
std::optional<ClosePolicy> read_close(Reader& r, const YAML::Node& n, const std::string& path,
                                      const std::vector<std::string>& allowed) {
  if (n.IsMap()) {
    MapView m(r, n, path, {"at"});
    if (!m.require("at", "when to close, measured from connect() or accept()")) {
      return std::nullopt;
    }
    auto at = read_duration(r, *m.get("at"), m.path("at"), Zero::allowed);
    if (!at) return std::nullopt;
    return ClosePolicy{ClosePolicy::Kind::at, *at};
  }
  if (n.IsScalar() && n.Scalar() == "after_send" &&
      std::find(allowed.begin(), allowed.end(), "after_send") == allowed.end()) {
    // A server has nothing of its own to send: its reply is covered by after_reply.
    r.error(n, path,
            "expected one of after_peer, after_reply, never, abort, {at: T}, found "
            "\"after_send\", which only a tcp_client has");
    return std::nullopt;
  }
  std::vector<std::string> choices = allowed;
  choices.push_back("{at: T}");
  auto i = read_choice(r, n, path, choices);
  if (!i) return std::nullopt;
  if (*i == allowed.size()) {
    r.error(n, path, "expected a map like {at: 3s}, found the text \"{at: T}\"");
    return std::nullopt;
  }
  static const std::map<std::string, ClosePolicy::Kind> kKinds{
      {"after_peer", ClosePolicy::Kind::after_peer},
      {"after_reply", ClosePolicy::Kind::after_reply},
      {"after_send", ClosePolicy::Kind::after_send},
      {"never", ClosePolicy::Kind::never},
      {"abort", ClosePolicy::Kind::abort}};
  return ClosePolicy{kKinds.at(allowed[*i]), {}};
}

// `socket_options: {TCP_NODELAY: true, TCP_MAXSEG: 1000, SO_RCVBUF: 16384, ...}`: names as
// setsockopt() spells them; values checked as do_tcp_setsockopt() / sk_setsockopt() check them.
SockOptList read_socket_options(Reader& r, const YAML::Node& n, const std::string& path) {
  SockOptList list;
  if (!expect_map(r, n, path, "a map of socket options (TCP_NODELAY, SO_RCVBUF, ...)")) return list;
  std::vector<std::string_view> names;
  for (tcp::SockOpt o : tcp::all_sockopts())
    names.push_back(tcp::to_string(o));
  MapView m(r, n, path, std::span<const std::string_view>(names));
  for (const MapView::Entry& e : m.entries()) {
    const tcp::SockOpt o = *tcp::sockopt_from_name(e.key);
    const std::string p = m.path(e.key);
    std::optional<int64_t> v;
    switch (o) {
      case tcp::SockOpt::tcp_nodelay:
      case tcp::SockOpt::tcp_cork:
        if (auto b = read_flag01(r, e.value, p)) v = *b ? 1 : 0;
        break;
      case tcp::SockOpt::tcp_user_timeout:
        // A duration (0 = off), given to the kernel in ms.
        if (auto d = read_duration(r, e.value, p, Zero::allowed)) {
          v = d->ns() / 1'000'000;
          if (v > INT32_MAX) {
            r.error(e.value, p, fmt::format("expected at most {} ms, found {} ms", INT32_MAX, *v));
            v.reset();
          }
        }
        break;
      case tcp::SockOpt::tcp_maxseg:
        v = read_int(r, e.value, p, tcp::kTcpMinMss, tcp::kMaxTcpWindow);
        break;
      case tcp::SockOpt::so_rcvbuf:
      case tcp::SockOpt::so_sndbuf:
        v = read_int(r, e.value, p, 0, INT32_MAX);  // capped at rmem_max/wmem_max, then doubled
        break;
      case tcp::SockOpt::tcp_notsent_lowat:
        v = read_int(r, e.value, p, 0, INT32_MAX);  // bytes; 0 = tcp_notsent_lowat's
        break;
      case tcp::SockOpt::so_rcvlowat:
        v = read_int(r, e.value, p, 0, INT32_MAX);  // bytes; 0 = 1 (sk_rcvlowat)
        break;
    }
    if (v) list.emplace_back(o, static_cast<int>(*v));
  }
  return list;
}

// `on`: a host (apps never run on routers).
std::string read_on(Reader& r, const MapView& m, const Scenario& sc) {
  if (!m.require("on", "the host the app runs on")) return {};
  const HostSpec* h = read_host_ref(r, *m.get("on"), m.path("on"), sc);
  return h ? h->name : std::string();
}

std::string read_app_name(Reader& r, const MapView& m, std::string_view kind, size_t index) {
  if (auto v = m.get("name")) {
    if (auto name = read_name(r, *v, m.path("name"))) return *name;
  }
  return fmt::format("{}#{}", kind, index);
}

// `read_size: 64KB`: the len of each read() a tcp_server/tcp_client makes of what arrived,
// 1 byte to INT_MAX (read() takes a size_t, Linux copies at most INT_MAX per call).
uint32_t read_read_size(Reader& r, const YAML::Node& n, const std::string& path) {
  auto b = read_size(r, n, path);
  if (!b) return 0;
  if (b->count() < 1 || b->count() > INT32_MAX) {
    r.error(n, path,
            fmt::format("expected a size from 1B to 2147483647B, found {}", quoted(n.Scalar())));
    return 0;
  }
  return static_cast<uint32_t>(b->count());
}

TcpServerSpec read_server(Reader& r, const MapView& m, const Scenario& sc, size_t index) {
  TcpServerSpec s;
  s.name = read_app_name(r, m, "tcp_server", index);
  s.on = read_on(r, m, sc);
  if (m.require("port", "the port it listens on")) {
    s.port = read_port(r, *m.get("port"), m.path("port")).value_or(0);
  }
  if (auto v = m.get("backlog")) {
    s.backlog = static_cast<int>(read_int(r, *v, m.path("backlog"), 0, 1'000'000).value_or(128));
  }
  if (auto v = m.get("reply")) s.reply = read_data(r, *v, m.path("reply"), true).value_or(s.reply);
  if (auto v = m.get("accept")) s.accept = read_bool(r, *v, m.path("accept")).value_or(true);
  if (auto v = m.get("close")) {
    static const std::vector<std::string> kServerClose{"after_peer", "after_reply", "never",
                                                       "abort"};
    s.close = read_close(r, *v, m.path("close"), kServerClose).value_or(s.close);
  }
  if (auto v = m.get("socket_options")) {
    s.socket_options = read_socket_options(r, *v, m.path("socket_options"));
  }
  if (auto v = m.get("send_flags")) s.send_flags = read_send_flags(r, *v, m.path("send_flags"));
  if (auto v = m.get("read_size")) s.read_size = read_read_size(r, *v, m.path("read_size"));
  return s;
}

// Virtual time is int64 nanoseconds (about 292 years): a schedule whose last event lies beyond
// kScheduleEnd is refused here, with room left for the timers that follow it, instead of
// overflowing at run time (issue 17 §3).
constexpr Duration kScheduleEnd = Duration::hours(24 * 365 * 290);

// `first + step * n` if it stays within kScheduleEnd.
std::optional<Duration> schedule_end(Duration first, Duration step, int64_t n) {
  int64_t span = 0, end = 0;
  if (__builtin_mul_overflow(step.ns(), n, &span) ||
      __builtin_add_overflow(first.ns(), span, &end) || end > kScheduleEnd.ns()) {
    return std::nullopt;
  }
  return Duration::nanoseconds(end);
}

void check_schedule(Reader& r, const MapView& m, std::string_view key, Duration first,
                    Duration step, int64_t n, std::string_view what) {
  if (schedule_end(first, step, n)) return;
  const MapView::Entry* e = m.entry(key);
  r.error(e ? e->value : m.node(), m.path(key),
          fmt::format("expected a schedule that ends within 290 years (virtual time is 64-bit "
                      "nanoseconds), found {} {} every {} from {}",
                      n + 1, what, format_duration(step), format_duration(first)));
}

TcpClientSpec read_client(Reader& r, const MapView& m, const Scenario& sc, size_t index) {
  TcpClientSpec c;
  c.name = read_app_name(r, m, "tcp_client", index);
  c.on = read_on(r, m, sc);
  if (auto v = m.get("port")) c.port = read_port(r, *v, m.path("port"), true).value_or(0);
  if (m.require("connect", "where to connect, like server:80")) {
    if (auto ep = read_endpoint(r, *m.get("connect"), m.path("connect"), sc)) c.connect = *ep;
  }
  if (auto v = m.get("at")) c.at = read_duration(r, *v, m.path("at"), Zero::allowed).value_or(c.at);
  if (auto v = m.get("send")) {
    auto d = read_data(r, *v, m.path("send"), false);
    if (d) c.send = *d;
  }
  if (auto v = m.get("close")) {
    static const std::vector<std::string> kClientClose{"after_reply", "after_send", "after_peer",
                                                       "never", "abort"};
    c.close = read_close(r, *v, m.path("close"), kClientClose).value_or(c.close);
  }
  if (auto v = m.get("shutdown")) c.shutdown = read_bool(r, *v, m.path("shutdown")).value_or(false);
  if (auto v = m.get("send_flags")) c.send_flags = read_send_flags(r, *v, m.path("send_flags"));
  if (auto v = m.get("read_size")) c.read_size = read_read_size(r, *v, m.path("read_size"));
  if (auto v = m.get("keepalive")) c.keepalive = read_keepalive(r, *v, m.path("keepalive"));
  if (auto v = m.get("socket_options")) {
    c.socket_options = read_socket_options(r, *v, m.path("socket_options"));
  }
  if (auto v = m.get("count")) {
    c.count = read_int(r, *v, m.path("count"), 1, r.limits().max_connections, "max_connections")
                  .value_or(1);
  }
  if (auto v = m.get("interval")) {
    c.interval = read_duration(r, *v, m.path("interval"), Zero::allowed).value_or(c.interval);
  }
  if (c.count > 1) {
    check_schedule(r, m, m.has("interval") ? "interval" : "count", c.at, c.interval, c.count - 1,
                   "connections");
  }
  if (c.port != 0 && c.count > 1) {
    // Each connection needs its own 4-tuple; a fixed port would collide with the one before.
    r.error(*m.get("port"), m.path("port"),
            fmt::format("expected no fixed port with count {} (each connection needs its own "
                        "port), found {}",
                        c.count, c.port));
  }
  return c;
}

SynFloodSpec read_flood(Reader& r, const MapView& m, const Scenario& sc, size_t index) {
  SynFloodSpec f;
  f.name = read_app_name(r, m, "syn_flood", index);
  f.on = read_on(r, m, sc);
  if (m.require("target", "the endpoint it floods, like server:80")) {
    if (auto ep = read_endpoint(r, *m.get("target"), m.path("target"), sc)) f.target = *ep;
  }
  if (m.require("rate", "SYNs per second, like 5000/s")) {
    if (auto rate = read_packet_rate(r, *m.get("rate"), m.path("rate"))) f.rate = *rate;
  }
  if (auto v = m.get("start")) {
    f.start = read_duration(r, *v, m.path("start"), Zero::allowed).value_or(f.start);
  }
  if (m.has("duration") && m.has("count")) {
    r.error(m.entry("count")->key_node, m.path("count"),
            "expected either duration or count, found both");
  } else if (!m.has("duration") && !m.has("count")) {
    r.error(m.node(), m.path(), "missing key \"duration\" or \"count\" (how long the flood lasts)");
  }
  if (auto v = m.get("duration"))
    f.duration = read_duration(r, *v, m.path("duration"), Zero::refused);
  if (auto v = m.get("count")) {
    f.count =
        read_int(r, *v, m.path("count"), 1, r.limits().max_flood_packets, "max_flood_packets");
  }
  if (f.duration && f.rate.interval.ns() > 0 && f.total_packets() > r.limits().max_flood_packets) {
    r.error(*m.get("duration"), m.path("duration"),
            fmt::format("expected at most {} SYNs (the max_flood_packets limit), found {} at "
                        "this rate",
                        r.limits().max_flood_packets, f.total_packets()));
  }
  if (f.count && f.rate.interval.ns() > 0) {
    check_schedule(r, m, "count", f.start, f.rate.interval, *f.count - 1, "SYNs");
  }
  if (auto v = m.get("spoof")) {
    if (!(v->IsScalar() && v->Scalar() == "none")) f.spoof = read_prefix(r, *v, m.path("spoof"));
  }
  return f;
}

void read_one_app(Reader& r, const YAML::Node& item, size_t i, Scenario& sc) {
  std::string path = index_path("apps", i);
  if (!expect_map(r, item, path,
                  "a map with one app kind (tcp_server, tcp_client, syn_flood or tcp_app)")) {
    return;
  }
  MapView kinds(r, item, path, {"tcp_server", "tcp_client", "syn_flood", "tcp_app"});
  const MapView::Entry* chosen = nullptr;
  for (const MapView::Entry& entry : kinds.entries()) {
    const MapView::Entry* e = &entry;
    if (chosen) {
      r.error(
          e->key_node, path,
          fmt::format("expected one app kind per list item, found {} and {}", chosen->key, e->key));
      return;
    }
    chosen = e;
  }
  if (!chosen) {
    if (item.size() == 0) {
      r.error(item, path,
              "expected one app kind (tcp_server, tcp_client, syn_flood or tcp_app), found none");
    }
    return;  // an unknown kind was reported by the MapView
  }
  std::string kpath = join_path(path, chosen->key);
  if (!expect_map(r, chosen->value, kpath, fmt::format("a map of {} settings", chosen->key))) {
    return;
  }
  size_t errors_before = r.error_count();
  AppSpec app;
  if (chosen->key == "tcp_server") {
    MapView m(r, chosen->value, kpath,
              {"name", "on", "port", "backlog", "reply", "accept", "close", "socket_options",
               "send_flags", "read_size"});
    app.app = read_server(r, m, sc, i);
  } else if (chosen->key == "tcp_client") {
    MapView m(r, chosen->value, kpath,
              {"name", "on", "port", "connect", "at", "send", "close", "shutdown", "keepalive",
               "count", "interval", "socket_options", "send_flags", "read_size"});
    app.app = read_client(r, m, sc, i);
  } else if (chosen->key == "tcp_app") {
    MapView m(r, chosen->value, kpath, {"name", "on", "script"});
    TcpAppSpec a;
    a.name = read_app_name(r, m, "tcp_app", i);
    a.on = read_on(r, m, sc);
    if (m.require("script", "the list of socket calls")) {
      a.script = read_app_script(r, *m.get("script"), m.path("script"), sc);
    }
    app.app = std::move(a);
  } else {
    MapView m(r, chosen->value, kpath,
              {"name", "on", "target", "rate", "start", "duration", "count", "spoof"});
    app.app = read_flood(r, m, sc, i);
  }
  std::visit([&](auto& a) { a.pos = r.pos(item); }, app.app);
  if (const AppSpec* other = sc.find_app(app.name())) {
    const YAML::Node name_node = chosen->value["name"];
    r.error(name_node.IsDefined() ? name_node : item, join_path(kpath, "name"),
            fmt::format("app name {} is already used (line {})", quoted(app.name()),
                        other->pos().line));
    return;
  }
  // An app with errors is still added, so that expectations naming it do not report it as
  // unknown; the scenario is refused anyway.
  const auto* s = app.server();
  if (s && r.error_count() == errors_before) {
    for (const auto& o : sc.apps) {
      const auto* os = o.server();
      if (os && os->on == s->on && os->port == s->port) {
        r.error(chosen->value["port"], join_path(kpath, "port"),
                fmt::format("port {} on host {} is already used by server {}", s->port,
                            quoted(s->on), quoted(os->name)));
        return;
      }
    }
  }
  sc.apps.push_back(std::move(app));
}

}  // namespace

void read_apps(Reader& r, const YAML::Node& n, Scenario& sc) {
  if (!check_list_section(r, n, "apps", r.limits().max_apps, "max_apps", "apps")) return;
  for (size_t i = 0; i < n.size(); ++i)
    read_one_app(r, n[i], i, sc);
}

}  // namespace netsim::loader
