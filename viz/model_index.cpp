// Indexing a trace for the diagram, and resolving the connection filter; see model_index.hpp.
#include "viz/model_index.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace netsim::viz::detail {

const std::string* TraceIndex::host_of(Ipv4Addr a) const {
  auto it = host_of_addr.find(a.value);
  return it == host_of_addr.end() ? nullptr : &it->second;
}

std::span<const size_t> TraceIndex::ends_of_uid(uint64_t uid) const {
  auto [lo, hi] = std::equal_range(end_uids.begin(), end_uids.end(), uid);
  return {end_records.data() + (lo - end_uids.begin()), static_cast<size_t>(hi - lo)};
}

namespace {
bool zero(SocketAddr a) {
  return a.addr.value == 0 && a.port == 0;
}

// One pass over the records in time order. Packet records repeat a few host names a million
// times: `last_host` spares the ordered set most of those lookups.
class Indexer {
 public:
  explicit Indexer(TraceIndex& ix) : ix_(ix) {}

  void record(const TraceRecord& r, size_t i) {
    if (const auto* p = std::get_if<PacketRecord>(&r)) {
      note_host(p->host);
      if (p->ev == PacketEvent::send) {
        // The sender's node owns the source address (or forges it: a flooder's spoofed range).
        ix_.host_of_addr.try_emplace(p->packet.src.value, p->host);
        ix_.initiator.try_emplace(conv_key(p->packet.src_addr(), p->packet.dst_addr()),
                                  p->packet.src_addr());
      } else {
        ends_.emplace_back(p->packet.uid, i);
      }
    } else if (const auto* s = std::get_if<StateRecord>(&r)) {
      socket(s->host, s->local, s->remote, s->app, true);
    } else if (const auto* t = std::get_if<TimerRecord>(&r)) {
      socket(t->host, t->local, t->remote, t->app, true);
    } else if (const auto* a = std::get_if<AppRecord>(&r)) {
      socket(a->host, a->local, a->remote, a->app, false);
      if (a->what == AppWhat::listen && a->local.port != 0) {
        ix_.listeners_of_app[a->app].insert(a->local);
      }
    }
  }

