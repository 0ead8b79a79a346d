// The one table of tunables (protocols/tcp/tunables.hpp) and of counters (io.hpp) against every
// place that uses them: each tunable is settable from a file, from --set and by its sysctl name,
// its member and presets are its own, and docs/profiles.md's table is the table, rendered.
// NETSIM_UPDATE_DOCS=1 rewrites that table in docs/profiles.md from the tunables table.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/io.hpp"
#include "protocols/tcp/tunables.hpp"
#include "scenarios/loader/loader.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {

const char* kHosts = R"(hosts:
  client: 10.0.0.1
  server: 10.0.0.2
)";

// A value of `t` that differs from the linux preset.
TunableValue other_typed(const Tunable& t) {
  switch (t.kind) {
    case TunableKind::integer: {
      int64_t v = std::get<int64_t>(t.linux_value);
      return v == t.max ? t.min : t.max;
    }
    case TunableKind::flag:
      return 1 - std::get<int64_t>(t.linux_value);
    case TunableKind::choice: {  // the last choice, or the first when `linux` has the last
      const auto last = static_cast<int64_t>(t.choices.size() - 1);
      return std::get<int64_t>(t.linux_value) == last ? int64_t{0} : last;
    }
    case TunableKind::duration:
      return Duration::seconds(7);
    case TunableKind::triple:
      return Triple{t.min, t.min, t.max};
  }
  return int64_t{0};
}

std::string doc_value(const Tunable& t, const TunableValue& v);

// other_typed(t) as a scenario writes it.
std::string other_value(const Tunable& t) {
  std::string v = doc_value(t, other_typed(t));
  return t.kind == TunableKind::triple ? "\"" + v + "\"" : v;
}

// The value of `t` as docs/profiles.md shows it.
std::string doc_value(const Tunable& t, const TunableValue& v) {
  switch (t.kind) {
    case TunableKind::integer:
    case TunableKind::flag:
      return std::to_string(std::get<int64_t>(v));
    case TunableKind::choice:
      return std::string(t.choices[static_cast<size_t>(std::get<int64_t>(v))]);
    case TunableKind::duration:
      return format_duration(std::get<Duration>(v));
    case TunableKind::triple: {
      const auto& x = std::get<Triple>(v);
      return fmt::format("{} {} {}", x.min, x.def, x.max);
    }
  }
  return "";
}

// How a value of `t` is written and which values are accepted.
std::string doc_range(const Tunable& t) {
  std::string s;
  switch (t.kind) {
    case TunableKind::integer:
      s = fmt::format("{}..{}", t.min, t.max);
      break;
    case TunableKind::flag:
      s = "0 or 1";
      break;
    case TunableKind::choice:
      s = fmt::format("`{}`", fmt::join(t.choices, "` \\| `"));
      break;
    case TunableKind::duration:
      s = t.zero_ok ? "duration ≥ 0" : "duration > 0";
      break;
    case TunableKind::triple:
      s = fmt::format("\"MIN DEFAULT MAX\", each {}..{}", t.min, t.max);
      break;
  }
  if (!t.at_most.empty()) s += fmt::format(", ≤ `{}`", t.at_most);
  return s;
}

std::string doc_table() {
  std::string s =
      "| key | Linux name | values | `linux` | `rfc9293` | meaning and source |\n"
      "|---|---|---|---|---|---|\n";
  for (const Tunable& t : tunables()) {
    s += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", t.key,
                     t.linux_name.empty() ? "" : fmt::format("`{}`", t.linux_name), doc_range(t),
                     doc_value(t, t.linux_value), doc_value(t, t.rfc9293_value), t.doc);
  }
  return s;
}

constexpr std::string_view kBegin =
    "<!-- tunables table: generated from protocols/tcp/tunables.cpp";
constexpr std::string_view kEnd = "<!-- end of tunables table -->";

}  // namespace

TEST_CASE("docs/profiles.md's table of tunables is the tunables table") {
  std::string path = std::string(NETSIM_SOURCE_DIR) + "/docs/profiles.md";
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  size_t b = doc.find(kBegin);
  REQUIRE(b != std::string::npos);
  b = doc.find('\n', b) + 1;
  size_t e = doc.find(kEnd, b);
  REQUIRE(e != std::string::npos);
  std::string want = doc_table();
  if (std::getenv("NETSIM_UPDATE_DOCS")) {
    doc.replace(b, e - b, want);
    std::ofstream(path + ".tmp") << doc;
    std::filesystem::rename(path + ".tmp", path);
    return;
  }
  INFO("regenerate with NETSIM_UPDATE_DOCS=1 build-dev/tests/scenarios/test_scenarios");
  CHECK(doc.substr(b, e - b) == want);
}

