// The loader's entry points: reads the file within the size limit, parses YAML (one document,
// a map), bounds the alias-expanded size, applies `--set`, then reads every section. Errors
// from all stages are collected and sorted; a Scenario is returned only when there is none.
#include "scenarios/loader/loader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <yaml-cpp/eventhandler.h>

#include "scenarios/loader/sections.hpp"

namespace netsim {

std::string ScenarioError::to_string() const {
  std::string s = pos.to_string();
  if (!path.empty()) s += ": " + path;
  return s + ": " + message;
}

std::string LoadResult::error_text() const {
  std::string out;
  for (const auto& e : errors)
    out += e.to_string() + "\n";
  return out;
}

namespace loader {
namespace {

// Walks the whole document as a reader would, aliases expanded, and stops at the node budget or
// the depth limit: a "billion laughs" file (each anchor a list of the one before, twice) is
// refused in bounded time instead of being walked 2^30 times.
bool within_node_budget(Reader& r, const YAML::Node& root) {
  struct Item {
    YAML::Node node;
    int depth;
  };
  const ScenarioLimits& lim = r.limits();
  std::vector<Item> stack{{root, 1}};
  int64_t visits = 0;
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    if (++visits > lim.max_yaml_nodes) {
      r.error(it.node, "",
              fmt::format("the document has more than {} nodes once anchors and aliases are "
                          "expanded (the max_yaml_nodes limit)",
                          lim.max_yaml_nodes));
      return false;
    }
    if (it.depth > lim.max_depth) {
      r.error(it.node, "",
              fmt::format("expected at most {} levels of nesting (the max_depth limit), found more",
                          lim.max_depth));
      return false;
    }
    if (it.node.IsMap()) {
      for (const auto& kv : it.node) {
        stack.push_back({kv.first, it.depth + 1});
        stack.push_back({kv.second, it.depth + 1});
      }
    } else if (it.node.IsSequence()) {
      for (auto c = it.node.begin(); c != it.node.end(); ++c)
        stack.push_back({*c, it.depth + 1});
    }
  }
  return true;
}

std::string file_stem(const std::string& filename) {
  std::string stem = std::filesystem::path(filename).stem().string();
  return stem.empty() ? std::string("scenario") : stem;
}

Scenario read_scenario(Reader& r, const YAML::Node& root) {
  MapView top(r, root, "",
              {"name", "description", "seed", "duration", "tcp", "hosts", "routers", "links",
               "apps", "faults", "outputs", "expect"});
  Scenario sc;
  sc.file = r.file();
  sc.name = file_stem(r.file());
  if (auto v = top.get("name")) {
    auto s = read_string(r, *v, "name", "a scenario name");
    if (s && s->empty()) {
      r.error(*v, "name", "expected a scenario name, found an empty string");
    } else if (s) {
      sc.name = *s;
    }
  }
  if (auto v = top.get("description")) {
    sc.description = read_text(r, *v, "description", "a text").value_or("");
  }
  if (auto v = top.get("seed")) sc.seed = read_u64(r, *v, "seed").value_or(1);
  if (auto v = top.get("duration")) sc.duration = read_duration(r, *v, "duration", Zero::refused);
  if (auto v = top.get("tcp")) sc.tcp = read_tcp(r, *v, "tcp");
  // Order matters: names must be known before the sections that refer to them.
  if (top.require("hosts", "a map of host names to addresses, like {client: 10.0.0.1}")) {
    read_hosts(r, *top.get("hosts"), sc);
  }
  if (auto v = top.get("routers")) read_routers(r, *v, sc);
  if (auto v = top.get("links")) read_links(r, *v, sc);
  if (auto v = top.get("apps")) read_apps(r, *v, sc);
  if (auto v = top.get("faults")) read_faults(r, *v, sc);
  if (auto v = top.get("outputs")) read_outputs(r, *v, sc);
  if (auto v = top.get("expect")) read_expect(r, *v, sc);
  return sc;
}

// Counts the documents of a stream with yaml-cpp's event parser. yaml-cpp 0.7's LoadAll() loops
// forever, allocating a null document per turn, when a token cannot start a node (a stray ','
// at the top level: jbeder/yaml-cpp#1040, fixed upstream in PR #1319). The event parser returns
// after each document, so such a document is recognised here as a null one that does not move
// the parser on, and reported instead of loaded.
class DocumentScan : public YAML::EventHandler {
 public:
  struct Result {
    int documents = 0;
    std::optional<YAML::Mark> second_start;  // where the second document begins
    std::optional<YAML::Mark> stuck_at;      // a token no node can start with
  };

