// `netsim diagram`: redraw a saved run (events.jsonl) with other filters or formats.
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "sim/atomic_file.hpp"
#include "sim/trace_jsonl.hpp"
#include "sim/units.hpp"
#include "viz/diagram.hpp"

namespace netsim::cli {

int diagram_command(const DiagramArgs& args) {
  try {
    // The events file must survive a typo such as `-o ev.jsonl` (issue 17 §1).
    check_distinct_paths({{"-o", args.output}}, {{"the events file", args.events_file}});
    (void)output_kind(args.output);
    std::ifstream in(args.events_file);
    if (!in) {
      std::cerr << "netsim: cannot open \"" << args.events_file << "\"\n";
      return kExitBadInput;
    }
    std::vector<TraceRecord> records = read_jsonl(in, args.events_file);
    viz::DiagramOptions opts;
    opts.connections = args.connections;
    opts.hosts = args.hosts;
    if (args.from) opts.from = Instant::zero() + parse_duration(*args.from);
    if (args.to) opts.to = Instant::zero() + parse_duration(*args.to);
    opts.relative_seq = !args.absolute_seq;
    viz::DiagramMeta meta;
    meta.scenario = args.events_file;
    viz::render_diagram(records, meta, opts, args.output);
    return kExitOk;
  } catch (const JsonlError& e) {
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