  void finish() {
    // Stable: each packet's ends stay in time order.
    std::stable_sort(ends_.begin(), ends_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    ix_.end_uids.reserve(ends_.size());
    ix_.end_records.reserve(ends_.size());
    for (const auto& [uid, record] : ends_) {
      ix_.end_uids.push_back(uid);
      ix_.end_records.push_back(record);
    }
  }

 private:
  void note_host(const std::string& host) {
    if (seen_host_ && host == last_host_) return;
    ix_.hosts.insert(host);
    last_host_ = host;
    seen_host_ = true;
  }

  // Sockets are what state, timer and app records describe: they name the host owning the
  // local address and the application owning the socket.
  void socket(const std::string& host, SocketAddr local, SocketAddr remote, const std::string& app,
              bool traced_state) {
    if (local.addr.value != 0 && !host.empty())
      ix_.host_of_addr.try_emplace(local.addr.value, host);
    if (!host.empty()) note_host(host);
    if (traced_state && local.port != 0) ix_.sockets.insert(local);
    if (app.empty() || local.port == 0) return;
    ix_.app_of.try_emplace(local, app);
    if (zero(remote)) {
      ix_.listeners_of_app[app].insert(local);
    } else {
      ix_.convs_of_app[app].insert(conv_key(local, remote));
    }
  }

  TraceIndex& ix_;
  std::string last_host_;
  bool seen_host_ = false;
  std::vector<std::pair<uint64_t, size_t>> ends_;
};
}  // namespace

TraceIndex build_index(const std::vector<TraceRecord>& records) {
  TraceIndex ix;
  std::vector<Instant> times(records.size());
  for (size_t i = 0; i < records.size(); ++i)
    times[i] = record_time(records[i]);
  ix.order.resize(records.size());
  for (size_t i = 0; i < records.size(); ++i)
    ix.order[i] = i;
  // Sinks see records in time order already; sorting again (stably) makes a merged or
  // hand-built record list safe too.
  if (!std::is_sorted(times.begin(), times.end())) {
    std::stable_sort(ix.order.begin(), ix.order.end(),
                     [&](size_t a, size_t b) { return times[a] < times[b]; });
  }
  Indexer indexer(ix);
  for (size_t i : ix.order)
    indexer.record(records[i], i);
  indexer.finish();
  if (!ix.order.empty()) {
    ix.first = times[ix.order.front()];
    ix.last = times[ix.order.back()];
  }
  return ix;
}

namespace {
std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// "10.0.0.1:7500" or "client:7500": the addresses it may stand for and the port.
std::optional<std::pair<std::set<uint32_t>, uint16_t>> parse_endpoint(const TraceIndex& ix,
                                                                      std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535) {
    return std::nullopt;
  }
  std::set<uint32_t> addrs;
  if (auto a = Ipv4Addr::parse(host)) {
    addrs.insert(a->value);
  } else {
    for (const auto& [addr, name] : ix.host_of_addr) {
      if (name == host) addrs.insert(addr);
    }
  }
  if (addrs.empty()) return std::nullopt;
  return std::make_pair(std::move(addrs), static_cast<uint16_t>(port));
}

bool endpoint_matches(const std::pair<std::set<uint32_t>, uint16_t>& e, SocketAddr a) {
  return e.second == a.port && e.first.contains(a.addr.value);
}

// "a:p-b:q" (also "a:p b:q", "a:p,b:q", "a:p->b:q"): the conversations between those ends.
std::optional<std::set<ConvKey>> match_tuple(const TraceIndex& ix, std::string_view text) {
  for (size_t cut = 1; cut + 1 < text.size(); ++cut) {
    char c = text[cut];
    if (c != '-' && c != ' ' && c != ',') continue;
    size_t rest = cut + 1;
    while (rest < text.size() && (text[rest] == '>' || text[rest] == ' '))
      ++rest;
    auto a = parse_endpoint(ix, text.substr(0, cut));
    auto b = parse_endpoint(ix, text.substr(rest));
    if (!a || !b) continue;
    std::set<ConvKey> out;
    for (const auto& [key, init] : ix.initiator) {
      if ((endpoint_matches(*a, key.first) && endpoint_matches(*b, key.second)) ||
          (endpoint_matches(*a, key.second) && endpoint_matches(*b, key.first))) {
        out.insert(key);
      }
    }
    return out;
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::set<ConvKey>> select_conversations(const TraceIndex& ix,
                                                      const std::vector<std::string>& filter) {
  if (filter.empty()) return std::nullopt;
  std::set<ConvKey> keep;
  for (const auto& name : filter) {
    std::set<ConvKey> found;
    if (auto it = ix.convs_of_app.find(name); it != ix.convs_of_app.end()) found = it->second;
    // A listening app owns every conversation on its listening socket, accepted or not.
    if (auto it = ix.listeners_of_app.find(name); it != ix.listeners_of_app.end()) {
      for (const auto& [key, init] : ix.initiator) {
        if (it->second.contains(key.first) || it->second.contains(key.second)) found.insert(key);
      }
    }
    bool is_app = ix.convs_of_app.contains(name) || ix.listeners_of_app.contains(name);
    if (!is_app) {
      if (auto tuple = match_tuple(ix, name)) found = *tuple;
    }
    if (found.empty()) {
      std::set<std::string> apps;
      for (const auto& [app, convs] : ix.convs_of_app)
        apps.insert(app);
      for (const auto& [app, socks] : ix.listeners_of_app)
        apps.insert(app);
      throw DiagramError(fmt::format(
          "no connection matches \"{}\": give an application name (apps in this trace: {}) or a "
          "4-tuple such as 10.0.0.1:7500-10.0.0.2:20000",
          name, join(apps)));
    }
    keep.insert(found.begin(), found.end());
  }
  return keep;
}

}  // namespace netsim::viz::detail
