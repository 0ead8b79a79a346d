// The netsim command as users meet it: exit codes 0/1/2, messages on stderr, output files
// written completely or not at all.
#include <sys/wait.h>
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Result netsim(const std::string& args) {
  std::string cmd = std::string(NETSIM_BINARY) + " " + args + " 2>&1";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.out.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("netsim-cli-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string write_file(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p.string();
}

const std::string kSource = NETSIM_SOURCE_DIR;

const char* kHandshake = R"(name: tiny
hosts: {client: 10.0.0.1, server: 10.0.0.2}
links: [{between: [client, server], delay: 10ms}]
apps:
  - tcp_server: {name: echo, on: server, port: 80, reply: echo}
  - tcp_client: {name: alice, on: client, connect: server:80, send: "hi"}
expect:
  - {app: alice, connected_by: 20ms}
  - {app: alice, received: "hi"}
)";

}  // namespace

TEST_CASE("version and help exit 0") {
  auto v = netsim("--version");
  CHECK(v.code == 0);
  CHECK(v.out.find("netsim 0.1.0") != std::string::npos);
  auto h = netsim("--help");
  CHECK(h.code == 0);
  CHECK(h.out.find("Exit codes") != std::string::npos);
}

TEST_CASE("a bad command line exits 2") {
  CHECK(netsim("").code == 2);
  CHECK(netsim("frobnicate").code == 2);
  CHECK(netsim("run").code == 2);
}

TEST_CASE("a missing scenario file exits 2 and names the file") {
  auto r = netsim("run /nonexistent/x.yaml");
  CHECK(r.code == 2);
  CHECK(r.out.find("/nonexistent/x.yaml") != std::string::npos);
}

TEST_CASE("a run whose expectations hold exits 0 and prints trace and summary") {
  auto d = temp_dir("ok");
  auto f = write_file(d / "tiny.yaml", kHandshake);
  auto r = netsim("run " + f);
  CHECK(r.code == 0);
  CHECK(r.out.find("Flags [S]") != std::string::npos);
  CHECK(r.out.find("2 of 2 expectations held") != std::string::npos);
}

TEST_CASE("a failed expectation exits 1 and says what happened") {
  auto d = temp_dir("fail");
  std::string text = kHandshake;
  text += "  - {app: alice, connected_by: 5ms}\n";
  auto f = write_file(d / "tiny.yaml", text);
  auto r = netsim("run --quiet " + f);
  CHECK(r.code == 1);
  CHECK(r.out.find("expectation failed: alice: connected by 0.005000 s: connected only at "
                   "0.020000 s") != std::string::npos);
}

TEST_CASE("check validates without running and reports every error") {
  auto d = temp_dir("check");
  auto f = write_file(d / "bad.yaml", "hosts: {a: 10.0.0.1}\nlinks: [{between: [a, b]}]\nfoo: 1\n");
  auto r = netsim("check " + f);
  CHECK(r.code == 2);
  CHECK(r.out.find("bad.yaml:2:") != std::string::npos);
  CHECK(r.out.find("bad.yaml:3:1") != std::string::npos);
}

TEST_CASE("outputs are written under -o and nothing is left half-written on bad input") {
  auto d = temp_dir("outputs");
  auto f = write_file(d / "tiny.yaml", kHandshake);
  auto r = netsim("run " + f + " -o " + (d / "out").string() +
                  " --trace t.txt --events e.jsonl --pcap c.pcap --summary s.json --quiet");
  CHECK(r.code == 0);
  for (const char* name : {"t.txt", "e.jsonl", "c.pcap", "s.json"}) {
    CHECK(fs::exists(d / "out" / name));
  }
  // An output that climbs out of the directory is refused before anything is written.
  auto bad = netsim("run " + f + " -o " + (d / "out2").string() + " --trace ../escape.txt");
  CHECK(bad.code == 2);
  CHECK(bad.out.find("climbs out of the output directory") != std::string::npos);
  CHECK_FALSE(fs::exists(d / "escape.txt"));
  // Overwriting the scenario itself is refused.
  auto self = netsim("run " + f + " -o " + d.string() + " --trace tiny.yaml");
  CHECK(self.code == 2);
  CHECK(self.out.find("would overwrite the scenario file") != std::string::npos);
  std::ifstream in(f);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == kHandshake);
}

TEST_CASE("the same seed gives byte-identical event files") {
  auto d = temp_dir("determinism");
  auto f = kSource + "/scenarios/lossy-transfer.yaml";
  REQUIRE(netsim("run " + f + " -o " + d.string() + " --events a.jsonl --quiet").code == 0);
  REQUIRE(netsim("run " + f + " -o " + d.string() + " --events b.jsonl --quiet").code == 0);
  std::ifstream a(d / "a.jsonl"), b(d / "b.jsonl");
  std::stringstream sa, sb;
  sa << a.rdbuf();
  sb << b.rdbuf();
  CHECK(sa.str().size() > 1000);
  CHECK(sa.str() == sb.str());
  REQUIRE(netsim("run " + f + " -o " + d.string() + " --events c.jsonl --quiet --seed 2").code <=
          1);
  std::ifstream c(d / "c.jsonl");
  std::stringstream sc;
  sc << c.rdbuf();
  CHECK(sc.str() != sa.str());
}
