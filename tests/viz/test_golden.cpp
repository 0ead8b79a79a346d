// Golden files: the synthetic handshake, hello-echo, SYN timeout and lossy exchange rendered as
// SVG, Mermaid and text must match tests/viz/golden/ byte for byte. NETSIM_UPDATE_GOLDEN=1
// rewrites them (and the PNGs in docs/images/); review the diff and look at the images.
#include <catch2/catch.hpp>

#include <functional>

#include "golden_file.hpp"
#include "synthetic.hpp"
#include "viz/diagram.hpp"

using namespace netsim;
using namespace netsim::viz;
using namespace netsim::viz::testing;

namespace {
struct Example {
  const char* name;
  std::function<std::vector<TraceRecord>()> trace;
};

const std::vector<Example>& examples() {
  static const std::vector<Example> all{{"handshake", handshake_trace},
                                        {"hello-echo", hello_echo_trace},
                                        {"syn-timeout", syn_timeout_trace},
                                        {"lossy", lossy_trace}};
  return all;
}

void check_golden(const std::string& file, const std::string& actual) {
  std::string path = golden_path(file);
  if (updating_goldens()) {
    write_file(path, actual);
    return;
  }
  std::string expected = read_file(path);
  INFO("golden " << path << " (regenerate with NETSIM_UPDATE_GOLDEN=1, then review)");
  REQUIRE_FALSE(expected.empty());
  if (expected == actual) return;
  write_file(file + ".actual", actual);  // for diffing, in the build directory
  // Point at the first differing line rather than printing whole files.
  size_t at = 0, line = 1;
  while (at < expected.size() && at < actual.size() && expected[at] == actual[at]) {
    if (expected[at++] == '\n') ++line;
  }
  auto line_at = [](const std::string& s, size_t pos) {
    size_t b = s.rfind('\n', pos == 0 ? 0 : pos - 1);
    b = b == std::string::npos ? 0 : b + 1;
    return s.substr(b, s.find('\n', pos) - b);
  };
  FAIL_CHECK(file << " differs from its golden at line " << line << ":\n  golden: "
                  << line_at(expected, at) << "\n  actual: " << line_at(actual, at));
}
}  // namespace

TEST_CASE("the synthetic examples render exactly as their golden SVG, Mermaid and text files") {
  for (const auto& ex : examples()) {
    SECTION(ex.name) {
      auto records = ex.trace();
      DiagramOptions opt;
      auto meta = meta_for(ex.name);
      check_golden(std::string(ex.name) + ".svg",
                   render_diagram_bytes(records, meta, opt, DiagramFormat::svg));
      check_golden(std::string(ex.name) + ".mmd",
                   render_diagram_bytes(records, meta, opt, DiagramFormat::mermaid));
      check_golden(std::string(ex.name) + ".txt",
                   render_diagram_bytes(records, meta, opt, DiagramFormat::text));
    }
  }
}

TEST_CASE("rendering the same records twice gives byte-identical SVG, PNG and PDF") {
  auto records = hello_echo_trace();
  auto meta = meta_for("hello-echo");
  for (auto format : {DiagramFormat::svg, DiagramFormat::png, DiagramFormat::pdf}) {
    std::string first = render_diagram_bytes(records, meta, {}, format);
    std::string second = render_diagram_bytes(records, meta, {}, format);
    CHECK(first.size() > 1000);
    CHECK(first == second);
  }
}

TEST_CASE("the documentation images are the synthetic examples rendered as PNG") {
  std::vector<Example> docs = examples();
  docs.push_back({"keepalive", keepalive_trace});
  docs.push_back({"syn-flood", [] { return syn_flood_trace(10000); }});
  for (const auto& ex : docs) {
    std::string png = render_diagram_bytes(ex.trace(), meta_for(ex.name), {}, DiagramFormat::png);
    CHECK(png.substr(1, 3) == "PNG");
    if (updating_goldens()) {
      write_file(std::string(NETSIM_SOURCE_DIR) + "/docs/images/" + ex.name + ".png", png);
    }
  }
}
