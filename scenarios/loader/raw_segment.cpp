// Reading `{at: T, inject: {...}}`: a hand-written TCP segment (flags, seq/ack absolute or
// relative to a connection, window, options, payload) sent toward a host at a time, for the
// RFC 5961 / RFC 9293 §3.10.7 stories (a RST with a given seq, SYN+RST, data without ACK).
#include <fmt/format.h>

#include <charconv>

#include "scenarios/loader/sections.hpp"

namespace netsim::loader {
namespace {

constexpr std::string_view kNumberWhat =
    "a sequence number 0..4294967295, or with `connection` an offset like \"+0\" or \"-1\"";

std::optional<RawSegmentSpec::Number> read_number(Reader& r, const YAML::Node& n,
                                                  const std::string& path, bool relative_ok) {
  if (!n.IsScalar()) {
    r.error(n, path, fmt::format("expected {}, found {}", kNumberWhat, describe(n)));
    return std::nullopt;
  }
  std::string_view s = n.Scalar();
  RawSegmentSpec::Number out;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    if (!relative_ok) {
      r.error(n, path,
              fmt::format("expected an absolute number, found {} (an offset needs `connection`)",
                          quoted(s)));
      return std::nullopt;
    }
    out.relative = true;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.size() == 1 || v > 0xffffffffLL) {
      r.error(n, path, fmt::format("expected {}, found {}", kNumberWhat, quoted(s)));
      return std::nullopt;
    }
    out.value = s.front() == '-' ? -v : v;
    return out;
  }
  auto v = read_int(r, n, path, 0, 0xffffffffLL);
  if (!v) return std::nullopt;
  out.value = *v;
  return out;
}

void read_options(Reader& r, const YAML::Node& n, const std::string& path, TcpOptions& o) {
  if (!expect_map(r, n, path, "a map of TCP options (mss, wscale, sack_ok, ts)")) return;
  MapView m(r, n, path, {"mss", "wscale", "sack_ok", "ts"});
  if (auto v = m.get("mss")) {
    if (auto x = read_int(r, *v, m.path("mss"), 0, 65535)) o.mss = static_cast<uint16_t>(*x);
  }
  if (auto v = m.get("wscale")) {
    if (auto x = read_int(r, *v, m.path("wscale"), 0, 255)) {
      o.window_scale = static_cast<uint8_t>(*x);
    }
  }
  if (auto v = m.get("sack_ok"))
    o.sack_permitted = read_bool(r, *v, m.path("sack_ok")).value_or(false);
  if (auto v = m.get("ts")) {
    if (!v->IsSequence() || v->size() != 2) {
      r.error(*v, m.path("ts"), fmt::format("expected [TSval, TSecr], found {}", describe(*v)));
      return;
    }
    auto val = read_int(r, (*v)[0], index_path(m.path("ts"), 0), 0, 0xffffffffLL);
    auto ecr = read_int(r, (*v)[1], index_path(m.path("ts"), 1), 0, 0xffffffffLL);
    if (val && ecr) o.timestamps = {static_cast<uint32_t>(*val), static_cast<uint32_t>(*ecr)};
  }
}

// `connection: APP`: the app's first connection; `to` (default: the app's peer) must be one
// of its two ends, and the segment comes from the other end.
void read_connection_ends(Reader& r, const MapView& m, const Scenario& sc, RawSegmentSpec& s) {
  auto name = read_string(r, *m.get("connection"), m.path("connection"), "an app name");
  if (!name) return;
  const AppSpec* app = sc.find_app(*name);
  const TcpClientSpec* client = app ? app->client() : nullptr;
  if (!client) {
    r.error(*m.get("connection"), m.path("connection"),
            fmt::format("expected a tcp_client (whose connection the segment joins), found {}",
                        app ? fmt::format("{} {}", app->kind_name(), quoted(*name))
                            : fmt::format("no app {}", quoted(*name))));
    return;
  }
  s.connection = *name;
  const HostSpec* peer = nullptr;
  for (const auto& h : sc.hosts) {
    if (h.address == client->connect.address) peer = &h;
  }
  if (!peer) {
    r.error(*m.get("connection"), m.path("connection"),
            fmt::format("{} connects to {}, which is no simulated host", *name,
                        client->connect.to_string()));
    return;
  }
  s.to = peer->name;
  s.from = client->on;
  if (auto v = m.get("to")) {
    const HostSpec* h = read_host_ref(r, *v, m.path("to"), sc);
    if (h && h->name != client->on && h->name != peer->name) {
      r.error(*v, m.path("to"),
              fmt::format("expected one end of {}'s connection ({} or {}), found {}", *name,
                          client->on, peer->name, quoted(h->name)));
    } else if (h && h->name == client->on) {
      std::swap(s.from, s.to);
    }
  }
  for (std::string_view key : {"from", "sport", "dport"}) {
    if (const auto* e = m.entry(key)) {
      r.error(e->key_node, m.path(key), "does not apply with connection (it gives the 4-tuple)");
    }
  }
}

