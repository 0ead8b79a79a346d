// Reading `faults:` (packet rules drop/delay/duplicate/corrupt with their match, and timed
// topology events link_down/link_up/set_link/crash/restart) and `outputs:`.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "scenarios/loader/sections.hpp"

namespace netsim::loader {
namespace {

constexpr std::array<std::string_view, 4> kPacketActions{"drop", "delay", "duplicate", "corrupt"};
constexpr std::array<std::string_view, 6> kTimedActions{"link_down", "link_up", "set_link",
                                                        "crash",     "restart", "inject"};

// The match map of a packet rule; `{}` (or nothing) matches every packet.
void read_match(Reader& r, const YAML::Node& n, const std::string& path, const Scenario& sc,
                PacketFaultSpec& f) {
  if (n.IsNull()) return;
  if (!expect_map(r, n, path, "a map of match keys (src, dst, flags, sport, dport, payload)")) {
    return;
  }
  MapView m(r, n, path, {"src", "dst", "flags", "sport", "dport", "payload"});
  PacketMatch& match = f.fault.match;
  if (auto v = m.get("src")) {
    if (auto a = read_host_or_address(r, *v, m.path("src"), sc)) {
      match.src = a->first;
      f.src_host = a->second;
    }
  }
  if (auto v = m.get("dst")) {
    if (auto a = read_host_or_address(r, *v, m.path("dst"), sc)) {
      match.dst = a->first;
      f.dst_host = a->second;
    }
  }
  if (auto v = m.get("flags")) {
    static constexpr std::string_view kWhat =
        "TCP flags in tcpdump notation like \"S\", \"S.\", \".\", \"P.\", \"F.\" or \"R\"";
    if (auto s = read_string(r, *v, m.path("flags"), kWhat)) {
      match.flags = TcpFlags::parse(*s);
      if (!match.flags) {
        r.error(*v, m.path("flags"), fmt::format("expected {}, found {}", kWhat, quoted(*s)));
      }
    }
  }
  if (auto v = m.get("sport")) match.sport = read_port(r, *v, m.path("sport"));
  if (auto v = m.get("dport")) match.dport = read_port(r, *v, m.path("dport"));
  if (auto v = m.get("payload")) match.payload = read_bool(r, *v, m.path("payload"));
}

void read_packet_fault(Reader& r, const MapView& m, std::string_view action, const Scenario& sc,
                       Scenario& out) {
  PacketFaultSpec f;
  f.pos = r.pos(m.node());
  static constexpr std::array<PacketFault::Action, 4> kActions{
      PacketFault::Action::drop, PacketFault::Action::delay, PacketFault::Action::duplicate,
      PacketFault::Action::corrupt};
  auto idx =
      std::find(kPacketActions.begin(), kPacketActions.end(), action) - kPacketActions.begin();
  f.fault.action = kActions[static_cast<size_t>(idx)];
  read_match(r, *m.get(action), m.path(action), sc, f);
  if (auto v = m.get("nth")) {
    f.fault.nth = static_cast<uint64_t>(read_int(r, *v, m.path("nth"), 1, INT64_MAX).value_or(1));
  }
  if (auto v = m.get("count")) {
    f.fault.count =
        static_cast<uint64_t>(read_int(r, *v, m.path("count"), 1, INT64_MAX).value_or(0));
  }
  if (f.fault.action == PacketFault::Action::delay) {
    if (m.require("by", "how much to delay the matching packets, like 300ms")) {
      f.fault.by = read_duration(r, *m.get("by"), m.path("by"), Zero::refused).value_or(Duration{});
    }
  } else if (const auto* e = m.entry("by")) {
    r.error(e->key_node, m.path("by"), "applies to delay rules only");
  }
  if (const auto* e = m.entry("at")) {
    r.error(e->key_node, m.path("at"),
            "applies to timed faults (link_down, link_up, set_link, crash, restart); packet rules "
            "hold for the whole run");
  }
  out.packet_faults.push_back(std::move(f));
}

void read_timed_fault(Reader& r, const MapView& m, std::string_view action, const Scenario& sc,
                      Scenario& out) {
  TimedFaultSpec f;
  f.pos = r.pos(m.node());
  for (std::string_view key : {"nth", "count", "by"}) {
    if (const auto* e = m.entry(key)) {
      r.error(e->key_node, m.path(key),
              "applies to packet rules (drop, delay, duplicate, corrupt)");
    }
  }
  if (m.require("at", "when it happens, like 5s")) {
    f.at = read_duration(r, *m.get("at"), m.path("at"), Zero::allowed).value_or(Duration{});
  }
  const YAML::Node v = *m.get(action);
  std::string path = m.path(action);
  if (action == "inject") {
    f.kind = TimedFaultSpec::Kind::inject;
    if (auto seg = read_raw_segment(r, v, path, sc)) f.segment = std::move(*seg);
  } else if (action == "crash" || action == "restart") {
    f.kind = action == "crash" ? TimedFaultSpec::Kind::crash : TimedFaultSpec::Kind::restart;
    if (const HostSpec* h = read_host_ref(r, v, path, sc)) f.host = h->name;
  } else if (action == "link_down" || action == "link_up") {
    f.kind =
        action == "link_down" ? TimedFaultSpec::Kind::link_down : TimedFaultSpec::Kind::link_up;
    if (auto ends = read_node_pair(r, v, path, sc)) {
      f.a = ends->first;
      f.b = ends->second;
      if (!sc.find_link(f.a, f.b)) {
        r.error(v, path, fmt::format("no link joins {} and {}", f.a, f.b));
      }
    }
  } else {
    f.kind = TimedFaultSpec::Kind::set_link;
    if (!expect_map(r, v, path, "a map with between: [a, b] and the settings to change")) return;
    MapView s(r, v, path,
              {"between", "delay", "bandwidth", "queue", "loss", "jitter", "duplicate", "corrupt"},
              is_direction_key);
    LinkPatch both = read_link_patch(r, s);
    if (!s.require("between", "the link to change, like [client, r1]")) return;
    auto ends = read_node_pair(r, *s.get("between"), s.path("between"), sc);
    if (!ends) return;
    f.a = ends->first;
    f.b = ends->second;
    if (!sc.find_link(f.a, f.b)) {
      r.error(*s.get("between"), s.path("between"),
              fmt::format("no link joins {} and {}", f.a, f.b));
    }
    LinkPatch ab, ba;
    read_direction_overrides(r, s, f.a, f.b, ab, ba);
    f.a_to_b = both.overlaid_with(ab);
    f.b_to_a = both.overlaid_with(ba);
    if (f.a_to_b.empty() && f.b_to_a.empty() && s.extras().empty() && s.node().size() == 1) {
      r.error(v, path, "expected at least one link setting to change, found only between");
    }
  }
  out.timed_faults.push_back(std::move(f));
}

void read_one_fault(Reader& r, const YAML::Node& item, size_t i, Scenario& sc) {
  std::string path = index_path("faults", i);
  if (!expect_map(r, item, path,
                  "a map such as {drop: {src: server}} or {at: 5s, crash: server}")) {
    return;
  }
  MapView m(r, item, path,
            {"drop", "delay", "duplicate", "corrupt", "nth", "count", "by", "at", "link_down",
             "link_up", "set_link", "crash", "restart", "inject"});
  std::vector<std::string_view> actions;  // in file order
  size_t packet_actions = 0;
  for (const auto& e : m.entries()) {
    for (auto a : kPacketActions) {
      if (e.key == a) {
        actions.push_back(a);
        ++packet_actions;
      }
    }
    for (auto a : kTimedActions) {
      if (e.key == a) actions.push_back(a);
    }
  }
  if (actions.empty()) {
    r.error(item, path,
            "expected a packet rule (drop, delay, duplicate, corrupt) or a timed fault (at with "
            "link_down, link_up, set_link, crash, restart, inject), found neither");
    return;
  }
  if (actions.size() > 1) {
    r.error(m.entry(actions[1])->key_node, path,
            fmt::format("expected one action per fault, found {} and {}", actions[0], actions[1]));
    return;
  }
  if (packet_actions == 1) {  // exactly one action, and it is a packet rule
    read_packet_fault(r, m, actions[0], sc, sc);
  } else {
    read_timed_fault(r, m, actions[0], sc, sc);
  }
}

bool has_diagram_extension(std::string_view f) {
  for (std::string_view ext : {".svg", ".png", ".pdf", ".mmd", ".txt"}) {
    if (f.size() > ext.size() && f.substr(f.size() - ext.size()) == ext) return true;
  }
  return false;
}

std::optional<std::string> read_path(Reader& r, const YAML::Node& n, const std::string& path) {
  auto s = read_string(r, n, path, "a file path");
  if (s && s->empty()) {
    r.error(n, path, "expected a file path, found an empty string");
    return std::nullopt;
  }
  // A scenario file writes only inside the output folder (-o, or the scenario's own folder):
  // a file found on the internet must not overwrite ~/.bashrc (issue 17 §1).
  if (s && *s != "-") {
    bool climbs = false;
    for (size_t b = 0; b <= s->size();) {
      size_t e = std::min(s->find('/', b), s->size());
      climbs |= s->compare(b, e - b, "..") == 0;
      b = e + 1;
    }
    if (s->front() == '/' || climbs) {
      r.error(n, path,
              fmt::format("expected a path inside the output folder (no leading '/', no \"..\"), "
                          "found {}; only the command line may write elsewhere (--trace, "
                          "--summary, ... take any path)",
                          quoted(*s)));
      return std::nullopt;
    }
  }
  return s;
}

std::optional<std::string> read_diagram_file(Reader& r, const YAML::Node& n,
                                             const std::string& path) {
  auto s = read_path(r, n, path);
  if (s && !has_diagram_extension(*s)) {
    r.error(n, path,
            fmt::format("expected a file ending in .svg, .png, .pdf, .mmd or .txt, found {}",
                        quoted(*s)));
    return std::nullopt;
  }
  return s;
}

// The `connection`, `from` and `to` keys shared by diagrams, timelines and plots: an app
// name (with "did you mean") and a time window whose end is not before its start.
void read_view_filter(Reader& r, MapView& m, const Scenario& sc,
                      std::optional<std::string>& connection, std::optional<Duration>& from,
                      std::optional<Duration>& to) {
  if (auto v = m.get("connection")) {
    if (auto name = read_string(r, *v, m.path("connection"), "an app name")) {
      if (!sc.find_app(*name)) {
        std::vector<std::string> names;
        for (const auto& a : sc.apps)
          names.push_back(a.name());
        r.error(*v, m.path("connection"),
                fmt::format("unknown app {}{}", quoted(*name), suggestion_suffix(*name, names)));
      }
      connection = *name;
    }
  }
  if (auto v = m.get("from")) from = read_duration(r, *v, m.path("from"), Zero::allowed);
  if (auto v = m.get("to")) to = read_duration(r, *v, m.path("to"), Zero::allowed);
  if (from && to && *from > *to) {
    r.error(*m.get("to"), m.path("to"),
            fmt::format("expected a time after from ({}), found {}", format_duration(*from),
                        format_duration(*to)));
  }
}

void read_diagram_entry(Reader& r, const YAML::Node& n, const std::string& path, Scenario& sc) {
  if (!expect_map(r, n, path, "a map with file and optional connection, from, to")) return;
  MapView m(r, n, path, {"file", "connection", "from", "to"});
  DiagramOutput d;
  d.pos = r.pos(n);
  if (m.require("file", "the diagram file, like alice.svg")) {
    d.file = read_diagram_file(r, *m.get("file"), m.path("file")).value_or("");
  }
  read_view_filter(r, m, sc, d.connection, d.from, d.to);
  sc.outputs.diagrams.push_back(std::move(d));
}

// ---- charts: `timeline:` and `plots:` (viz/timeline_chart.hpp, viz/plot.hpp) ----

std::optional<std::string> read_chart_file(Reader& r, const YAML::Node& n,
                                           const std::string& path) {
  auto s = read_path(r, n, path);
  bool ok = s && s->size() > 4 &&
            (s->substr(s->size() - 4) == ".svg" || s->substr(s->size() - 4) == ".png");
  if (s && !ok) {
    r.error(n, path, fmt::format("expected a file ending in .svg or .png, found {}", quoted(*s)));
    return std::nullopt;
  }
  return s;
}

// `timeline: f`, `timeline: {file, connection, from, to}` or a `plots:` entry (with `kind`).
std::optional<ChartOutput> read_chart_entry(Reader& r, const YAML::Node& n, const std::string& path,
                                            const Scenario& sc, bool plot) {
  ChartOutput c;
  c.pos = r.pos(n);
  if (!plot && n.IsScalar()) {
    auto f = read_chart_file(r, n, path);
    if (!f) return std::nullopt;
    c.file = *f;
    return c;
  }
  if (!expect_map(r, n, path,
                  plot ? "a map with file, kind and optional connection, from, to"
                       : "a file or a map with file and optional connection, from, to")) {
    return std::nullopt;
  }
  MapView m = plot ? MapView(r, n, path, {"file", "kind", "connection", "from", "to"})
                   : MapView(r, n, path, {"file", "connection", "from", "to"});
  if (m.require("file", plot ? "the plot file, like queue.svg"
                             : "the timeline file, like "
                               "states.svg")) {
    c.file = read_chart_file(r, *m.get("file"), m.path("file")).value_or("");
  }
  if (plot && m.require("kind",
                        "what to plot: syn_queue, accept_queue, established, drops or "
                        "cwnd")) {
    auto kinds = plot_kind_names();
    if (auto i = read_choice(r, *m.get("kind"), m.path("kind"), kinds, false)) c.kind = kinds[*i];
  }
  read_view_filter(r, m, sc, c.connection, c.from, c.to);
  return c;
}

}  // namespace

void read_faults(Reader& r, const YAML::Node& n, Scenario& sc) {
  if (!check_list_section(r, n, "faults", r.limits().max_faults, "max_faults", "faults")) return;
  for (size_t i = 0; i < n.size(); ++i)
    read_one_fault(r, n[i], i, sc);
}

void read_outputs(Reader& r, const YAML::Node& n, Scenario& sc) {
  if (n.IsNull()) return;
  if (!expect_map(r, n, "outputs", "a map of output files")) return;
  MapView m(r, n, "outputs",
            {"trace", "events", "pcap", "summary", "diagram", "diagrams", "timeline", "plots"});
  OutputsSpec& o = sc.outputs;
  o.pos = r.pos(n);
  if (auto v = m.get("trace")) o.trace = read_path(r, *v, m.path("trace"));
  if (auto v = m.get("events")) o.events = read_path(r, *v, m.path("events"));
  if (auto v = m.get("pcap")) o.pcap = read_path(r, *v, m.path("pcap"));
  if (auto v = m.get("summary")) o.summary = read_path(r, *v, m.path("summary"));
  if (auto v = m.get("diagram")) {
    if (auto f = read_diagram_file(r, *v, m.path("diagram"))) {
      o.diagrams.push_back(DiagramOutput{*f, std::nullopt, std::nullopt, std::nullopt, r.pos(*v)});
    }
  }
  if (auto v = m.get("diagrams")) {
    if (!v->IsNull() && expect_list(r, *v, m.path("diagrams"), "a list of diagrams")) {
      for (size_t i = 0; i < v->size(); ++i) {
        read_diagram_entry(r, (*v)[i], index_path(m.path("diagrams"), i), sc);
      }
    }
  }
  if (auto v = m.get("timeline"))
    o.timeline = read_chart_entry(r, *v, m.path("timeline"), sc, false);
  if (auto v = m.get("plots")) {
    if (!v->IsNull() && expect_list(r, *v, m.path("plots"), "a list of plots")) {
      for (size_t i = 0; i < v->size(); ++i) {
        auto c = read_chart_entry(r, (*v)[i], index_path(m.path("plots"), i), sc, true);
        if (c) o.plots.push_back(std::move(*c));
      }
    }
  }
}

}  // namespace netsim::loader
