// `netsim diagram`: redraw a saved run (events.jsonl) with other filters or formats, or draw
// a real capture (pcap, pcapng) with each endpoint's TCP state inferred (viz/capture.hpp).
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "sim/atomic_file.hpp"
#include "sim/pcap_reader.hpp"
#include "sim/trace_jsonl.hpp"
#include "sim/units.hpp"
#include "viz/capture.hpp"
#include "viz/diagram.hpp"

namespace netsim::cli {

namespace {
// pcap (either byte order, micro- or nanosecond stamps) or pcapng, by the file's first bytes.
bool is_capture(std::istream& in) {
  unsigned char m[4] = {};
  in.read(reinterpret_cast<char*>(m), 4);
  bool ok = in.gcount() == 4;
  in.clear();
  in.seekg(0);
  if (!ok) return false;
  uint32_t v = (uint32_t{m[0]} << 24) | (uint32_t{m[1]} << 16) | (uint32_t{m[2]} << 8) | m[3];
  return v == 0xa1b2c3d4 || v == 0xd4c3b2a1 || v == 0xa1b23c4d || v == 0x4d3cb2a1 ||
         v == 0x0a0d0d0a;
}
}  // namespace

int diagram_command(const DiagramArgs& args) {
  try {
    // The events file must survive a typo such as `-o ev.jsonl` (issue 17 §1).
    check_distinct_paths({{"-o", args.output}}, {{"the events file", args.events_file}});
    (void)output_kind(args.output);
    std::ifstream in(args.events_file, std::ios::binary);
    if (!in) {
      std::cerr << "netsim: cannot open \"" << args.events_file << "\"\n";
      return kExitBadInput;
    }
    std::optional<JsonlRun> run;
    std::vector<TraceRecord> records;
    bool capture = is_capture(in);
    if (capture) {
      Capture c = read_capture(args.events_file);
      if (c.packets.empty()) {
        std::cerr << "netsim: \"" << args.events_file << "\" holds no IPv4/TCP packet\n";
        return kExitBadInput;
      }
      records = viz::capture_records(c);
    } else {
      records = read_jsonl(in, args.events_file, &run);
    }
    viz::DiagramOptions opts;
    opts.connections = args.connections;
    opts.hosts = args.hosts;
    if (args.from) opts.from = Instant::zero() + parse_duration(*args.from);
    if (args.to) opts.to = Instant::zero() + parse_duration(*args.to);
    opts.relative_seq = !args.absolute_seq;
    opts.scale = args.scale;
    viz::DiagramMeta meta;
    // The run line of the file names the scenario; older files only have their own name.
    meta.scenario = run ? run->scenario : args.events_file;
    if (run) meta.seed = run->seed;
    viz::render_diagram(records, meta, opts, args.output);
    return kExitOk;
  } catch (const JsonlError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
  } catch (const CaptureError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
  } catch (const UnitError& e) {
    std::cerr << "netsim: --from/--to: " << e.what() << "\n";
  } catch (const viz::DiagramError& e) {
    std::cerr << "netsim: diagram: " << e.what() << "\n";
  } catch (const AtomicFileError& e) {
    std::cerr << "netsim: " << e.what() << "\n";
  }
  return kExitBadInput;
}

}  // namespace netsim::cli
