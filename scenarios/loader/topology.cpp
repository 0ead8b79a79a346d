// Reading the topology sections: the `tcp:` block, `hosts:`, `routers:` and `links:` (with loss
// models, queues and per-direction "a->b" overrides), and the name lookups other sections share.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "scenarios/loader/sections.hpp"

namespace netsim::loader {

// ---- names ----------------------------------------------------------------------------------

std::vector<std::string> host_names(const Scenario& sc) {
  std::vector<std::string> v;
  for (const auto& h : sc.hosts)
    v.push_back(h.name);
  return v;
}

std::vector<std::string> node_names(const Scenario& sc) {
  std::vector<std::string> v = host_names(sc);
  for (const auto& rt : sc.routers)
    v.push_back(rt.name);
  return v;
}

const HostSpec* read_host_ref(Reader& r, const YAML::Node& n, const std::string& path,
                              const Scenario& sc) {
  auto name = read_string(r, n, path, "a host name");
  if (!name) return nullptr;
  if (const HostSpec* h = sc.find_host(*name)) return h;
  if (sc.find_router(*name)) {
    r.error(n, path, fmt::format("{} is a router; expected a host", quoted(*name)));
    return nullptr;
  }
  r.error(
      n, path,
      fmt::format("unknown host {}{}", quoted(*name), suggestion_suffix(*name, host_names(sc))));
  return nullptr;
}

std::optional<std::pair<Ipv4Addr, std::optional<std::string>>> read_host_or_address(
    Reader& r, const YAML::Node& n, const std::string& path, const Scenario& sc) {
  auto text = read_string(r, n, path, "a host name or an IPv4 address");
  if (!text) return std::nullopt;
  if (auto a = Ipv4Addr::parse(*text)) return std::pair{*a, std::optional<std::string>{}};
  const HostSpec* h = read_host_ref(r, n, path, sc);
  if (!h) return std::nullopt;
  return std::pair{h->address, std::optional<std::string>{h->name}};
}

std::optional<Endpoint> read_endpoint(Reader& r, const YAML::Node& n, const std::string& path,
                                      const Scenario& sc) {
  static constexpr std::string_view kWhat = "an endpoint like \"server:80\" or \"10.0.0.2:80\"";
  auto text = read_string(r, n, path, kWhat);
  if (!text) return std::nullopt;
  auto colon = text->rfind(':');
  if (colon == std::string::npos || colon == 0) {
    r.error(n, path, fmt::format("expected {}, found {}", kWhat, quoted(*text)));
    return std::nullopt;
  }
  std::string host = text->substr(0, colon);
  std::string port_text = text->substr(colon + 1);
  int port = -1;
  if (!port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    port = std::stoi(port_text);
  }
  if (port < 1 || port > 65535) {
    r.error(
        n, path,
        fmt::format("expected an endpoint with a port from 1 to 65535, found {}", quoted(*text)));
    return std::nullopt;
  }
  Endpoint ep;
  ep.port = static_cast<uint16_t>(port);
  if (auto a = Ipv4Addr::parse(host)) {
    ep.address = *a;
    return ep;
  }
  if (const HostSpec* h = sc.find_host(host)) {
    ep.host = h->name;
    ep.address = h->address;
    return ep;
  }
  if (sc.find_router(host)) {
    r.error(n, path,
            fmt::format("{} is a router, which has no address; expected a host", quoted(host)));
  } else {
    r.error(
        n, path,
        fmt::format("unknown host {}{}", quoted(host), suggestion_suffix(host, host_names(sc))));
  }
  return std::nullopt;
}

bool check_list_section(Reader& r, const YAML::Node& n, const std::string& path, int64_t limit,
                        std::string_view limit_name, std::string_view what) {
  if (n.IsNull()) return false;
  if (!expect_list(r, n, path, fmt::format("a list of {}", what))) return false;
  if (static_cast<int64_t>(n.size()) > limit) {
    r.error(n, path,
            fmt::format("expected at most {} {} (the {} limit), found {}", limit, what, limit_name,
                        n.size()));
    return false;
  }
  return true;
}

// ---- tcp: -----------------------------------------------------------------------------------

namespace {

// The scenario keys of the `tcp:` block: `profile`, each tunable's key, and the sysctl spelling
// of those that have one ("tcp_syn_retries" for syn_retries).
const std::vector<std::string_view>& tcp_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> v{"profile"};
    for (const tcp::Tunable& t : tcp::tunables())
      v.push_back(t.key);
    for (const tcp::Tunable& t : tcp::tunables()) {
      if (!tcp::sysctl_key(t).empty()) v.push_back(tcp::sysctl_key(t));
    }
    return v;
  }();
  return keys;
}

