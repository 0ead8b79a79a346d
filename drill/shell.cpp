// `shell` lines of a script: the sysctl settings packetdrill scripts make (sysctl -q k=v,
// ./set_sysctls.py /proc/sys/net/ipv4/k=v, and the defaults.sh they source) mapped onto the
// TCP profile through one table; anything else is reported in the notes and skipped.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string_view>

#include "drill/runner_impl.hpp"
#include "protocols/tcp/tunables.hpp"

namespace netsim::drill {
namespace {

using Setter = std::function<void(tcp::Profile&, int64_t)>;

// sysctl name -> Profile member. One row per tunable netsim models; a later table of tunables
// (DESIGN.md property 9) can replace the setters without changing the names.
const std::pair<std::string_view, Setter> kSysctls[] = {
    {"net.ipv4.tcp_syn_retries", [](tcp::Profile& p, int64_t v) { p.syn_retries = int(v); }},
    {"net.ipv4.tcp_synack_retries", [](tcp::Profile& p, int64_t v) { p.synack_retries = int(v); }},
    {"net.ipv4.tcp_syn_linear_timeouts",
     [](tcp::Profile& p, int64_t v) { p.syn_linear_timeouts = int(v); }},
    {"net.ipv4.tcp_syncookies", [](tcp::Profile& p, int64_t v) { p.syncookies = int(v); }},
    {"net.ipv4.tcp_max_syn_backlog",
     [](tcp::Profile& p, int64_t v) { p.max_syn_backlog = int(v); }},
    {"net.core.somaxconn", [](tcp::Profile& p, int64_t v) { p.somaxconn = int(v); }},
    {"net.ipv4.tcp_abort_on_overflow",
     [](tcp::Profile& p, int64_t v) { p.abort_on_overflow = v != 0; }},
    {"net.ipv4.tcp_retries2", [](tcp::Profile& p, int64_t v) { p.retries2 = int(v); }},
    {"net.ipv4.tcp_orphan_retries", [](tcp::Profile& p, int64_t v) { p.orphan_retries = int(v); }},
    {"net.ipv4.tcp_keepalive_time",
     [](tcp::Profile& p, int64_t v) { p.keepalive_time = Duration::seconds(v); }},
    {"net.ipv4.tcp_keepalive_intvl",
     [](tcp::Profile& p, int64_t v) { p.keepalive_intvl = Duration::seconds(v); }},
    {"net.ipv4.tcp_keepalive_probes",
     [](tcp::Profile& p, int64_t v) { p.keepalive_probes = int(v); }},
    {"net.ipv4.tcp_fin_timeout",
     [](tcp::Profile& p, int64_t v) { p.fin_timeout = Duration::seconds(v); }},
};

// An integer as a shell writes it: "540000", "0x10", or a product "$((15*1024*1024))" as the
// kernel's defaults.sh writes tcp_rmem. Throws std::invalid_argument otherwise.
int64_t shell_number(std::string w) {
  if (w.starts_with("$((") && w.ends_with("))")) w = w.substr(3, w.size() - 5);
  int64_t product = 1;
  std::istringstream factors(w);
  std::string f;
  bool any = false;
  while (std::getline(factors, f, '*')) {
    size_t used = 0;
    product *= std::stoll(f, &used, 0);
    if (used != f.size()) throw std::invalid_argument(f);
    any = true;
  }
  if (!any) throw std::invalid_argument(w);
  return product;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Splits "a b" words, keeping "quoted strings" whole (without the quotes).
std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if ((c == ' ' || c == '\t') && !quoted) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

}  // namespace

void Runner::command(const CommandSpec& c) {
  std::string text = c.text;
  std::string joined;  // backslash-newline continues a line
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;
      joined += ' ';
    } else {
      joined += text[i];
    }
  }
  std::istringstream in(joined);
  std::string line;
  while (std::getline(in, line))
    shell_line(line, c.pos, 0);
}