  static Result run(const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentScan scan;
    Result res;
    std::optional<YAML::Mark> previous_null;
    while (res.documents < 100 && parser.HandleNextDocument(scan)) {
      if (++res.documents == 2) res.second_start = scan.start_;
      if (!scan.only_null_) {
        previous_null.reset();
        continue;
      }
      if (previous_null && previous_null->pos == scan.null_mark_.pos) {
        res.stuck_at = scan.null_mark_;
        res.documents -= 2;  // the two null documents were not really there
        break;
      }
      previous_null = scan.null_mark_;
    }
    return res;
  }

  void OnDocumentStart(const YAML::Mark& m) override {
    start_ = m;
    events_ = 0;
    only_null_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override {
    only_null_ = events_++ == 0;
    null_mark_ = m;
  }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { other(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {
    other();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    other();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    other();
  }
  void OnMapEnd() override {}

 private:
  void other() {
    ++events_;
    only_null_ = false;
  }
  YAML::Mark start_, null_mark_;
  int events_ = 0;
  bool only_null_ = false;
};

SourcePos pos_of(const Reader& r, const YAML::Mark& m) {
  return m.is_null() ? SourcePos{r.file(), 0, 0} : SourcePos{r.file(), m.line + 1, m.column + 1};
}

// YAML forbids tabs in indentation, and yaml-cpp then reports whatever it trips on next
// ("illegal map value"): the first line indented with a tab is the real mistake.
std::optional<SourcePos> tab_in_indentation(const Reader& r, const std::string& buf) {
  int line = 1;
  for (size_t at = 0; at < buf.size(); ++line) {
    size_t end = buf.find('\n', at);
    if (end == std::string::npos) end = buf.size();
    for (size_t i = at; i < end && (buf[i] == ' ' || buf[i] == '\t'); ++i) {
      if (buf[i] == '\t' && buf.find_first_not_of(" \t\r", i) < end) {
        return SourcePos{r.file(), line, static_cast<int>(i - at) + 1};
      }
    }
    at = end + 1;
  }
  return std::nullopt;
}

// Parses the text into its single document; nullopt after reporting why not.
std::optional<YAML::Node> parse_document(Reader& r, std::string_view text) {
  std::string buf(text);
  YAML::Node doc;
  try {
    DocumentScan::Result scan = DocumentScan::run(buf);
    if (scan.stuck_at) {
      size_t at = static_cast<size_t>(scan.stuck_at->pos);
      std::string token = at < buf.size() ? std::string(1, buf[at]) : std::string("end of file");
      r.error(pos_of(r, *scan.stuck_at), "",
              fmt::format("not valid YAML: unexpected {}", loader::quoted(token)));
      return std::nullopt;
    }
    if (scan.documents > 1) {
      r.error(pos_of(r, *scan.second_start), "",
              fmt::format("expected one YAML document, found {} (separated by \"---\")",
                          scan.documents));
      return std::nullopt;
    }
    doc = YAML::Load(buf);  // one document: Load() stops after it
  } catch (const YAML::Exception& e) {
    if (auto tab = tab_in_indentation(r, buf)) {
      r.error(*tab, "", "a tab is not allowed in YAML indentation; indent with spaces");
    } else {
      r.error(pos_of(r, e.mark), "", fmt::format("not valid YAML: {}", e.msg));
    }
    return std::nullopt;
  }
  if (doc.IsNull()) {
    r.error(SourcePos{r.file(), 0, 0}, "",
            "the file is empty; expected a scenario map with at least \"hosts:\"");
    return std::nullopt;
  }
  if (!doc.IsMap()) {
    r.error(doc, "",
            fmt::format("expected a map of scenario keys (name, hosts, links, apps, ...), found {}",
                        describe(doc)));
    return std::nullopt;
  }
  return doc;
}

void report_too_big(Reader& r, uint64_t size) {
  int64_t limit = r.limits().max_file_bytes;
  r.error(SourcePos{r.file(), 0, 0}, "",
          fmt::format("the file is {} bytes, more than the max_file_bytes limit of {} ({})", size,
                      limit, format_byte_size(ByteSize::bytes(limit))));
}

LoadResult finish(const Reader& r, Scenario sc) {
  LoadResult res;
  res.errors = r.sorted_errors();
  if (res.errors.empty()) res.scenario = std::move(sc);
  return res;
}

}  // namespace
}  // namespace loader

LoadResult load_scenario_text(std::string_view text, const std::string& filename,
                              const std::vector<std::string>& set_overrides,
                              const ScenarioLimits& limits) {
  loader::Reader r(filename, limits);
  if (static_cast<int64_t>(text.size()) > limits.max_file_bytes) {
    loader::report_too_big(r, text.size());
    return loader::finish(r, {});
  }
  auto root = loader::parse_document(r, text);
  if (!root || !loader::within_node_budget(r, *root)) return loader::finish(r, {});
  try {
    loader::apply_overrides(r, *root, set_overrides);
    Scenario sc = loader::read_scenario(r, *root);
    return loader::finish(r, std::move(sc));
  } catch (const YAML::Exception& e) {
    // The readers check every node's type before use; this is a last guard so that a
    // structure nobody foresaw is still an error message, never a crash (DESIGN.md property 8).
    SourcePos pos{filename, e.mark.is_null() ? 0 : e.mark.line + 1,
                  e.mark.is_null() ? 0 : e.mark.column + 1};
    r.error(pos, "", fmt::format("unexpected YAML structure: {}", e.msg));
    return loader::finish(r, {});
  }
}

namespace loader {
namespace {

// The whole file, or nullopt after reporting why it cannot be read (missing, not a regular
// file, over max_file_bytes: checked before reading, so a huge file is never loaded).
std::optional<std::string> read_source(Reader& r, const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    std::string why =
        ec ? ec.message() : std::make_error_code(std::errc::no_such_file_or_directory).message();
    r.error(SourcePos{path, 0, 0}, "", fmt::format("cannot open the file: {}", why));
    return std::nullopt;
  }
  if (!std::filesystem::is_regular_file(status)) {
    r.error(SourcePos{path, 0, 0}, "", "cannot open the file: it is not a regular file");
    return std::nullopt;
  }
  auto size = std::filesystem::file_size(path, ec);
  if (!ec && static_cast<int64_t>(size) > r.limits().max_file_bytes) {
    report_too_big(r, size);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.error(SourcePos{path, 0, 0}, "", "cannot open the file: permission denied or unreadable");
    return std::nullopt;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace
}  // namespace loader

std::vector<ScenarioError> add_expectations_file(Scenario& sc, const std::string& path,
                                                 const ScenarioLimits& limits) {
  loader::Reader r(path, limits);
  auto text = loader::read_source(r, path);
  if (!text) return r.sorted_errors();
  auto root = loader::parse_document(r, *text);
  if (!root || !loader::within_node_budget(r, *root)) return r.sorted_errors();
  try {
    loader::MapView top(r, *root, "", {"name", "description", "expect"});
    if (top.require("expect", "the list of expectations to add to the scenario")) {
      Scenario extra = sc;
      extra.expect.clear();
      loader::read_expect(r, *top.get("expect"), extra);
      if (!r.has_errors()) {
        sc.expect.insert(sc.expect.end(), extra.expect.begin(), extra.expect.end());
      }
    }
  } catch (const YAML::Exception& e) {
    r.error(SourcePos{path, e.mark.is_null() ? 0 : e.mark.line + 1,
                      e.mark.is_null() ? 0 : e.mark.column + 1},
            "", fmt::format("unexpected YAML structure: {}", e.msg));
  }
  return r.sorted_errors();
}

LoadResult load_scenario_file(const std::string& path,
                              const std::vector<std::string>& set_overrides,
                              const ScenarioLimits& limits) {
  loader::Reader r(path, limits);
  auto text = loader::read_source(r, path);
  if (!text) return loader::finish(r, {});
  return load_scenario_text(*text, path, set_overrides, limits);
}

}  // namespace netsim