// tcp_rmem-style "MIN DEFAULT MAX": three integers in the tunable's range, ascending.
std::optional<tcp::Triple> read_triple(Reader& r, const YAML::Node& n, const std::string& path,
                                       const tcp::Tunable& t) {
  const auto& example = std::get<tcp::Triple>(t.linux_value);
  std::string what = fmt::format("three integers \"MIN DEFAULT MAX\" like \"{} {} {}\"",
                                 example.min, example.def, example.max);
  auto text = read_string(r, n, path, what);
  if (!text) return std::nullopt;
  std::vector<int64_t> v;
  std::string_view rest = *text;
  while (v.size() <= 3) {
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    if (rest.empty()) break;
    int64_t x = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), x);
    bool separated = end == rest.data() + rest.size() || *end == ' ' || *end == '\t';
    if (ec != std::errc() || !separated) break;
    v.push_back(x);
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
  }
  if (v.size() != 3 || !rest.empty()) {
    r.error(n, path, fmt::format("expected {}, found {}", what, quoted(*text)));
    return std::nullopt;
  }
  for (int64_t x : v) {
    if (x < t.min || x > t.max) {
      r.error(
          n, path,
          fmt::format("expected each of MIN DEFAULT MAX from {} to {}, found {}", t.min, t.max, x));
      return std::nullopt;
    }
  }
  if (v[0] > v[1] || v[1] > v[2]) {
    r.error(n, path, fmt::format("expected MIN <= DEFAULT <= MAX, found {}", quoted(*text)));
    return std::nullopt;
  }
  return tcp::Triple{v[0], v[1], v[2]};
}

// One tunable's value, read and checked as its kind and bounds in the table say.
std::optional<tcp::TunableValue> read_tunable(Reader& r, const YAML::Node& n,
                                              const std::string& path, const tcp::Tunable& t) {
  switch (t.kind) {
    case tcp::TunableKind::integer:
      if (auto v = read_int(r, n, path, t.min, t.max)) return *v;
      return std::nullopt;
    case tcp::TunableKind::flag:
      if (auto v = read_flag01(r, n, path)) return int64_t{*v ? 1 : 0};
      return std::nullopt;
    case tcp::TunableKind::choice: {
      std::vector<std::string> names(t.choices.begin(), t.choices.end());
      if (auto i = read_choice(r, n, path, names)) return static_cast<int64_t>(*i);
      return std::nullopt;
    }
    case tcp::TunableKind::duration:
      if (auto v = read_duration(r, n, path, t.zero_ok ? Zero::allowed : Zero::refused)) return *v;
      return std::nullopt;
    case tcp::TunableKind::triple:
      if (auto v = read_triple(r, n, path, t)) return *v;
      return std::nullopt;
  }
  return std::nullopt;
}

std::string value_text(const tcp::TunableValue& v) {
  if (const auto* d = std::get_if<Duration>(&v)) return format_duration(*d);
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  const auto& t = std::get<tcp::Triple>(v);
  return fmt::format("{} {} {}", t.min, t.def, t.max);
}

// `rto_min` at most `rto_max` and the like, when the block sets both.
void check_at_most(Reader& r, const MapView& m, const tcp::Tunable& t, const TcpSettings& s,
                   const MapView::Entry& e) {
  auto v = s.get(t.key);
  auto limit = s.get(t.at_most);
  if (!v || !limit || !(*limit < *v)) return;
  r.error(e.value, m.path(e.key),
          fmt::format("expected at most {} ({}), found {}", t.at_most, value_text(*limit),
                      value_text(*v)));
}

}  // namespace

