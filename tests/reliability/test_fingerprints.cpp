// Determinism fingerprints (DESIGN.md property 1): every example scenario's JSON Lines events
// and pcap, hashed (FNV-1a 64), must match tests/reliability/fingerprints.txt; and running the
// examples again in the same process, two simulations alive at once, must give the same bytes,
// so no hidden global state (a static counter, a cache) leaks from one run into the next.
// A deliberate change of behaviour: NETSIM_UPDATE_FINGERPRINTS=1 rewrites the file; commit it
// with the change and say why in the message (docs/reliability.md).
#include <unistd.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "sim/pcap_writer.hpp"
#include "sim/rng.hpp"
#include "sim/trace_jsonl.hpp"

namespace fs = std::filesystem;
using namespace netsim;

namespace {

const fs::path kSource = NETSIM_SOURCE_DIR;
const fs::path kFingerprintFile = kSource / "tests/reliability/fingerprints.txt";

struct Fingerprint {
  uint64_t jsonl = 0;
  uint64_t pcap = 0;
  bool operator==(const Fingerprint&) const = default;
  std::string to_string() const { return fmt::format("{:016x} {:016x}", jsonl, pcap); }
};

std::vector<fs::path> examples() {
  std::vector<fs::path> v;
  for (const auto& e : fs::directory_iterator(kSource / "scenarios")) {
    if (e.path().extension() == ".yaml") v.push_back(e.path());
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path scratch_dir() {
  fs::path d = fs::temp_directory_path() / fmt::format("netsim-fingerprints-{}", ::getpid());
  fs::create_directories(d);
  return d;
}

// One run of a scenario with a JSONL and a pcap sink attached, files under `dir`/`tag`.*.
class RecordedRun {
 public:
  RecordedRun(const Scenario& sc, const fs::path& dir, const std::string& tag)
      : jsonl_path_(dir / (tag + ".jsonl")), pcap_path_(dir / (tag + ".pcap")), run_(sc) {
    jsonl_file_.open(jsonl_path_, std::ios::binary | std::ios::trunc);
    jsonl_ = std::make_unique<JsonlSink>(jsonl_file_);
    pcap_ = std::make_unique<PcapSink>(pcap_path_.string());
    run_.add_sink(jsonl_.get());
    run_.add_sink(pcap_.get());
  }

  Fingerprint run() {
    run_.run();
    jsonl_file_.close();
    Fingerprint f{stable_hash(read_all(jsonl_path_)), stable_hash(read_all(pcap_path_))};
    fs::remove(jsonl_path_);
    fs::remove(pcap_path_);
    return f;
  }

 private:
  fs::path jsonl_path_, pcap_path_;
  std::ofstream jsonl_file_;
  ScenarioRun run_;
  std::unique_ptr<JsonlSink> jsonl_;
  std::unique_ptr<PcapSink> pcap_;
};

Scenario load(const fs::path& p) {
  LoadResult r = load_scenario_file(p.string());
  INFO(r.error_text());
  REQUIRE(r.ok());
  return std::move(*r.scenario);
}

Fingerprint fingerprint_of(const fs::path& yaml, const fs::path& dir) {
  Scenario sc = load(yaml);
  RecordedRun run(sc, dir, yaml.stem().string());
  return run.run();
}

std::map<std::string, Fingerprint> read_fingerprints() {
  std::map<std::string, Fingerprint> m;
  std::ifstream in(kFingerprintFile);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string name, jsonl, pcap;
    ls >> name >> jsonl >> pcap;
    m[name] = Fingerprint{std::stoull(jsonl, nullptr, 16), std::stoull(pcap, nullptr, 16)};
  }
  return m;
}

void write_fingerprints(const std::map<std::string, Fingerprint>& m) {
  std::ofstream out(kFingerprintFile, std::ios::trunc);
  out << "# Determinism fingerprints of the example scenarios (scenarios/*.yaml): FNV-1a 64 of "
         "the\n"
         "# JSON Lines events and of the pcap capture of one run with the file's seed.\n"
         "# Checked by tests/reliability/test_fingerprints.cpp. After a deliberate change of\n"
         "# behaviour, regenerate with NETSIM_UPDATE_FINGERPRINTS=1 (docs/reliability.md) and "
         "commit\n"
         "# this file together with the change, saying why in the commit message.\n"
         "# scenario events.jsonl capture.pcap\n";
  for (const auto& [name, f] : m)
    out << name << " " << f.to_string() << "\n";
}

bool updating() {
  const char* v = std::getenv("NETSIM_UPDATE_FINGERPRINTS");
  return v != nullptr && std::string(v) == "1";
}

}  // namespace

TEST_CASE("Every example scenario reproduces its stored JSONL and pcap fingerprints") {
  fs::path dir = scratch_dir();
  std::map<std::string, Fingerprint> now;
  for (const fs::path& p : examples())
    now[p.stem().string()] = fingerprint_of(p, dir);
  fs::remove_all(dir);
  REQUIRE(now.size() >= 17);
  if (updating()) {
    write_fingerprints(now);
    WARN("NETSIM_UPDATE_FINGERPRINTS=1: rewrote " << kFingerprintFile.string());
    return;
  }
  std::map<std::string, Fingerprint> stored = read_fingerprints();
  for (const auto& [name, f] : now) {
    INFO("scenario " << name << " (NETSIM_UPDATE_FINGERPRINTS=1 updates deliberate changes)");
    REQUIRE(stored.count(name) == 1);
    CHECK(f.to_string() == stored[name].to_string());
  }
  for (const auto& [name, f] : stored) {
    INFO("fingerprints.txt lists a scenario that no longer exists");
    CHECK(now.count(name) == 1);
  }
}

TEST_CASE("Two runs of each example alive in one process give identical bytes") {
  fs::path dir = scratch_dir();
  for (const fs::path& p : examples()) {
    INFO("scenario " << p.filename().string());
    Scenario sc = load(p);
    // Both simulations are built before either runs: a static shared between them (a packet
    // uid counter, an RNG, a cache) would make the second differ from the first.
    RecordedRun first(sc, dir, "first"), second(sc, dir, "second");
    Fingerprint a = first.run();
    Fingerprint b = second.run();
    CHECK(a.to_string() == b.to_string());
  }
  fs::remove_all(dir);
}

TEST_CASE("Running the examples in reverse order after each other changes none of them") {
  fs::path dir = scratch_dir();
  std::vector<fs::path> files = examples();
  std::map<std::string, Fingerprint> forward;
  for (const fs::path& p : files)
    forward[p.stem().string()] = fingerprint_of(p, dir);
  std::reverse(files.begin(), files.end());
  for (const fs::path& p : files) {
    INFO("scenario " << p.filename().string());
    CHECK(fingerprint_of(p, dir).to_string() == forward[p.stem().string()].to_string());
  }
  fs::remove_all(dir);
}