void Runner::shell_line(const std::string& raw, Pos pos, int depth) {
  std::string line = trim(raw.substr(0, raw.find('#')));
  if (line.empty()) return;
  std::vector<std::string> w = words(line);
  auto note = [&](const std::string& why) {
    result_.notes.push_back(
        fmt::format("{}:{}:{}: shell `{}` {}", script_.file, pos.line, pos.col, line, why));
  };
  if (w[0] == "sysctl") {
    for (size_t i = 1; i < w.size(); ++i) {
      if (w[i].empty() || w[i][0] == '-' || w[i] == ">" || w[i].find('>') == 0) continue;
      size_t eq = w[i].find('=');
      if (eq == std::string::npos) continue;
      sysctl(w[i].substr(0, eq), w[i].substr(eq + 1), pos);
    }
    return;
  }
  if (w[0].find("set_sysctls.py") != std::string::npos) {
    for (size_t i = 1; i < w.size(); ++i) {
      size_t eq = w[i].find('=');
      if (eq == std::string::npos || w[i].rfind("/proc/sys/", 0) != 0) continue;
      std::string name = w[i].substr(10, eq - 10);
      for (char& ch : name)
        ch = ch == '/' ? '.' : ch;
      sysctl(name, w[i].substr(eq + 1), pos);
    }
    return;
  }
  if (w[0].find("defaults.sh") != std::string::npos && depth == 0) {
    // The kernel selftests' defaults.sh sits next to the script: read its sysctl lines.
    auto dir = std::filesystem::path(script_.file).parent_path();
    std::ifstream in(dir / w[0]);
    if (!in) {
      note("not found next to the script (skipped)");
      return;
    }
    std::string l;
    while (std::getline(in, l))
      shell_line(l, pos, depth + 1);
    return;
  }
  note("is not a sysctl netsim understands (skipped)");
}

void Runner::sysctl(const std::string& name, const std::string& raw_value, Pos pos) {
  std::string full = name.rfind("net.", 0) == 0 ? name : "net.ipv4." + name;
  for (const auto& [key, set] : kSysctls) {
    if (key != full) continue;
    int64_t v = 0;
    try {
      v = std::stoll(raw_value, nullptr, 0);
    } catch (const std::exception&) {
      throw Failure{pos, fmt::format("sysctl {}: '{}' is not a number", full, raw_value)};
    }
    if (v < 0 || v > INT32_MAX)
      throw Failure{pos, fmt::format("sysctl {}={} is out of range", full, raw_value)};
    if (host_) {
      throw Unsupported{pos, "sysctl changes after the first socket",
                        fmt::format("{}={}", full, raw_value)};
    }
    set(profile_, v);
    return;
  }
  // Else an integer, 0/1 switch or "MIN DEFAULT MAX" triple of the tunables table by its
  // sysctl name (tcp_timestamps, tcp_rmem).
  const tcp::Tunable* t = tcp::find_tunable(full.substr(full.rfind('.') + 1));
  if (t && t->linux_name == full &&
      (t->kind == tcp::TunableKind::integer || t->kind == tcp::TunableKind::flag ||
       t->kind == tcp::TunableKind::triple)) {
    std::istringstream in(raw_value);
    int64_t v[3] = {0, 0, 0};
    int n = t->kind == tcp::TunableKind::triple ? 3 : 1;
    for (int i = 0; i < n; ++i) {
      std::string w;
      in >> w;
      try {
        v[i] = shell_number(w);
      } catch (const std::exception&) {
        throw Failure{pos, fmt::format("sysctl {}: '{}' is not {}", full, raw_value,
                                       n == 3 ? "three numbers" : "a number")};
      }
      if (v[i] < t->min || v[i] > t->max) {
        throw Failure{pos,
                      fmt::format("sysctl {}: {} is outside {}..{}", full, v[i], t->min, t->max)};
      }
    }
    if (host_) {
      throw Unsupported{pos, "sysctl changes after the first socket",
                        fmt::format("{}={}", full, raw_value)};
    }
    tcp::TunableValue value{v[0]};
    if (n == 3) value = tcp::Triple{v[0], v[1], v[2]};
    tcp::apply(*t, value, profile_);
    return;
  }
  result_.notes.push_back(fmt::format("{}:{}:{}: sysctl {}={} not modelled by netsim (ignored)",
                                      script_.file, pos.line, pos.col, full, raw_value));
}

}  // namespace netsim::drill