TcpSettings read_tcp(Reader& r, const YAML::Node& n, const std::string& path) {
  TcpSettings t;
  if (!expect_map(r, n, path, "a map of TCP settings")) return t;
  MapView m(r, n, path, tcp_keys());
  if (auto v = m.get("profile")) {
    static const std::array<std::string, 2> kProfiles{"linux", "rfc9293"};
    if (auto i = read_choice(r, *v, m.path("profile"), kProfiles)) {
      t.profile = *i == 0 ? TcpProfileKind::linux_kernel : TcpProfileKind::rfc9293;
    }
  }
  std::map<std::string_view, const MapView::Entry*> seen;  // by tunable key
  for (const MapView::Entry& e : m.entries()) {
    const tcp::Tunable* tun = tcp::find_tunable(e.key);
    if (!tun) continue;  // profile
    if (auto [it, fresh] = seen.emplace(tun->key, &e); !fresh) {
      r.error(e.key_node, m.path(e.key),
              fmt::format("{} is the same setting as {} (line {}); expected it once", quoted(e.key),
                          quoted(it->second->key), r.pos(it->second->key_node).line));
      continue;
    }
    if (auto v = read_tunable(r, e.value, m.path(e.key), *tun))
      t.values[std::string(tun->key)] = *v;
  }
  for (const auto& [key, e] : seen) {
    const tcp::Tunable* tun = tcp::find_tunable(key);
    if (!tun->at_most.empty()) check_at_most(r, m, *tun, t, *e);
  }
  return t;
}

// ---- hosts and routers ----------------------------------------------------------------------

namespace {

// `netns:` names the network namespace of a `tun:` host's device (`ip netns` rules: a file
// name under /run/netns, so no '/', not "." or ".."; netsim creates it when missing).
void read_netns(Reader& r, const YAML::Node& n, const std::string& path, HostSpec& h) {
  auto name = read_string(r, n, path, "a network namespace name like \"alice\"");
  if (!name) return;
  if (!h.tun) {
    r.error(n, path, "expected netns only on a `tun:` host (it is where its TUN device goes)");
  } else if (name->empty() || name->size() > 64 || *name == "." || *name == ".." ||
             name->find_first_of("/ \t\n\v\f\r") != std::string::npos) {
    r.error(n, path,
            fmt::format("expected a namespace name of 1 to 64 characters without '/' or "
                        "spaces, found {}",
                        quoted(*name)));
  } else {
    h.netns = *name;
  }
}

void read_one_host(Reader& r, const MapView::Entry& e, const std::string& path, HostSpec& h) {
  if (e.value.IsScalar()) {  // short form: just the address
    if (auto a = read_address(r, e.value, path)) h.address = *a;
    return;
  }
  if (!expect_map(r, e.value, path, "an address like \"10.0.0.1\" or a map with address")) return;
  MapView m(r, e.value, path, {"address", "tcp", "tun", "netns"});
  if (m.require("address", "the host's IPv4 address")) {
    if (auto a = read_address(r, *m.get("address"), m.path("address"))) h.address = *a;
  }
  if (auto t = m.get("tcp")) h.tcp = read_tcp(r, *t, m.path("tcp"));
  if (auto t = m.get("tun")) {
    // The kernel's dev_valid_name(): 1 to IFNAMSIZ-1 (15) bytes, not "." or "..", no '/',
    // ':' or whitespace; and '%' would make dev_alloc_name() expand "%d" into another name.
    auto name = read_string(r, *t, m.path("tun"), "a TUN device name like \"netsim0\"");
    if (name && (name->empty() || name->size() > 15 || *name == "." || *name == ".." ||
                 name->find_first_of("/:% \t\n\v\f\r") != std::string::npos)) {
      r.error(*t, m.path("tun"),
              fmt::format("expected a device name of 1 to 15 characters without '/', ':', '%' "
                          "or spaces (the kernel's rules), found {}",
                          quoted(*name)));
    } else if (name) {
      h.tun = *name;
    }
  }
  if (auto t = m.get("netns")) read_netns(r, *t, m.path("netns"), h);
}

}  // namespace

