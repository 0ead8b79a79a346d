// `netsim drill`: parse each script, run it with the outputs asked for (text trace, JSON Lines,
// pcap, diagrams — named per script when several run), and report one result per script as
// text, TAP or JUnit XML. Exit 0 all passed, 1 a script failed, 2 a script could not be read.
#include "cli/drill_command.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "drill/runner.hpp"
#include "drill/script_parser.hpp"
#include "scenarios/runner/run_outputs.hpp"
#include "sim/atomic_file.hpp"
#include "sim/pcap_writer.hpp"
#include "sim/trace_jsonl.hpp"
#include "sim/trace_text.hpp"
#include "viz/diagram.hpp"

namespace netsim::cli {
namespace {

struct Outcome {
  std::string file;
  std::string status;  // pass, fail, unsupported, error
  std::string message;
  std::vector<std::string> notes;
  double seconds = 0;
};

// With several scripts, "out.pcap" becomes "out-<script>.pcap" so that runs do not collide.
std::string per_script(const std::string& path, const std::string& file, bool many) {
  if (!many || path == "-") return path;
  std::filesystem::path p(path);
  std::string stem = std::filesystem::path(file).stem().string();
  return (p.parent_path() / (p.stem().string() + "-" + stem + p.extension().string())).string();
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

Outcome run_one(const DrillArgs& args, const std::string& file) {
  Outcome out{file, "pass", {}, {}, 0};
  drill::ParseResult parsed = drill::parse_script_file(file);
  if (!parsed.ok()) {
    out.status = "error";
    out.message = parsed.error;
    return out;
  }
  bool many = args.files.size() > 1;
  auto resolve = [&](const std::string& p) {
    return resolve_output_path(per_script(p, file, many), /*from_file=*/false, args.out_dir, file);
  };
  drill::RunOptions ro;
  ro.tolerance_usecs = args.tolerance_usecs;
  std::unique_ptr<AtomicFile> trace_file, events_file;
  std::unique_ptr<TraceSink> trace_sink, events_sink;
  std::unique_ptr<PcapSink> pcap;
  MemorySink memory;
  if (args.trace) {
    trace_file = std::make_unique<AtomicFile>(resolve(*args.trace));
    trace_sink = std::make_unique<TextTraceSink>(trace_file->stream());
    ro.sinks.push_back(trace_sink.get());
  }
  if (args.events) {
    events_file = std::make_unique<AtomicFile>(resolve(*args.events));
    events_sink = std::make_unique<JsonlSink>(events_file->stream());
    ro.sinks.push_back(events_sink.get());
  }
  if (args.pcap) {
    pcap = std::make_unique<PcapSink>(resolve(*args.pcap), std::nullopt,
                                      args.snaplen == 0 ? PcapSink::kFullSnapLen : args.snaplen);
    ro.sinks.push_back(pcap.get());
  }
  if (!args.diagrams.empty()) ro.sinks.push_back(&memory);
  drill::RunResult r = drill::run_script(*parsed.script, ro);
  out.seconds = static_cast<double>(r.end_usec) / 1e6;
  out.notes = r.notes;
  out.message = r.message;
  out.status = r.verdict == drill::Verdict::pass   ? "pass"
               : r.verdict == drill::Verdict::fail ? "fail"
                                                   : "unsupported";
  viz::DiagramMeta meta;
  meta.scenario = std::filesystem::path(file).filename().string();
  meta.links.push_back("local 192.168.0.1 – remote 192.0.2.1 (scripted)");
  for (const auto& d : args.diagrams)
    viz::render_diagram(memory.records, meta, {}, resolve(d));
  if (trace_file) trace_file->commit();
  if (events_file) events_file->commit();
  return out;
}

void print_text(const DrillArgs& args, const Outcome& o) {
  if (args.quiet && o.status == "pass") return;
  if (o.status == "pass") {
    std::cout << fmt::format("PASS {} ({} s virtual)\n", o.file, o.seconds);
  } else if (o.status == "unsupported") {
    std::cout << fmt::format("SKIP {}\n  {}\n", o.file, o.message);
  } else if (o.status == "fail") {
    std::cout << fmt::format("FAIL {}\n  {}\n", o.file, o.message);
  } else {
    std::cout << fmt::format("ERROR {}\n  {}\n", o.file, o.message);
  }
  if (args.verbose) {
    for (const auto& n : o.notes)
      std::cout << "  note: " << n << "\n";
  }
}

void print_tap(const std::vector<Outcome>& all) {
  std::cout << "TAP version 13\n1.." << all.size() << "\n";
  for (size_t i = 0; i < all.size(); ++i) {
    const Outcome& o = all[i];
    if (o.status == "pass") {
      std::cout << fmt::format("ok {} - {}\n", i + 1, o.file);
    } else if (o.status == "unsupported") {
      std::cout << fmt::format("ok {} - {} # SKIP {}\n", i + 1, o.file, o.message);
    } else {
      std::cout << fmt::format("not ok {} - {}\n", i + 1, o.file);
      std::string msg = o.message;
      for (size_t p = 0; (p = msg.find('\n', p)) != std::string::npos; p += 3)
        msg.replace(p, 1, "\n# ");
      std::cout << "# " << msg << "\n";
    }
  }
}

void write_junit(const std::string& path, const std::vector<Outcome>& all) {
  AtomicFile f(path);
  size_t failures = 0, errors = 0, skipped = 0;
  for (const auto& o : all) {
    failures += o.status == "fail";
    errors += o.status == "error";
    skipped += o.status == "unsupported";
  }
  auto& s = f.stream();
  s << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  s << fmt::format(
      "<testsuite name=\"netsim drill\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
      "skipped=\"{}\">\n",
      all.size(), failures, errors, skipped);
  for (const auto& o : all) {
    s << fmt::format("  <testcase classname=\"drill\" name=\"{}\" time=\"{}\"", xml_escape(o.file),
                     o.seconds);
    if (o.status == "pass") {
      s << "/>\n";
      continue;
    }
    s << ">\n";
    const char* tag = o.status == "fail" ? "failure" : o.status == "error" ? "error" : "skipped";
    s << fmt::format("    <{} message=\"{}\"/>\n", tag, xml_escape(o.message));
    s << "  </testcase>\n";
  }
  s << "</testsuite>\n";
  f.commit();
}

}  // namespace

int drill_command(const DrillArgs& args) {
  std::vector<Outcome> all;
  try {
    for (const auto& d : args.diagrams)
      (void)viz::diagram_format_for_path(d);  // an unknown extension is bad input: fail now
    for (const auto& file : args.files) {
      all.push_back(run_one(args, file));
      if (!args.tap) print_text(args, all.back());
    }
    if (args.tap) print_tap(all);
    if (args.junit) write_junit(*args.junit, all);
  } catch (const OutputPathError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const AtomicFileError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const viz::DiagramError& e) {
    std::cerr << "netsim: diagram: " << e.what() << "\n";
    return kExitBadInput;
  }
  size_t passed = 0, failed = 0, skipped = 0, errors = 0;
  for (const auto& o : all) {
    passed += o.status == "pass";
    failed += o.status == "fail";
    skipped += o.status == "unsupported";
    errors += o.status == "error";
  }
  if (!args.tap && !args.quiet && all.size() > 1) {
    std::cout << fmt::format("{} scripts: {} passed, {} failed, {} not modelled, {} unreadable\n",
                             all.size(), passed, failed, skipped, errors);
  }
  if (errors) return kExitBadInput;
  if (failed || (args.strict && skipped)) return kExitExpectFailed;
  return kExitOk;
}

}  // namespace netsim::cli
