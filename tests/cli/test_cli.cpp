// The netsim command as users meet it: exit codes 0/1/2, messages on stderr, output files
// written completely or not at all.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "tests/support/run_process.hpp"

namespace fs = std::filesystem;
using namespace test_support;

namespace {

// `netsim ARGS`, its stdout and stderr together in the result's output.
ProcessResult netsim(const std::string& args) {
  return run_process(std::string(NETSIM_BINARY) + " " + args, {.capture = Capture::both});
}

// `netsim ARGS` with environment assignments `env` ("NAME=value ") before it.
ProcessResult netsim_env(const std::string& env, const std::string& args) {
  return run_process(env + std::string(NETSIM_BINARY) + " " + args, {.capture = Capture::both});
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
  CHECK(v.output.find("netsim 0.1.0") != std::string::npos);
  auto h = netsim("--help");
  CHECK(h.code == 0);
  CHECK(h.output.find("Exit codes") != std::string::npos);
}

TEST_CASE("a bad command line exits 2") {
  CHECK(netsim("").code == 2);
  CHECK(netsim("frobnicate").code == 2);
  CHECK(netsim("run").code == 2);
}

TEST_CASE("a missing scenario file exits 2 and names the file") {
  auto r = netsim("run /nonexistent/x.yaml");
  CHECK(r.code == 2);
  CHECK(r.output.find("/nonexistent/x.yaml") != std::string::npos);
}

TEST_CASE("a run whose expectations hold exits 0 and prints trace and summary") {
  auto d = fresh_dir("cli-ok");
  auto f = write_file(d / "tiny.yaml", kHandshake);
  auto r = netsim("run " + f);
  CHECK(r.code == 0);
  CHECK(r.output.find("Flags [S]") != std::string::npos);
  CHECK(r.output.find("2 of 2 expectations held") != std::string::npos);
}

TEST_CASE("a failed expectation exits 1 and says what happened") {
  auto d = fresh_dir("cli-fail");
  std::string text = kHandshake;
  text += "  - {app: alice, connected_by: 5ms}\n";
  auto f = write_file(d / "tiny.yaml", text);
  auto r = netsim("run --quiet " + f);
  CHECK(r.code == 1);
  CHECK(r.output.find("expectation failed: alice: connected by 0.005000 s: connected only at "
                      "0.020000 s") != std::string::npos);
}

TEST_CASE("a grader file given with --expect adds its expectations, failures and errors name it") {
  auto d = fresh_dir("cli-grader");
  auto f = write_file(d / "tiny.yaml", kHandshake);
  auto ok =
      write_file(d / "ok.yaml", "expect:\n  - {packets: {from: client, flags: S}, count: 1}\n");
  auto fails = write_file(d / "fails.yaml", "expect:\n  - {packets: {flags: R}, min: 1}\n");
  auto bad = write_file(d / "bad.yaml", "expect:\n  - {app: bob, result: closed}\n");
  auto r = netsim("run --quiet " + f + " --expect " + ok);
  CHECK(r.code == 0);
  r = netsim("run --quiet " + f + " --expect " + ok + " --expect " + fails);
  CHECK(r.code == 1);
  CHECK(r.output == fails + ":2:5: expectation failed: packets flags R at least 1: 0 sent\n");
  r = netsim("run --quiet " + f + " --expect " + bad);
  CHECK(r.code == 2);
  CHECK(r.output == bad + ":2:11: expect[0].app: unknown app \"bob\"\n");
}

TEST_CASE("check validates without running and reports every error") {
  auto d = fresh_dir("cli-check");
  auto f = write_file(d / "bad.yaml", "hosts: {a: 10.0.0.1}\nlinks: [{between: [a, b]}]\nfoo: 1\n");
  auto r = netsim("check " + f);
  CHECK(r.code == 2);
  CHECK(r.output.find("bad.yaml:2:") != std::string::npos);
  CHECK(r.output.find("bad.yaml:3:1") != std::string::npos);
}

TEST_CASE("outputs are written under -o and nothing is left half-written on bad input") {
  auto d = fresh_dir("cli-outputs");
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
  CHECK(bad.output.find("climbs out of the output directory") != std::string::npos);
  CHECK_FALSE(fs::exists(d / "escape.txt"));
  // Overwriting the scenario itself is refused.
  auto self = netsim("run " + f + " -o " + d.string() + " --trace tiny.yaml");
  CHECK(self.code == 2);
  CHECK(self.output.find("would overwrite the scenario file") != std::string::npos);
  CHECK(read_file(f) == kHandshake);
}

TEST_CASE("the same seed gives byte-identical event files") {
  auto d = fresh_dir("cli-determinism");
  auto f = kSource + "/scenarios/lossy-transfer.yaml";
  REQUIRE(netsim("run " + f + " -o " + d.string() + " --events a.jsonl --quiet").code == 0);
  REQUIRE(netsim("run " + f + " -o " + d.string() + " --events b.jsonl --quiet").code == 0);
  std::string a = read_file(d / "a.jsonl"), b = read_file(d / "b.jsonl");
  CHECK(a.size() > 1000);
  CHECK(a == b);
  REQUIRE(netsim("run " + f + " -o " + d.string() + " --events c.jsonl --quiet --seed 2").code <=
          1);
  CHECK(read_file(d / "c.jsonl") != a);
}

namespace {
// A PNG's width in pixels: the IHDR chunk's first field, big-endian at byte 16.
uint32_t png_width(const std::string& png) {
  REQUIRE(png.size() > 24);
  REQUIRE(png.compare(1, 3, "PNG") == 0);
  uint32_t w = 0;
  for (int i = 16; i < 20; ++i)
    w = (w << 8) | static_cast<unsigned char>(png[static_cast<size_t>(i)]);
  return w;
}
}  // namespace

TEST_CASE("run --scale sets a PNG diagram's pixels per point, as diagram --scale does") {
  auto d = fresh_dir("cli-scale");
  auto f = write_file(d / "tiny.yaml", kHandshake);
  std::string out = " -o " + d.string() + " --quiet";
  REQUIRE(netsim("run " + f + out + " --diagram two.png").code == 0);
  REQUIRE(netsim("run " + f + out + " --diagram one.png --scale 1").code == 0);
  REQUIRE(netsim("run " + f + out + " --diagram four.png --scale 4").code == 0);
  uint32_t one = png_width(read_file(d / "one.png"));
  CHECK(one > 300);
  uint32_t two = png_width(read_file(d / "two.png"));
  CHECK(png_width(read_file(d / "four.png")) == 2 * two);
  CHECK((two == 2 * one || two + 1 == 2 * one));  // the page's width in points is not whole
  // Out of the renderer's range: refused on the command line, nothing written.
  auto bad = netsim("run " + f + out + " --diagram zero.png --scale 0");
  CHECK(bad.code == 2);
  CHECK(bad.output.find("--scale") != std::string::npos);
  CHECK_FALSE(fs::exists(d / "zero.png"));
  // Every picture output says which formats it writes, PDF included.
  auto help = netsim("run --help");
  CHECK(help.output.find("connection-state timeline (.svg .png .pdf)") != std::string::npos);
  CHECK(help.output.find("time-series plot (.svg .png .pdf)") != std::string::npos);
}

TEST_CASE("with timer_wheel on, the summary gives each host's jiffies and tick phase") {
  auto r = netsim("run " + kSource + "/scenarios/timer-wheel.yaml");
  CHECK(r.code == 0);
  CHECK(r.output.find("timer wheel: client has jiffies 4310297488 at 0 s, the next tick at "
                      "2017093 ns, one every 4 ms (HZ 250)\n") != std::string::npos);
  CHECK(r.output.find("12 of 12 expectations held") != std::string::npos);
  // Off (the default), no such line, and the instants the expectations name are not met.
  auto off = netsim("run --set tcp.timer_wheel=0 " + kSource + "/scenarios/timer-wheel.yaml");
  CHECK(off.code == 1);
  CHECK(off.output.find("timer wheel:") == std::string::npos);
  CHECK(off.output.find("2 of 12 expectations held") != std::string::npos);
}

// Graphviz, librsvg, cairo and pango live in libnetsim_render.so, loaded only to draw a picture
// (viz/render_loader.cpp), and OpenMPI in libnetsim_mpi.so, loaded only under mpirun: netsim
// links none of them, and a run that draws no picture does not need the render module.
TEST_CASE("pictures need the renderer module, and only pictures do") {
  auto d = fresh_dir("cli-render-module");
  auto f = write_file(d / "tiny.yaml", kHandshake);
  const std::string missing = (d / "missing" / "libnetsim_render.so").string();
  const std::string without = "NETSIM_RENDER_MODULE=" + shell_quote(missing) + " ";
  auto ldd = run_process("ldd " + std::string(NETSIM_BINARY), {.capture = Capture::both});
  REQUIRE(ldd.code == 0);
  for (const char* lib : {"libgvc", "libcgraph", "librsvg", "libcairo", "libpango", "libmpi"}) {
    INFO(lib);
    CHECK(ldd.output.find(lib) == std::string::npos);
  }
  // Text diagrams and SVG timelines are netsim's own: no module wanted.
  auto r = netsim_env(without, "run " + f + " -o " + d.string() +
                                   " --quiet --events e.jsonl --diagram d.txt --timeline t.svg");
  CHECK(r.code == 0);
  CHECK(r.output.empty());
  CHECK(fs::exists(d / "d.txt"));
  CHECK(fs::exists(d / "t.svg"));
  // `run` asking for a picture without the module fails before simulating: exit 2, one line
  // naming the option, the module and where it looked, and not one of the outputs written.
  auto d2 = d / "run-out";
  for (const char* pic :
       {"--diagram x.png", "--diagram x.svg", "--timeline x.pdf", "--plot cwnd=x.png"}) {
    INFO(pic);
    std::string opt(pic);
    auto path = (d2 / opt.substr(opt.find_last_of(" =") + 1)).string();
    auto run =
        netsim_env(without, "run " + f + " -o " + d2.string() + " --quiet --summary s.json " +
                                "--pcap c.pcap --diagram d.txt " + opt);
    CHECK(run.code == 2);
    CHECK(run.output == "netsim: " + opt.substr(0, opt.find_first_of(" ")) + " " + path +
                            ": cannot draw pictures: the renderer module libnetsim_render.so "
                            "(Graphviz, librsvg, cairo) could not be loaded; tried " +
                            missing + " (no such file)\n");
    CHECK((!fs::exists(d2) || fs::is_empty(d2)));
  }
  // A picture without the module: exit 2, every place tried named, nothing written.
  auto png =
      netsim_env(without, "diagram " + (d / "e.jsonl").string() + " -o " + (d / "x.png").string());
  CHECK(png.code == 2);
  CHECK(png.output ==
        "netsim: diagram: cannot draw pictures: the renderer module "
        "libnetsim_render.so (Graphviz, librsvg, cairo) could not be loaded; tried " +
            missing + " (no such file)\n");
  CHECK_FALSE(fs::exists(d / "x.png"));
  // A file that is not a shared object: the loader's own reason.
  auto bad = netsim_env("NETSIM_RENDER_MODULE=" + shell_quote(f) + " ",
                        "diagram " + (d / "e.jsonl").string() + " -o " + (d / "x.svg").string());
  CHECK(bad.code == 2);
  CHECK(bad.output.find("tried " + f + " (" + f + ": invalid ELF header)") != std::string::npos);
  // The module beside the binary (the default) draws it.
  CHECK(netsim("diagram " + (d / "e.jsonl").string() + " -o " + (d / "x.png").string()).code == 0);
  CHECK(read_file(d / "x.png").compare(1, 3, "PNG") == 0);
}

// scripts/quickstart.sh's run line (the README's first command): hello-echo.yaml itself asks for
// hello-echo.svg under `outputs:`, and the command line asks for it again. The same picture
// asked twice is one request (the command line's), not two writers of one file.
TEST_CASE("the quickstart's run line draws what it names, hello-echo.svg asked twice included") {
  auto d = fresh_dir("cli-quickstart");
  auto r = netsim("run " + kSource + "/scenarios/hello-echo.yaml -o " + d.string() +
                  " --trace - --diagram hello-echo.svg --diagram hello-echo.png --diagram "
                  "hello-echo.txt --pcap hello-echo.pcap --events events.jsonl --summary "
                  "summary.json");
  CHECK(r.code == 0);
  CHECK(r.output.find("7 of 7 expectations held") != std::string::npos);
  for (const char* f : {"hello-echo.svg", "hello-echo.png", "hello-echo.txt", "hello-echo.pcap",
                        "events.jsonl", "summary.json"}) {
    INFO(f);
    CHECK(fs::file_size(d / f) > 0);
  }
  // The command line's options win for that picture: a window cutting off the close.
  auto w = netsim("run " + kSource + "/scenarios/hello-echo.yaml -q -o " + d.string() +
                  " --diagram ./hello-echo.svg --to 25ms");
  CHECK(w.code == 0);
  CHECK(read_file(d / "hello-echo.svg").find("FIN") == std::string::npos);
  // Two different options naming one file are still refused.
  auto bad = netsim("run " + kSource + "/scenarios/hello-echo.yaml -q -o " + d.string() +
                    " --timeline hello-echo.svg");
  CHECK(bad.code == 2);
  CHECK(bad.output.find("are the same file") != std::string::npos);
}