void read_hosts(Reader& r, const YAML::Node& n, Scenario& sc) {
  if (!expect_map(r, n, "hosts", "a map of host names to addresses")) return;
  if (static_cast<int64_t>(n.size()) > r.limits().max_hosts) {
    r.error(n, "hosts",
            fmt::format("expected at most {} hosts (the max_hosts limit), found {}",
                        r.limits().max_hosts, n.size()));
    return;
  }
  std::map<uint32_t, std::string> owner;  // address -> host, to refuse duplicates
  // (network namespace, TUN device) -> host: one kernel cannot hold two devices of one name.
  std::map<std::pair<std::string, std::string>, std::string> tun_owner;
  for (const auto& e : map_entries(r, n, "hosts", "host name")) {
    std::string path = join_path("hosts", e.key);
    if (!is_valid_name(e.key)) {
      r.error(e.key_node, path,
              fmt::format("expected a host name (a letter or '_', then letters, digits, '_' or "
                          "'-'), found {}",
                          quoted(e.key)));
      continue;
    }
    HostSpec h;
    h.name = e.key;
    h.pos = r.pos(e.key_node);
    size_t errors_before = r.error_count();
    read_one_host(r, e, path, h);
    if (r.error_count() == errors_before) {
      auto [it, inserted] = owner.emplace(h.address.value, h.name);
      if (!inserted) {
        YAML::Node at = e.value.IsMap() ? e.value["address"] : e.value;
        r.error(at, e.value.IsMap() ? join_path(path, "address") : path,
                fmt::format("address {} is already used by host {}", h.address.to_string(),
                            quoted(it->second)));
      }
    }
    if (r.error_count() == errors_before && h.tun) {
      auto [it, inserted] = tun_owner.emplace(std::pair{h.netns.value_or(""), *h.tun}, h.name);
      if (!inserted) {
        r.error(e.value["tun"], join_path(path, "tun"),
                fmt::format("TUN device {} is already host {}'s in {}: give each `tun:` host "
                            "its own device name or its own `netns:`",
                            quoted(*h.tun), quoted(it->second),
                            h.netns ? "network namespace " + quoted(*h.netns)
                                    : std::string("netsim's network namespace")));
      }
    }
    sc.hosts.push_back(std::move(h));
  }
}

void read_routers(Reader& r, const YAML::Node& n, Scenario& sc) {
  if (!check_list_section(r, n, "routers", r.limits().max_routers, "max_routers", "router names")) {
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    std::string path = index_path("routers", i);
    auto name = read_name(r, n[i], path);
    if (!name) continue;
    if (sc.find_host(*name)) {
      r.error(n[i], path, fmt::format("{} is already a host", quoted(*name)));
    } else if (sc.find_router(*name)) {
      r.error(n[i], path, fmt::format("duplicate router name {}", quoted(*name)));
    } else {
      sc.routers.push_back(RouterSpec{*name, r.pos(n[i])});
    }
  }
}

// ---- links ----------------------------------------------------------------------------------

