// Memory a scenario costs before its first event, for files within every limit (issue 8,
// resource bounds). Regression tests for two findings: routing tables for every node pair
// (20,000 nodes cost 3.2 GB) and one filler buffer per sized send (10,000 apps sending 1 GiB
// would have cost 10 TiB). Heap figures come from glibc's mallinfo2(); AddressSanitizer has its
// own allocator, which mallinfo2() does not see, so there only the rest of each test counts.
#include <malloc.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "scenarios/loader/loader.hpp"
#include "scenarios/runner/scenario_run.hpp"
#include "tests/support/scenario_support.hpp"

using namespace netsim;

namespace {

int64_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

Scenario load(const std::string& text) {
  return test_support::load_text(text, "bounds.yaml");
}

constexpr int64_t kMiB = int64_t{1} << 20;

}  // namespace

TEST_CASE("A topology of 4000 nodes is built without a routing table for every pair") {
  // 2000 hosts, each on its own router, the routers in a chain: a full table would be
  // 4000 x 4000 entries (128 MiB); tables are built only for nodes that forward packets.
  std::string text = "name: wide\nhosts:\n";
  for (int i = 0; i < 2000; ++i)
    text += fmt::format("  h{}: 10.1.{}.{}\n", i, i / 256, i % 256);
  text += "routers: [";
  for (int i = 0; i < 2000; ++i)
    text += fmt::format("{}r{}", i == 0 ? "" : ", ", i);
  text += "]\nlinks:\n";
  for (int i = 0; i < 2000; ++i)
    text += fmt::format("  - {{between: [h{}, r{}], delay: 1ms}}\n", i, i);
  for (int i = 0; i + 1 < 2000; ++i)
    text += fmt::format("  - {{between: [r{}, r{}], delay: 1ms}}\n", i, i + 1);
  text +=
      "apps:\n  - tcp_server: {name: web, on: h1, port: 80}\n"
      "  - tcp_client: {name: c, on: h0, connect: h1:80}\n";
  Scenario sc = load(text);
  int64_t before = heap_in_use();
  ScenarioRun run(sc);
  run.run();
  CHECK(heap_in_use() - before < 32 * kMiB);
  // The one connection (h0 - r0 - r1 - h1) completed.
  REQUIRE(run.report("c") != nullptr);
  CHECK(run.report("c")->connections.at(0).connected_at.has_value());
}

TEST_CASE("Twenty apps sending 16 MiB each share one 16 MiB buffer") {
  std::string text =
      "name: senders\nhosts: {a: 10.0.0.1, b: 10.0.0.2}\n"
      "links: [{between: [a, b], delay: 1ms}]\napps:\n"
      "  - tcp_server: {name: web, on: b, port: 80, reply: 16MiB}\n";
  for (int i = 0; i < 20; ++i)
    text += fmt::format("  - tcp_client: {{name: c{}, on: a, connect: b:80, send: 16MiB}}\n", i);
  text += "  - tcp_client: {name: small, on: a, connect: b:80, send: 100B}\n";
  Scenario sc = load(text);
  int64_t before = heap_in_use();
  ScenarioRun run(sc);
  CHECK(heap_in_use() - before < 3 * 16 * kMiB);
}