TEST_CASE("every tunable is settable from a tcp block, by key and by its sysctl name") {
  for (const Tunable& t : tunables()) {
    std::vector<std::string_view> keys{t.key};
    if (!sysctl_key(t).empty()) keys.push_back(sysctl_key(t));
    for (std::string_view key : keys) {
      INFO(key);
      std::string text = fmt::format("{}tcp: {{{}: {}}}\n", kHosts, key, other_value(t));
      LoadResult r = load_scenario_text(text, "t.yaml");
      INFO(r.error_text());
      REQUIRE(r.ok());
      Profile p = r.scenario->tcp.to_profile();
      CHECK(value_of(t, p) != t.linux_value);
      CHECK(r.scenario->tcp.values.size() == 1);
    }
  }
}

TEST_CASE("every tunable is settable per host with --set, over the scenario's tcp block") {
  for (const Tunable& t : tunables()) {
    INFO(t.key);
    std::string set = fmt::format("hosts.server.tcp.{}={}", t.key, other_value(t));
    LoadResult r =
        load_scenario_text(std::string(kHosts) + "tcp: {profile: rfc9293}\n", "t.yaml", {set});
    INFO(r.error_text());
    REQUIRE(r.ok());
    const Scenario& s = *r.scenario;
    Profile server = s.tcp_for(*s.find_host("server")).to_profile();
    Profile client = s.tcp_for(*s.find_host("client")).to_profile();
    CHECK(value_of(t, server) != t.linux_value);
    CHECK(value_of(t, client) == t.rfc9293_value);
  }
}

TEST_CASE("each tunable names its own profile field, and the presets are the table's values") {
  std::set<std::string_view> keys;
  for (const Tunable& t : tunables()) {
    INFO(t.key);
    CHECK(keys.insert(t.key).second);
    CHECK(find_tunable(t.key) == &t);
    CHECK(value_of(t, Profile{}) == t.linux_value);
    CHECK(value_of(t, Profile::rfc9293()) == t.rfc9293_value);
    // Changing this field leaves every other tunable's field alone.
    Profile p;
    apply(t, other_typed(t), p);
    for (const Tunable& o : tunables()) {
      if (&o != &t) CHECK(value_of(o, p) == o.linux_value);
    }
  }
}

TEST_CASE("the presets keep their documented values") {
  Profile l;
  CHECK(l.syn_retries == 6);
  CHECK(l.time_wait == Duration::seconds(60));
  CHECK(l.rto_min == Duration::milliseconds(200));
  CHECK(l.rcv_buffer() == 131072);
  CHECK(l.congestion == CongestionAlgo::cubic);
  Profile r = Profile::rfc9293();
  CHECK(r.syn_retries == 7);
  CHECK(r.syn_linear_timeouts == 0);
  CHECK(r.syncookies == 0);
  CHECK(r.time_wait == Duration::minutes(4));
  CHECK(r.rto_min == Duration::seconds(1));
  CHECK(r.delayed_ack_max == Duration::milliseconds(500));
  CHECK(r.quickacks == 0);
  CHECK(r.initial_cwnd == 3);
  CHECK(r.congestion == CongestionAlgo::newreno);
}

// Issue 13's switches: Linux 6.x's defaults in `linux` (tcp_timestamps=1, tcp_window_scaling=1,
// tcp_sack=1, tcp_dsack=1, tcp_recovery=1 (RACK), tcp_early_retrans=3 (TLP), tcp_frto=2), all off
// in `rfc9293`, the textbook TCP a teacher shows "without SACK".
TEST_CASE("the modern data path switches are Linux's in linux and off in rfc9293") {
  Profile l = Profile::linux_default();
  CHECK(l.timestamps);
  CHECK(l.window_scaling);
  CHECK(l.sack);
  CHECK(l.dsack);
  CHECK(l.recovery == 1);
  CHECK(l.early_retrans == 3);
  CHECK(l.frto == 2);
  Profile r = Profile::rfc9293();
  CHECK_FALSE(r.timestamps);
  CHECK_FALSE(r.window_scaling);
  CHECK_FALSE(r.sack);
  CHECK_FALSE(r.dsack);
  CHECK(r.recovery == 0);
  CHECK(r.early_retrans == 0);
  CHECK(r.frto == 0);
  REQUIRE(find_tunable("tcp_timestamps") == find_tunable("timestamps"));
  CHECK(find_tunable("tcp_window_scaling")->linux_name == "net.ipv4.tcp_window_scaling");
  CHECK(find_tunable("tcp_early_retrans")->max == 4);
}