namespace {

std::optional<QueueLimit> read_queue(Reader& r, const YAML::Node& n, const std::string& path) {
  static constexpr std::string_view kWhat =
      "a queue limit in packets like 100 or in bytes like \"64KiB\", or unlimited";
  auto s = read_string(r, n, path, kWhat);
  if (!s) return std::nullopt;
  if (*s == "unlimited") return QueueLimit{};
  if (!s->empty() && std::all_of(s->begin(), s->end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      })) {
    auto v = read_int(r, n, path, 1, 1'000'000'000);
    if (!v) return std::nullopt;
    return QueueLimit{*v, std::nullopt};
  }
  if (s->empty() || !std::isdigit(static_cast<unsigned char>(s->front()))) {
    r.error(n, path, fmt::format("expected {}, found {}", kWhat, quoted(*s)));
    return std::nullopt;
  }
  auto b = read_size(r, n, path);
  if (!b) return std::nullopt;
  if (b->count() <= 0) {
    r.error(n, path, fmt::format("expected a positive queue limit, found {}", quoted(*s)));
    return std::nullopt;
  }
  return QueueLimit{std::nullopt, b->count()};
}

std::optional<LossModel> read_loss(Reader& r, const YAML::Node& n, const std::string& path) {
  if (n.IsScalar()) {
    if (n.Scalar() == "none") return LossModel::none();
    auto p = read_probability(r, n, path);
    if (!p) return std::nullopt;
    return p->value == 0.0 ? LossModel::none() : LossModel::bernoulli(p->value);
  }
  if (!expect_map(r, n, path, "a probability like 1% or {model: gilbert, p: ..., r: ...}")) {
    return std::nullopt;
  }
  MapView m(r, n, path, {"model", "p", "r", "h", "k"});
  if (!m.require("model", "bernoulli or gilbert")) return std::nullopt;
  static const std::array<std::string, 3> kModels{"bernoulli", "gilbert", "none"};
  auto model = read_choice(r, *m.get("model"), m.path("model"), kModels);
  if (!model) return std::nullopt;
  auto prob = [&](std::string_view key) -> std::optional<Probability> {
    auto v = m.get(key);
    return v ? read_probability(r, *v, m.path(key)) : std::nullopt;
  };
  if (*model != 1) {  // bernoulli, none: the Gilbert parameters do not apply
    for (std::string_view key : {"r", "h", "k"}) {
      if (const auto* e = m.entry(key)) {
        r.error(e->key_node, m.path(key), "applies to model gilbert only");
      }
    }
  }
  if (*model == 2) return LossModel::none();
  if (!m.require("p", *model == 0 ? "the loss probability" : "the good-to-bad probability")) {
    return std::nullopt;
  }
  auto p = prob("p");
  if (*model == 0) return p ? std::optional(LossModel::bernoulli(p->value)) : std::nullopt;
  if (!m.require("r", "the bad-to-good probability")) return std::nullopt;
  auto rr = prob("r");
  auto h = m.has("h") ? prob("h") : std::optional(Probability{0.0});
  auto k = m.has("k") ? prob("k") : std::optional(Probability{1.0});
  if (!p || !rr || !h || !k) return std::nullopt;
  return LossModel::gilbert(p->value, rr->value, h->value, k->value);
}

}  // namespace

LinkPatch read_link_patch(Reader& r, const MapView& m) {
  LinkPatch p;
  if (auto v = m.get("delay")) p.delay = read_duration(r, *v, m.path("delay"), Zero::allowed);
  if (auto v = m.get("bandwidth")) {
    if (v->IsScalar() && v->Scalar() == "infinite") {
      p.bandwidth = DataRate{};
    } else {
      p.bandwidth = read_rate(r, *v, m.path("bandwidth"));
    }
  }
  if (auto v = m.get("queue")) p.queue = read_queue(r, *v, m.path("queue"));
  if (auto v = m.get("loss")) p.loss = read_loss(r, *v, m.path("loss"));
  if (auto v = m.get("jitter")) p.jitter = read_duration(r, *v, m.path("jitter"), Zero::allowed);
  if (auto v = m.get("duplicate")) p.duplicate = read_probability(r, *v, m.path("duplicate"));
  if (auto v = m.get("corrupt")) p.corrupt = read_probability(r, *v, m.path("corrupt"));
  return p;
}

bool is_direction_key(std::string_view key) {
  return key.find("->") != std::string_view::npos;
}

namespace {
std::string trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return std::string(s);
}
}  // namespace

void read_direction_overrides(Reader& r, const MapView& m, const std::string& a,
                              const std::string& b, LinkPatch& a_to_b, LinkPatch& b_to_a) {
  for (const auto& e : m.extras()) {
    std::string path = m.path(e.key);
    size_t arrow = e.key.find("->");
    std::string from = trimmed(std::string_view(e.key).substr(0, arrow));
    std::string to = trimmed(std::string_view(e.key).substr(arrow + 2));
    LinkPatch* target = nullptr;
    if (from == a && to == b) target = &a_to_b;
    if (from == b && to == a) target = &b_to_a;
    if (!target) {
      r.error(e.key_node, path,
              fmt::format("expected a direction of this link, \"{}->{}\" or \"{}->{}\", found {}",
                          a, b, b, a, quoted(e.key)));
      continue;
    }
    if (!expect_map(r, e.value, path, "a map of link settings for this direction")) continue;
    MapView d(r, e.value, path,
              {"delay", "bandwidth", "queue", "loss", "jitter", "duplicate", "corrupt"});
    *target = target->overlaid_with(read_link_patch(r, d));
  }
}

