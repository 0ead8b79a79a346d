// --snaplen (tcpdump -s): the pcap keeps that many bytes of each packet and records its whole
// length, so a long transfer's capture stays small, tshark marks the cut, and `netsim diagram`
// still draws every packet from the headers.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/run_process.hpp"

namespace fs = std::filesystem;
using namespace test_support;

namespace {

const std::string kSource = std::string(NETSIM_SOURCE_DIR) + "/scenarios/";

ProcessResult netsim(const std::string& args) {
  return run_process(std::string(NETSIM_BINARY) + " " + args, {.capture = Capture::both});
}

// The snap length a pcap's file header declares (bytes 16-19, the writer's byte order: ours is
// little-endian on this machine, as the magic a1b23c4d read backwards says).
uint32_t header_snaplen(const fs::path& pcap) {
  std::ifstream in(pcap, std::ios::binary);
  unsigned char h[20] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  REQUIRE(in.gcount() == 20);
  REQUIRE(h[0] == 0x4d);  // nanosecond pcap, little-endian
  return uint32_t{h[16]} | uint32_t{h[17]} << 8 | uint32_t{h[18]} << 16 | uint32_t{h[19]} << 24;
}

bool have_tshark() {
  return run_process("command -v tshark", {.capture = Capture::stdout_only}).code == 0;
}

}  // namespace

TEST_CASE("A pcap with --snaplen cuts each packet as tcpdump -s does and keeps its whole length") {
  fs::path dir = fresh_dir("snaplen");
  auto r = netsim("run " + kSource + "hello-echo.yaml -q -o " + dir.string() +
                  " --pcap cut.pcap --snaplen 60");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(header_snaplen(dir / "cut.pcap") == 60);
  REQUIRE(netsim("run " + kSource + "hello-echo.yaml -q -o " + dir.string() + " --pcap whole.pcap")
              .code == 0);
  CHECK(header_snaplen(dir / "whole.pcap") == 65535);
  if (!have_tshark()) {
    WARN("tshark is not on PATH: the packet check is skipped");
    return;
  }
  // Per packet: length on the wire, bytes captured, TCP payload length (from the IPv4 total
  // length), flags. The SYN and SYN-ACK (20 + 40 bytes) fit whole; each 13-byte data segment
  // (20 + 32 + 13) loses its last 5 bytes.
  auto t = run_process("tshark -n -r " + shell_quote((dir / "cut.pcap").string()) +
                           " -T fields -e frame.len -e frame.cap_len -e tcp.len -e tcp.flags.str",
                       {.capture = Capture::stdout_only});
  REQUIRE(t.code == 0);
  CHECK(t.output ==
        "60\t60\t0\t··········S·\n"
        "60\t60\t0\t·······A··S·\n"
        "52\t52\t0\t·······A····\n"
        "65\t60\t13\t·······AP···\n"
        "52\t52\t0\t·······A····\n"
        "65\t60\t13\t·······AP···\n"
        "52\t52\t0\t·······A····\n"
        "52\t52\t0\t·······A···F\n"
        "52\t52\t0\t·······A···F\n"
        "52\t52\t0\t·······A····\n");
}

TEST_CASE("a capture cut at a snap length draws the same sequence diagram") {
  fs::path dir = fresh_dir("snaplen-diagram");
  std::string run = "run " + kSource + "lossy-transfer.yaml -q -o " + dir.string();
  REQUIRE(netsim(run + " --pcap cut.pcap --snaplen 96").code == 0);
  REQUIRE(netsim(run + " --pcap whole.pcap").code == 0);
  CHECK(fs::file_size(dir / "cut.pcap") * 5 < fs::file_size(dir / "whole.pcap"));
  for (const char* name : {"cut", "whole"}) {
    auto d = netsim(std::string("diagram ") + (dir / (std::string(name) + ".pcap")).string() +
                    " -o " + (dir / (std::string(name) + ".txt")).string());
    INFO(d.output);
    REQUIRE(d.code == 0);
  }
  // The first line names the file; every arrow and state after it is the same.
  auto body = [](const std::string& s) { return s.substr(s.find('\n')); };
  std::string cut = read_file(dir / "cut.txt");
  CHECK(cut.find("retx #1") != std::string::npos);  // retransmissions are told from the headers
  CHECK(body(cut) == body(read_file(dir / "whole.txt")));
}

TEST_CASE("A snap length out of range or without a pcap is refused, named") {
  auto big = netsim("run " + kSource + "hello-echo.yaml -q --pcap x.pcap --snaplen 70000");
  CHECK(big.code == 2);
  CHECK(big.output.find("--snaplen: expected bytes per packet from 1 to 65535, or 0 for whole "
                        "packets, found \"70000\"") != std::string::npos);
  auto none = netsim("run " + kSource + "hello-echo.yaml -q --snaplen 64");
  CHECK(none.code == 2);
  CHECK(none.output == "netsim: --snaplen needs a pcap: --pcap FILE or outputs.pcap\n");
  auto drill = netsim("drill " + std::string(NETSIM_SOURCE_DIR) +
                      "/tests/drill/handshake-active.pkt --snaplen 64");
  CHECK(drill.code == 2);
  CHECK(drill.output.find("--snaplen requires --pcap") != std::string::npos);
}
