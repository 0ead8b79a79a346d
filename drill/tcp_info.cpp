// %{ python }% blocks: the `assert tcpi_X OP value` forms packetdrill scripts use, evaluated
// against a tcp_info view of the socket under test. Fields netsim does not expose through its
// socket API and any other Python are reported in the notes as skipped, never guessed.
#include <fmt/format.h>

#include <regex>
#include <sstream>

#include "drill/runner_impl.hpp"

namespace netsim::drill {
namespace {

// Linux's TCP_* state numbers (include/net/tcp_states.h) as tcpi_state reports them.
int64_t linux_state(tcp::State s) {
  switch (s) {
    case tcp::State::established:
      return 1;
    case tcp::State::syn_sent:
      return 2;
    case tcp::State::syn_received:
      return 3;
    case tcp::State::fin_wait_1:
      return 4;
    case tcp::State::fin_wait_2:
      return 5;
    case tcp::State::time_wait:
      return 6;
    case tcp::State::closed:
      return 7;
    case tcp::State::close_wait:
      return 8;
    case tcp::State::last_ack:
      return 9;
    case tcp::State::listen:
      return 10;
    case tcp::State::closing:
      return 11;
  }
  return 7;
}

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
  // The fields netsim can give: what the host's socket API exposes.
  std::map<std::string, int64_t> info;
  if (under_test_ != tcp::kNoSocket) {
    info["tcpi_state"] = linux_state(host().stack().state(under_test_));
    if (host().stack().exists(under_test_))
      info["tcpi_total_retrans"] =
          static_cast<int64_t>(host().stack().stats(under_test_).retransmits);
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
      note(fmt::format("{} is not exposed by netsim's socket API", field));
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