std::optional<std::pair<std::string, std::string>> read_node_pair(
    Reader& r, const YAML::Node& n, const std::string& path, const Scenario& sc,
    const std::unordered_set<std::string_view>* nodes) {
  if (!n.IsSequence() || n.size() != 2) {
    r.error(n, path,
            fmt::format("expected the two nodes it joins, like [client, r1], found {}",
                        n.IsSequence()
                            ? fmt::format("a list of {} node{}", n.size(), n.size() == 1 ? "" : "s")
                            : describe(n)));
    return std::nullopt;
  }
  std::array<std::string, 2> ends;
  bool ok = true;
  for (size_t i = 0; i < 2; ++i) {
    std::string p = index_path(path, i);
    auto name = read_string(r, n[i], p, "a host or router name");
    if (!name) {
      ok = false;
    } else if (nodes ? nodes->count(*name) == 0 : !sc.find_host(*name) && !sc.find_router(*name)) {
      r.error(n[i], p,
              fmt::format("unknown host {}{}", quoted(*name),
                          suggestion_suffix(*name, node_names(sc))));
      ok = false;
    } else {
      ends[i] = *name;
    }
  }
  if (!ok) return std::nullopt;
  if (ends[0] == ends[1]) {
    r.error(n, path, fmt::format("expected two different nodes, found {} twice", quoted(ends[0])));
    return std::nullopt;
  }
  return std::pair{ends[0], ends[1]};
}

void read_links(Reader& r, const YAML::Node& n, Scenario& sc) {
  if (!check_list_section(r, n, "links", r.limits().max_links, "max_links", "links")) return;
  // Hashed lookups: linear searches over up to 20,000 names and 100,000 links per link took
  // 87 s for a 3 MB file within the limits (issue 8, resource bounds).
  std::unordered_set<std::string_view> nodes;
  for (const auto& h : sc.hosts)
    nodes.insert(h.name);
  for (const auto& rt : sc.routers)
    nodes.insert(rt.name);
  std::unordered_map<std::string, size_t> by_ends;  // "a\0b", a < b -> index in sc.links
  for (size_t i = 0; i < n.size(); ++i) {
    std::string path = index_path("links", i);
    const YAML::Node item = n[i];
    if (!expect_map(r, item, path, "a map with between: [a, b] and the link's settings")) continue;
    MapView m(r, item, path,
              {"between", "delay", "bandwidth", "queue", "loss", "jitter", "duplicate", "corrupt"},
              is_direction_key);
    LinkPatch both = read_link_patch(r, m);
    if (!m.require("between", "the two nodes the link joins, like [client, r1]")) continue;
    auto ends = read_node_pair(r, *m.get("between"), m.path("between"), sc, &nodes);
    if (!ends) continue;
    LinkPatch ab, ba;
    read_direction_overrides(r, m, ends->first, ends->second, ab, ba);
    std::string key =
        std::min(ends->first, ends->second) + '\0' + std::max(ends->first, ends->second);
    if (auto dup = by_ends.find(key); dup != by_ends.end()) {
      r.error(*m.get("between"), m.path("between"),
              fmt::format("a link between {} and {} already exists (line {})", ends->first,
                          ends->second, sc.links[dup->second].pos.line));
      continue;
    }
    by_ends.emplace(std::move(key), sc.links.size());
    LinkSpec l;
    l.a = ends->first;
    l.b = ends->second;
    l.a_to_b = both.overlaid_with(ab).applied_to(LinkParams{});
    l.b_to_a = both.overlaid_with(ba).applied_to(LinkParams{});
    l.pos = r.pos(item);
    sc.links.push_back(std::move(l));
  }
}

}  // namespace netsim::loader
