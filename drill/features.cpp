// The static scan behind "out of scope": words, calls and options that name a feature netsim
// does not model, looked for in the whole script before it runs (docs/conformance.md).
#include <string_view>
#include <utility>

#include "drill/runner_impl.hpp"

namespace netsim::drill {
namespace {

constexpr std::pair<std::string_view, std::string_view> kFeatureWords[] = {
    {"SO_ZEROCOPY", "zerocopy"},
    {"MSG_ZEROCOPY", "zerocopy"},
    {"MSG_ERRQUEUE", "zerocopy"},
    {"TCP_MD5SIG", "TCP MD5"},
    {"TCP_MD5SIG_EXT", "TCP MD5"},
    {"TCP_FASTOPEN", "TCP Fast Open"},
    {"TCP_FASTOPEN_CONNECT", "TCP Fast Open"},
    {"MSG_FASTOPEN", "TCP Fast Open"},
    {"TCP_INQ", "TCP_INQ"},
    {"TCP_CM_INQ", "TCP_INQ"},
    {"AF_INET6", "IPv6"},
    {"TCP_ZEROCOPY_RECEIVE", "zerocopy"},
    {"TCP_CONGESTION", "congestion control by name (TCP_CONGESTION)"},
    {"TCP_REPAIR", "TCP repair"},
    {"SO_TIMESTAMPING", "timestamping"},
    {"TCP_ULP", "TCP ULP (kTLS)"},
};

std::optional<Unsupported> scan(const Expr& e) {
  if (e.kind == Expr::Kind::word) {
    for (auto [word, feature] : kFeatureWords) {
      if (e.text == word) return Unsupported{e.pos, std::string(feature), std::string(word)};
    }
  }
  for (const Expr& x : e.items) {
    if (auto u = scan(x)) return u;
  }
  return std::nullopt;
}

std::optional<Unsupported> scan(const SyscallSpec& c) {
  if (c.name.rfind("epoll", 0) == 0) return Unsupported{c.pos, "epoll", c.name + "()"};
  for (const Expr& a : c.args) {
    if (auto u = scan(a)) return u;
  }
  return std::nullopt;
}

std::optional<Unsupported> scan(const PacketSpec& p) {
  for (const auto& o : p.options) {
    if (o.kind == TcpOptionSpec::Kind::md5) return Unsupported{o.pos, "TCP MD5", "md5 option"};
    if (o.kind == TcpOptionSpec::Kind::fast_open)
      return Unsupported{o.pos, "TCP Fast Open", "FO option"};
  }
  if (p.unsupported) return Unsupported{p.pos, *p.unsupported, ""};
  return std::nullopt;
}

// `tc qdisc ... fq`: sch_fq paces the flow (departure times from tcp_update_skb_after_send(),
// per-flow credit); netsim models no egress qdisc, and CUBIC over pfifo is unpaced.
std::optional<Unsupported> scan(const CommandSpec& c) {
  size_t at = 0;
  while (at < c.text.size()) {
    size_t nl = c.text.find('\n', at);
    std::string_view line(c.text.data() + at, (nl == std::string::npos ? c.text.size() : nl) - at);
    if (line.find("tc qdisc") != std::string_view::npos &&
        (line.ends_with(" fq") || line.find(" fq ") != std::string_view::npos))
      return Unsupported{c.pos, "fq qdisc pacing", "tc qdisc ... fq"};
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Unsupported> find_unmodelled(const Script& script) {
  for (const auto& o : script.options) {
    if (o.name == "ip_version" && o.value != "ipv4")
      return Unsupported{o.pos, "IPv6", "--ip_version=" + o.value};
  }
  for (const Event& e : script.events) {
    std::optional<Unsupported> u;
    if (const auto* c = std::get_if<SyscallSpec>(&e.action)) u = scan(*c);
    if (const auto* p = std::get_if<PacketSpec>(&e.action)) u = scan(*p);
    if (const auto* c = std::get_if<CommandSpec>(&e.action)) u = scan(*c);
    if (u) return u;
  }
  return std::nullopt;
}

}  // namespace netsim::drill
