// For the tests that drive programs end to end (the `netsim` command, tcpdump, tshark): one
// shell command run to its end with the output streams asked for and its exit code, and the
// scratch directories and whole files that go with such runs.
#pragma once

#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

// Which of the command's streams ProcessResult::output holds.
enum class Capture {
  stdout_only,  // standard error goes where the test's own goes
  stderr_only,  // standard output is discarded, so that messages compare exactly
  both,         // interleaved as the command wrote them
};

struct RunOptions {
  std::filesystem::path dir{};  // where the command runs; empty: the test's own directory
  Capture capture = Capture::both;
};

struct ProcessResult {
  int code = -1;  // the exit code; -1 when the shell did not exit normally
  std::string output;
};

// `s` in single quotes for the shell.
inline std::string shell_quote(std::string_view s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `command` with /bin/sh (popen) and waits for it. The capture's redirection is appended to
// `command`, so it applies to its last command only: a list of commands goes in a { } group.
inline ProcessResult run_process(const std::string& command, const RunOptions& options = {}) {
  std::string line = command;
  if (!options.dir.empty()) line = "cd " + shell_quote(options.dir.string()) + " && " + line;
  if (options.capture == Capture::both) line += " 2>&1";
  if (options.capture == Capture::stderr_only) line += " 2>&1 >/dev/null";
  ProcessResult r;
  FILE* p = ::popen(line.c_str(), "r");
  INFO(line);
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    r.output.append(buf.data(), n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The empty directory netsim-NAME under the system's temporary directory, emptied first when an
// earlier run left it; it stays after the test, for a look at what the run wrote.
inline std::filesystem::path fresh_dir(const std::string& name) {
  std::filesystem::path d = std::filesystem::temp_directory_path() / ("netsim-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

// Every entry under `dir`, as sorted paths relative to it: all of them (FIFOs, symlinks as
// themselves), or only regular files (temporaries included).
enum class Entries { all, regular_files };
inline std::vector<std::string> entries_under(const std::filesystem::path& dir,
                                              Entries which = Entries::all) {
  std::vector<std::string> v;
  if (!std::filesystem::exists(dir)) return v;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (which == Entries::regular_files && !e.is_regular_file()) continue;
    v.push_back(e.path().lexically_relative(dir).string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

// A client sends "hi" to an echo server over one 10 ms link.
inline constexpr const char* kTinyEcho = R"(name: tiny
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: echo, on: server, port: 80, reply: echo}
  - tcp_client: {name: alice, on: client, connect: server:80, send: "hi"}
)";

#ifdef NETSIM_BINARY
// `netsim ARGS` run in `dir`; the output is standard error only (standard output is
// discarded), so that messages compare exactly.
inline ProcessResult netsim_in(const std::filesystem::path& dir, const std::string& args) {
  return run_process(std::string(NETSIM_BINARY) + " " + args,
                     {.dir = dir, .capture = Capture::stderr_only});
}
#endif

// Writes `text` to `path` exactly (binary), replacing the file; returns the path.
inline std::string write_file(const std::filesystem::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

// The whole file, byte for byte; empty when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace test_support
