// The `netsim` subcommands. main.cpp parses the command line (CLI11) into these option structs;
// each command returns the process exit code: 0 ok, 1 an expectation failed, 2 bad input
// (file, keys, values, command line), 3 internal error (SCENARIO_SPEC.md "The command").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netsim::cli {

constexpr int kExitOk = 0;
constexpr int kExitExpectFailed = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInternal = 3;

struct RunArgs {
  std::string file;
  std::string out_dir;  // -o; empty = current directory
  std::optional<uint64_t> seed;
  std::vector<std::string> sets;
  std::vector<std::string> expect_files;  // --expect FILE: a grader's expectations, appended
  std::optional<std::string> trace, events, pcap, summary;
  std::vector<std::string> pcap_at;  // --pcap-at HOST|all: capture points (docs/outputs.md)
  int snaplen = 0;                   // --snaplen BYTES: 0 keeps whole packets
  std::vector<std::string> diagrams;
  std::vector<std::string> timelines, plots;  // --timeline FILE, --plot KIND=FILE
  bool quiet = false;
  uint64_t max_events = 0;        // 0 = the default budget
  double max_wall_seconds = 0.0;  // 0 = unlimited
  bool realtime = false;          // --realtime (implied by a `tun:` host): docs/real-peers.md
  // --allow-routed-address: a simulated address may shadow a local or routed one
  // (docs/reliability.md "The TUN bridge").
  bool allow_routed_addresses = false;
  // The diagram selection of --diagram files: --connection, --from, --to, --max-arrows.
  std::vector<std::string> connections;
  std::optional<std::string> from, to;
  std::optional<size_t> max_arrows;
  double scale = 2;  // --scale: PNG pixels per point of --diagram files
};

struct DiagramArgs {
  std::string events_file;
  std::string output;
  std::vector<std::string> connections;
  std::vector<std::string> hosts;
  std::optional<std::string> from, to;
  bool absolute_seq = false;
  double scale = 2;  // PNG pixels per point
};

int run_command(const RunArgs& args);
int check_command(const std::vector<std::string>& files, const std::vector<std::string>& sets);
int diagram_command(const DiagramArgs& args);

}  // namespace netsim::cli
