// %{ python }% blocks: the `assert tcpi_X OP value` forms packetdrill scripts use, evaluated
// against the socket under test's tcp_info (protocols/tcp/tcp_info.hpp). Fields netsim does not
// model and any other Python are reported in the notes as skipped, never guessed.
#include <fmt/format.h>

#include <regex>
#include <sstream>

#include "drill/runner_impl.hpp"
#include "protocols/tcp/tcp_info.hpp"

namespace netsim::drill {
namespace {

constexpr std::pair<std::string_view, int64_t> kStateNames[] = {
    {"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2},  {"TCP_SYN_RECV", 3}, {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5},   {"TCP_TIME_WAIT", 6}, {"TCP_CLOSE", 7},    {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9},    {"TCP_LISTEN", 10},   {"TCP_CLOSING", 11}};

}  // namespace

void Runner::code(const CodeSpec& c) {
  auto note = [&](const std::string& what) {
    result_.notes.push_back(
        fmt::format("{}:{}:{}: {} (skipped)", script_.file, c.pos.line, c.pos.col, what));
  };
  // The socket's struct tcp_info as protocols/tcp/tcp_info.hpp gives it; a socket already
  // freed reports TCP_CLOSE and nothing else.
  std::map<std::string, int64_t, std::less<>> info;
  if (under_test_ != tcp::kNoSocket) {
    info["tcpi_state"] = tcp::linux_state_number(host().stack().state(under_test_));
    if (const tcp::Connection* conn = host().stack().connection(under_test_)) {
      for (auto [name, v] : tcp::tcp_info(*conn, sim_.now()).fields())
        info[std::string(name)] = v;
    }
  }
  static const std::regex kAssert(
      R"(^\s*assert\s+(tcpi_\w+)\s*(==|!=|<=|>=|<|>)\s*([A-Za-z_0-9]+)\s*(,.*)?$)");
  std::istringstream in(c.text);
  std::string line;
  int offset = 0;
  while (std::getline(in, line)) {
    ++offset;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::smatch m;
    if (!std::regex_match(line, m, kAssert)) {
      note(fmt::format("python `{}` not evaluated", line.substr(line.find_first_not_of(" \t"))));
      continue;
    }
    std::string field = m[1], op = m[2], rhs = m[3];
    auto it = info.find(field);
    if (it == info.end()) {
      note(fmt::format("{} is not modelled by netsim (protocols/tcp/tcp_info.hpp)", field));
      continue;
    }
    int64_t want = 0;
    bool known = false;
    for (auto [name, v] : kStateNames) {
      if (name == rhs) want = v, known = true;
    }
    if (!known) {
      try {
        want = std::stoll(rhs, nullptr, 0);
      } catch (const std::exception&) {
        note(fmt::format("`{}` is not a number netsim can evaluate", rhs));
        continue;
      }
    }
    int64_t got = it->second;
    bool ok = op == "=="   ? got == want
              : op == "!=" ? got != want
              : op == "<"  ? got < want
              : op == "<=" ? got <= want
              : op == ">"  ? got > want
                           : got >= want;
    if (!ok) {
      throw Failure{
          Pos{c.pos.line + offset - 1, offset == 1 ? c.pos.col : 1},
          fmt::format("assertion failed: {} {} {} ({} is {})", field, op, rhs, field, got)};
    }
  }
}

}  // namespace netsim::drill