void read_absolute_ends(Reader& r, const MapView& m, const Scenario& sc, RawSegmentSpec& s) {
  if (m.require("from", "the host that sends the segment")) {
    if (const HostSpec* h = read_host_ref(r, *m.get("from"), m.path("from"), sc)) s.from = h->name;
  }
  if (m.require("to", "where it goes, like server:80")) {
    if (auto ep = read_endpoint(r, *m.get("to"), m.path("to"), sc)) {
      s.dport = ep->port;
      for (const auto& h : sc.hosts) {
        if (h.address == ep->address) s.to = h.name;
      }
      if (s.to.empty()) {
        r.error(*m.get("to"), m.path("to"),
                fmt::format("expected a simulated host, found {}", ep->to_string()));
      }
    }
  }
  if (m.require("sport", "the source port")) {
    s.sport = read_port(r, *m.get("sport"), m.path("sport")).value_or(0);
  }
}

}  // namespace

std::optional<RawSegmentSpec> read_raw_segment(Reader& r, const YAML::Node& n,
                                               const std::string& path, const Scenario& sc) {
  if (!expect_map(r, n, path, "a map like {connection: alice, flags: R, seq: \"+0\"}")) {
    return std::nullopt;
  }
  MapView m(r, n, path,
            {"connection", "from", "to", "src", "sport", "dport", "flags", "seq", "ack", "win",
             "options", "payload"});
  RawSegmentSpec s;
  size_t before = r.error_count();
  bool rel = m.has("connection");
  if (rel) {
    read_connection_ends(r, m, sc, s);
  } else {
    read_absolute_ends(r, m, sc, s);
  }
  if (auto v = m.get("src")) s.src = read_address(r, *v, m.path("src"));
  if (m.require("flags", "TCP flags in tcpdump notation like \"R\", \"S\" or \"P.\"")) {
    auto f = read_string(r, *m.get("flags"), m.path("flags"), "TCP flags like \"R\" or \"S.\"");
    auto parsed = f ? TcpFlags::parse(*f) : std::nullopt;
    if (f && !parsed) {
      r.error(*m.get("flags"), m.path("flags"),
              fmt::format("expected TCP flags in tcpdump notation like \"S\", \"S.\", \"P.\", "
                          "\"R\" or \"R.\", found {}",
                          quoted(*f)));
    }
    if (parsed) s.flags = *parsed;
  }
  if (auto v = m.get("seq")) {
    s.seq = read_number(r, *v, m.path("seq"), rel).value_or(s.seq);
  } else if (rel) {
    s.seq.relative = true;  // default: exactly what the receiver expects (RCV.NXT)
  }
  if (auto v = m.get("ack")) {
    s.ack = read_number(r, *v, m.path("ack"), rel).value_or(s.ack);
  } else if (rel) {
    s.ack.relative = true;  // default: the receiver's SND.NXT
  }
  if (auto v = m.get("win"))
    s.window = static_cast<uint16_t>(read_int(r, *v, m.path("win"), 0, 65535).value_or(65535));
  if (auto v = m.get("options")) read_options(r, *v, m.path("options"), s.options);
  if (auto v = m.get("payload"))
    s.payload = read_data(r, *v, m.path("payload"), false).value_or(DataSpec{});
  if (r.error_count() != before) return std::nullopt;
  return s;
}

}  // namespace netsim::loader