TEST_CASE("a tunable written twice, once by its sysctl name, is one error at the second") {
  LoadResult r = load_scenario_text(
      std::string(kHosts) + "tcp:\n  syn_retries: 3\n  tcp_syn_retries: 4\n", "bad.yaml");
  CHECK(r.error_text() ==
        "bad.yaml:6:3: tcp.tcp_syn_retries: \"tcp_syn_retries\" is the same setting as "
        "\"syn_retries\" (line 5); expected it once\n");
}

TEST_CASE("each counter has its own name, nstat name and field") {
  std::set<std::string_view> names, nstats;
  for (const CounterInfo& c : counter_table()) {
    INFO(c.name);
    CHECK(names.insert(c.name).second);
    if (!c.nstat.empty()) CHECK(nstats.insert(c.nstat).second);
    CHECK_FALSE(c.doc.empty());
    Counters k;
    k.*c.member = 1;
    for (const CounterInfo& o : counter_table())
      CHECK(k.*o.member == (&o == &c ? 1u : 0u));
  }
}

TEST_CASE("tcp_rmem is written \"MIN DEFAULT MAX\", and its default is the receive buffer") {
  LoadResult r = load_scenario_text(
      std::string(kHosts) + "tcp: {tcp_rmem: \"4096 16384 6291456\"}\n", "t.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  Profile p = r.scenario->tcp.to_profile();
  CHECK(p.rmem == Triple{4096, 16384, 6291456});
  CHECK(p.rcv_buffer() == 16384);
  // tcp_select_initial_window(): half of it as window, rounded down to the MSS.
  CHECK(synack_rcv_window(p, SocketOptions{}, 0).rcv_wnd == 7300);
  CHECK(Profile{}.rcv_buffer() == 131072);
}

TEST_CASE("a bad tcp_rmem says what was expected, where") {
  auto errors = [](const std::string& value) {
    return load_scenario_text(std::string(kHosts) + "tcp:\n  rmem: " + value + "\n", "bad.yaml")
        .error_text();
  };
  CHECK(errors("4096") ==
        "bad.yaml:5:9: tcp.rmem: expected three integers \"MIN DEFAULT MAX\" like \"4096 131072 "
        "6291456\", found \"4096\"\n");
  CHECK(errors("\"4096 x 6291456\"") ==
        "bad.yaml:5:9: tcp.rmem: expected three integers \"MIN DEFAULT MAX\" like \"4096 131072 "
        "6291456\", found \"4096 x 6291456\"\n");
  CHECK(errors("4096 131072 6291456 1") ==
        "bad.yaml:5:9: tcp.rmem: expected three integers \"MIN DEFAULT MAX\" like \"4096 131072 "
        "6291456\", found \"4096 131072 6291456 1\"\n");
  CHECK(errors("1024 131072 6291456") ==
        "bad.yaml:5:9: tcp.rmem: expected each of MIN DEFAULT MAX from 2048 to 1073741824, found "
        "1024\n");
  CHECK(errors("8192 4096 6291456") ==
        "bad.yaml:5:9: tcp.rmem: expected MIN <= DEFAULT <= MAX, found \"8192 4096 6291456\"\n");
  CHECK(errors("[4096, 131072, 6291456]") ==
        "bad.yaml:5:9: tcp.rmem: expected three integers \"MIN DEFAULT MAX\" like \"4096 131072 "
        "6291456\", found a list\n");
  CHECK(load_scenario_text(std::string(kHosts) + "tcp: {}\n", "t.yaml", {"tcp.rmem=4096 8192"})
            .error_text() ==
        "--set tcp.rmem=4096 8192: tcp.rmem: expected three integers \"MIN DEFAULT MAX\" like "
        "\"4096 131072 6291456\", found \"4096 8192\"\n");
}
