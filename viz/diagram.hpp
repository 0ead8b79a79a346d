// Sequence diagrams of a run: the public entry point of viz/. Reads trace records only (never
// TCP internals) and writes SVG/PNG/PDF through Graphviz, Mermaid text or a plain-text diagram,
// chosen by the output file's extension. See docs/diagrams.md for what is drawn and why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/time.hpp"
#include "sim/trace.hpp"

namespace netsim::viz {

// Any reason a diagram cannot be produced: an unknown extension, a filter that matches nothing,
// a diagram too big to be useful, a Graphviz failure, an unwritable file. The message is meant
// to be printed as is by the CLI (it says what to change).
class DiagramError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the title and subtitle say: taken from the scenario, not from the trace.
struct DiagramMeta {
  std::string scenario;            // "hello-echo"
  std::optional<uint64_t> seed;    // printed as "seed 1"
  std::vector<std::string> links;  // one line per link: "client–server 5ms 100Mbps loss 2%"
};

struct DiagramOptions {
  // Keep only these connections: an application name ("alice": every connection an app of
  // that name owns) or a 4-tuple "10.0.0.1:7500-10.0.0.2:20000" (either order; a host name
  // may stand for its address: "client:7500-server:20000"). Empty: every connection.
  std::vector<std::string> connections;
  // Keep only packets sent or received by these hosts and marks on them. Empty: all hosts.
  std::vector<std::string> hosts;
  std::optional<Instant> from, to;  // time window, inclusive; a packet counts by its send time
  bool relative_seq = true;         // seq/ack relative to each direction's ISN, as tcpdump does
  // Idle gaps longer than this are drawn as a broken axis ("… 58.9 s …"). nullopt: chosen so
  // the diagram fits about one page; Duration::max(): never compress.
  std::optional<Duration> compress_gaps_over;
  // Refuse (DiagramError) rather than draw more packet arrows than this. Before refusing, the
  // traffic of sockets no application owns (spoofed SYN floods) is folded into bands.
  size_t max_arrows = 500;
  // Fold runs of 8 or more of one connection's ordinary packets (first transmissions and pure
  // ACKs, delivered once, at least one carrying data) into bands, "× 690 data segments
  // 1:1000001"; losses, retransmissions, SYN/FIN/RST stay arrows. false: draw every packet
  // (and refuse past max_arrows).
  bool fold_flows = true;
  // PNG only: pixels per point. 2 draws text as sharp as the plots'.
  double scale = 2;
};

enum class DiagramFormat : uint8_t { svg, png, pdf, mermaid, text };

// "out/a.SVG" -> "svg": the lower-case extension, empty when there is none (a dot in a
// folder's name is none).
std::string lower_extension(const std::string& path);

// .svg .png .pdf .mmd .txt (case-insensitive); anything else is a DiagramError.
DiagramFormat diagram_format_for_path(const std::string& path);

// Builds the layout, renders it in the format of `out_path`'s extension and writes the file
// atomically (temporary name in the same directory, then rename). Throws DiagramError.
void render_diagram(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                    const DiagramOptions& options, const std::string& out_path);

// The same, returning the file's bytes instead of writing them (tests, the CLI's stdout).
std::string render_diagram_bytes(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
                                 const DiagramOptions& options, DiagramFormat format);

}  // namespace netsim::viz
