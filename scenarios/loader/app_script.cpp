// Reading a `tcp_app`'s `script:`: a list of socket calls (connect, listen, accept, send, recv,
// sleep, shutdown, close, abort, setsockopt), each optionally held until `at: T`; a send may
// carry `flags: [MSG_MORE, MSG_EOR]`. The loader checks the order a real program would need
// (a socket before send, listen before accept).
#include <fmt/format.h>

#include <array>
#include <map>

#include "protocols/tcp/msg_flags.hpp"
#include "scenarios/loader/sections.hpp"

namespace netsim::loader {
namespace {

using Kind = AppCall::Kind;

struct CallName {
  std::string_view key;
  Kind kind;
  bool needs_value;  // false: written alone (`- close`) or with a null/true value
};

constexpr std::array<CallName, 10> kCalls{{
    {"sleep", Kind::sleep, true},
    {"connect", Kind::connect, true},
    {"listen", Kind::listen, true},
    {"accept", Kind::accept, false},
    {"send", Kind::send, true},
    {"recv", Kind::recv, true},
    {"shutdown", Kind::shutdown, false},
    {"close", Kind::close, false},
    {"abort", Kind::abort, false},
    {"setsockopt", Kind::setsockopt, true},
}};

constexpr std::string_view kCallList =
    "connect, listen, accept, send, recv, sleep, shutdown, close, abort or setsockopt";

const CallName* find_call(std::string_view key) {
  for (const auto& c : kCalls) {
    if (c.key == key) return &c;
  }
  return nullptr;
}

void read_listen(Reader& r, const YAML::Node& v, const std::string& path, AppCall& c) {
  if (v.IsMap()) {
    MapView m(r, v, path, {"port", "backlog"});
    if (m.require("port", "the port to listen on")) {
      c.port = read_port(r, *m.get("port"), m.path("port")).value_or(0);
    }
    if (auto b = m.get("backlog")) {
      c.backlog = static_cast<int>(read_int(r, *b, m.path("backlog"), 0, 1'000'000).value_or(128));
    }
    return;
  }
  c.port = read_port(r, v, path).value_or(0);
}

void read_recv(Reader& r, const YAML::Node& v, const std::string& path, AppCall& c) {
  static const std::map<std::string, AppCall::Recv, std::less<>> kWords{
      {"all", AppCall::Recv::all}, {"eof", AppCall::Recv::eof}, {"stop", AppCall::Recv::stop}};
  if (v.IsScalar() && !is_quoted(v)) {
    auto it = kWords.find(v.Scalar());
    if (it != kWords.end()) {
      c.recv = it->second;
      return;
    }
  }
  if (!v.IsScalar() || is_quoted(v) || v.Scalar().empty() ||
      !std::isdigit(static_cast<unsigned char>(v.Scalar().front()))) {
    r.error(v, path,
            fmt::format("expected a size like 100B, all (read everything from now on), eof "
                        "(read until the peer's FIN) or stop, found {}",
                        v.IsScalar() ? quoted(v.Scalar()) : std::string("a collection")));
    return;
  }
  if (auto b = read_size(r, v, path)) {
    c.recv = AppCall::Recv::bytes;
    c.recv_bytes = b->count();
    if (c.recv_bytes == 0) r.error(v, path, "expected at least 1 byte, found 0");
  }
}

void read_setsockopt(Reader& r, const YAML::Node& v, const std::string& path, AppCall& c) {
  if (!expect_map(r, v, path, "a map of options (keepalive, linger, syncnt)")) return;
  MapView m(r, v, path, {"keepalive", "linger", "syncnt"});
  if (auto k = m.get("keepalive")) {
    c.keepalive = read_keepalive(r, *k, m.path("keepalive"));
    c.keepalive_off = !c.keepalive && k->IsScalar();  // false: SO_KEEPALIVE off
    // TCP_KEEPIDLE and TCP_KEEPINTVL refuse more than MAX_TCP_KEEPIDLE/KEEPINTVL (32767 s).
    for (const char* key : {"idle", "interval"}) {
      if (!c.keepalive) break;
      const auto& d = std::string_view(key) == "idle" ? c.keepalive->idle : c.keepalive->interval;
      if (d && *d > Duration::seconds(32767)) {
        r.error((*k)[key], m.path("keepalive") + "." + key,
                fmt::format("expected at most 32767s (Linux's limit), found {}",
                            quoted((*k)[key].Scalar())));
      }
    }
  }
  if (auto l = m.get("linger")) {
    // SO_LINGER {1, 0} is the only linger netsim models (close() then sends RST); `off`
    // restores the default FIN.
    if (l->IsScalar() && l->Scalar() == "off") {
      c.linger_zero = false;
    } else if (auto d = read_duration(r, *l, m.path("linger"), Zero::allowed)) {
      if (d->ns() != 0) {
        r.error(*l, m.path("linger"),
                fmt::format("expected 0 (SO_LINGER {{1, 0}}: close sends RST) or off, found {} "
                            "(a lingering close is not modelled)",
                            quoted(l->Scalar())));
      }
      c.linger_zero = true;
    }
  }
  if (auto n = m.get("syncnt")) {
    if (auto x = read_int(r, *n, m.path("syncnt"), 1, 127)) c.syncnt = static_cast<int>(*x);
  }
  if (m.entries().empty()) r.error(v, path, "expected at least one of keepalive, linger, syncnt");
}

void read_value(Reader& r, const YAML::Node& v, const std::string& path, const Scenario& sc,
                AppCall& c) {
  switch (c.kind) {
    case Kind::sleep:
      c.sleep = read_duration(r, v, path, Zero::allowed).value_or(Duration{});
      break;
    case Kind::connect:
      if (auto ep = read_endpoint(r, v, path, sc)) c.remote = *ep;
      break;
    case Kind::listen:
      read_listen(r, v, path, c);
      break;
    case Kind::send:
      c.data = read_data(r, v, path, false).value_or(DataSpec{});
      break;
    case Kind::recv:
      read_recv(r, v, path, c);
      break;
    case Kind::setsockopt:
      read_setsockopt(r, v, path, c);
      break;
    case Kind::wait:
    case Kind::accept:
    case Kind::shutdown:
    case Kind::close:
    case Kind::abort:
      // Written `close: true` or `close:` (null) when combined with `at`.
      if (!v.IsNull() && !(v.IsScalar() && v.Scalar() == "true")) {
        r.error(v, path, "expected no value (write `- close`, or `{close: true, at: 2s}`)");
      }
      break;
  }
}

std::optional<AppCall> read_call(Reader& r, const YAML::Node& item, const std::string& path,
                                 const Scenario& sc) {
  AppCall c;
  c.pos = r.pos(item);
  if (item.IsScalar()) {
    const CallName* call = find_call(item.Scalar());
    if (!call || call->needs_value) {
      r.error(item, path,
              call ? fmt::format("expected {{{}: ...}} ({} needs a value)", call->key, call->key)
                   : fmt::format("expected a socket call ({}), found {}", kCallList,
                                 quoted(item.Scalar())));
      return std::nullopt;
    }
    c.kind = call->kind;
    return c;
  }
  if (!expect_map(r, item, path, fmt::format("a socket call ({})", kCallList))) return std::nullopt;
  std::vector<std::string_view> keys{"at", "flags"};
  for (const auto& k : kCalls)
    keys.push_back(k.key);
  MapView m(r, item, path, std::span<const std::string_view>(keys));
  const MapView::Entry* chosen = nullptr;
  for (const auto& e : m.entries()) {
    if (e.key == "at" || e.key == "flags") continue;
    if (chosen) {
      r.error(e.key_node, path,
              fmt::format("expected one call per step, found {} and {}", chosen->key, e.key));
      return std::nullopt;
    }
    chosen = &e;
  }
  if (auto at = m.get("at")) c.at = read_duration(r, *at, m.path("at"), Zero::allowed);
  if (!chosen) {
    if (auto f = m.get("flags")) {
      r.error(*f, m.path("flags"), "expected flags only beside send (send() flags)");
      return std::nullopt;
    }
    if (!m.has("at")) {
      r.error(item, path, fmt::format("expected a socket call ({}), found none", kCallList));
      return std::nullopt;
    }
    return c;  // {at: T}: wait until T
  }
  c.kind = find_call(chosen->key)->kind;
  read_value(r, chosen->value, m.path(chosen->key), sc, c);
  if (auto f = m.get("flags")) {
    if (c.kind == Kind::send) {
      c.send_flags = read_send_flags(r, *f, m.path("flags"));
    } else {
      r.error(*f, m.path("flags"),
              fmt::format("expected flags only beside send (send() flags), found them beside {}",
                          chosen->key));
    }
  }
  return c;
}

// What a program would trip over: a call on a socket it does not have.
void check_order(Reader& r, const YAML::Node& item, const std::string& path, const AppCall& c,
                 bool& connection, bool& listener) {
  auto refuse = [&](std::string_view what) { r.error(item, path, std::string(what)); };
  switch (c.kind) {
    case Kind::connect:
      if (connection) refuse("expected close or abort before another connect");
      if (listener) refuse("expected connect on a host that does not listen in the same script");
      connection = true;
      break;
    case Kind::listen:
      if (listener || connection) refuse("expected listen once, before any connection");
      listener = true;
      break;
    case Kind::accept:
      if (!listener) refuse("expected listen before accept");
      if (connection) refuse("expected close or abort before the next accept");
      connection = true;
      break;
    case Kind::send:
    case Kind::recv:
    case Kind::shutdown:
      if (!connection) refuse("expected connect or accept before this call (no connection yet)");
      break;
    case Kind::close:
    case Kind::abort:
      if (!connection) refuse("expected connect or accept before this call (no connection yet)");
      connection = false;
      break;
    case Kind::wait:
    case Kind::sleep:
    case Kind::setsockopt:
      break;
  }
}

}  // namespace

std::vector<AppCall> read_app_script(Reader& r, const YAML::Node& n, const std::string& path,
                                     const Scenario& sc) {
  std::vector<AppCall> out;
  if (!expect_list(r, n, path, "a list of socket calls like [{connect: server:80}, close]")) {
    return out;
  }
  if (n.size() == 0) {
    r.error(n, path, "expected at least one socket call, found an empty list");
    return out;
  }
  if (static_cast<int64_t>(n.size()) > r.limits().max_expectations) {
    r.error(n, path,
            fmt::format("expected at most {} calls (the max_expectations limit), found {}",
                        r.limits().max_expectations, n.size()));
    return out;
  }
  bool connection = false, listener = false;
  for (size_t i = 0; i < n.size(); ++i) {
    std::string p = index_path(path, i);
    size_t before = r.error_count();
    auto c = read_call(r, n[i], p, sc);
    if (!c) continue;
    if (r.error_count() == before) check_order(r, n[i], p, *c, connection, listener);
    out.push_back(std::move(*c));
  }
  return out;
}

// `flags: [MSG_MORE, MSG_EOR]` beside a tcp_app's `send`, a tcp_client's or tcp_server's
// `send_flags:`: send()'s flags, by their C names.
uint32_t read_send_flags(Reader& r, const YAML::Node& v, const std::string& path) {
  static const std::map<std::string, uint32_t, std::less<>> kFlags{{"MSG_MORE", tcp::kMsgMore},
                                                                   {"MSG_EOR", tcp::kMsgEor}};
  uint32_t flags = 0;
  if (!expect_list(r, v, path, "a list of send() flags like [MSG_MORE] (MSG_MORE, MSG_EOR)"))
    return flags;
  for (size_t i = 0; i < v.size(); ++i) {
    auto it = v[i].IsScalar() ? kFlags.find(v[i].Scalar()) : kFlags.end();
    if (it == kFlags.end()) {
      r.error(v[i], index_path(path, i),
              fmt::format("expected MSG_MORE or MSG_EOR, found {}",
                          v[i].IsScalar() ? quoted(v[i].Scalar()) : std::string("a collection")));
      continue;
    }
    flags |= it->second;
  }
  return flags;
}

}  // namespace netsim::loader
