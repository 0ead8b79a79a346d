// Draws docs/images/tcp-states.svg from the transition table (protocols/tcp/transitions.cpp):
// one node per state, one edge per (from, to) pair labelled with its events, RFC 9293 edges
// solid and Linux's dashed. Usage: tcp_states_diagram OUT.svg [OUT.dot]. The build runs it and
// a test compares its output with the committed image, so the picture cannot drift.
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "protocols/tcp/transitions.hpp"

using namespace netsim::tcp;

namespace {

std::string node(State s) {
  return std::string(to_string(s));
}

std::string dot_source() {
  // Edges in table order; the events of one (from, to) pair share one arrow per origin.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::string> labels;
  for (const Transition& t : transitions()) {
    std::string style = t.origin == Origin::rfc9293 ? "solid" : "dashed";
    std::string key = node(t.from) + "\t" + node(t.to) + "\t" + style;
    auto id = std::pair{key, style};
    if (!labels.count(id)) order.push_back(id);
    std::string event(t.event == netsim::StateCause::close ? "close / shutdown"
                                                           : to_string(t.event));
    if (t.event == netsim::StateCause::close && t.to == State::closed &&
        t.from != State::syn_sent) {
      event = "close, data unread";
    }
    std::string& l = labels[id];
    l += (l.empty() ? "" : "\\n") + event;
  }
  std::string s =
      "digraph tcp_states {\n"
      "  graph [rankdir=TB, fontname=\"Helvetica\", nodesep=0.5, ranksep=0.6];\n"
      "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n"
      "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  for (int i = 0; i <= static_cast<int>(State::time_wait); ++i)
    s += "  \"" + node(static_cast<State>(i)) + "\";\n";
  for (const auto& id : order) {
    const std::string& key = id.first;
    size_t a = key.find('\t'), b = key.find('\t', a + 1);
    bool linux = id.second == "dashed";
    s += "  \"" + key.substr(0, a) + "\" -> \"" + key.substr(a + 1, b - a - 1) + "\" [label=\"" +
         labels[id] + "\", style=" + id.second +
         (linux ? ", color=\"#1f5fa8\", fontcolor=\"#1f5fa8\"" : "") + "];\n";
  }
  return s + "}\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tcp_states_diagram OUT.svg [OUT.dot]\n");
    return 2;
  }
  std::string dot = dot_source();
  if (argc > 2) std::ofstream(argv[2]) << dot;
  GVC_t* gvc = gvContext();
  Agraph_t* g = agmemread(dot.c_str());
  if (!g || gvLayout(gvc, g, "dot") != 0) {
    std::fprintf(stderr, "tcp_states_diagram: Graphviz could not lay out the diagram\n");
    return 1;
  }
  char* data = nullptr;
  unsigned int length = 0;
  int rc = gvRenderData(gvc, g, "svg", &data, &length);
  std::string svg = rc == 0 && data ? std::string(data, length) : std::string();
  gvFreeRenderData(data);
  gvFreeLayout(gvc, g);
  agclose(g);
  gvFreeContext(gvc);
  if (svg.empty()) return 1;
  std::string tmp = std::string(argv[1]) + ".tmp";
  std::ofstream(tmp, std::ios::binary) << svg;
  return std::rename(tmp.c_str(), argv[1]) == 0 ? 0 : 1;
}
