// Internal to the loader: the error collector and the typed readers of YAML values. Every reader
// reports a precise error ("expected a duration like \"10ms\", found \"fast\"") at the node's
// position and returns nullopt, so one pass over the file finds every mistake.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/loader/loader.hpp"

namespace netsim::loader {

// A value that came from `--set`: errors in it are reported against the override text.
struct Override {
  std::string label;              // "--set links.0.loss=5%"
  std::vector<YAML::Node> nodes;  // the value, and any keys or maps it created
};

class Reader {
 public:
  Reader(std::string file, const ScenarioLimits& limits)
      : file_(std::move(file)), limits_(limits) {}

  const std::string& file() const { return file_; }
  const ScenarioLimits& limits() const { return limits_; }
  void add_override(Override o) { overrides_.push_back(std::move(o)); }

  // Where a node was written: its file position, or the `--set` it came from.
  SourcePos pos(const YAML::Node& n) const;
  void error(const YAML::Node& at, std::string path, std::string message);
  void error(SourcePos pos, std::string path, std::string message);
  bool has_errors() const { return !errors_.empty(); }
  size_t error_count() const { return errors_.size(); }
  // Command-line errors first (in command-line order), then file errors by line and column.
  std::vector<ScenarioError> sorted_errors() const;

 private:
  std::string file_;
  ScenarioLimits limits_;
  std::vector<Override> overrides_;
  std::vector<ScenarioError> errors_;
};

// "\"fast\"" for a scalar, "a map", "a list", "nothing" (null or missing).
std::string describe(const YAML::Node& n);
std::string quoted(std::string_view s);
// "links" + "delay" -> "links.delay"; "" + "seed" -> "seed".
std::string join_path(std::string_view parent, std::string_view key);
// "links" + 0 -> "links[0]".
std::string index_path(std::string_view parent, size_t index);
// The candidate closest to `word` (case-insensitive optimal string alignment distance), if it is
// close enough to be a likely typo.
std::optional<std::string> did_you_mean(std::string_view word,
                                        std::span<const std::string> candidates);
// "; did you mean \"x\"?" or "".
std::string suggestion_suffix(std::string_view word, std::span<const std::string> candidates);
// True for a quoted scalar ('text' or "text"): always text, never a size or keyword.
bool is_quoted(const YAML::Node& n);
// Host, router and app names: a letter or '_', then letters, digits, '_' and '-'.
bool is_valid_name(std::string_view s);

// One YAML map's entries with duplicate keys and unknown keys reported ("did you mean").
class MapView {
 public:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  // `known`: accepted keys; `extra`: further keys to accept (kept in extras()).
  MapView(Reader& r, const YAML::Node& map, std::string path,
          std::initializer_list<std::string_view> known,
          std::function<bool(std::string_view)> extra = {});
  MapView(Reader& r, const YAML::Node& map, std::string path,
          std::span<const std::string_view> known,
          std::function<bool(std::string_view)> extra = {});

  std::optional<YAML::Node> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  const Entry* entry(std::string_view key) const;
  const std::vector<Entry>& extras() const { return extras_; }
  // The known keys present, in file order.
  const std::vector<Entry>& entries() const { return entries_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return join_path(path_, key); }
  const YAML::Node& node() const { return map_; }
  // Reports "missing required key" at the map and returns false if `key` is absent.
  bool require(std::string_view key, std::string_view what) const;

 private:
  Reader& r_;
  YAML::Node map_;
  std::string path_;
  std::vector<Entry> entries_;
  std::vector<Entry> extras_;
};

// Every entry of a map with non-scalar keys and duplicates reported (first one kept); `noun`
// names a duplicate ("duplicate host name").
std::vector<MapView::Entry> map_entries(Reader& r, const YAML::Node& map, const std::string& path,
                                        std::string_view noun = "key");

// Checks that `n` is a map (or list); reports "expected <what>, found ..." otherwise.
bool expect_map(Reader& r, const YAML::Node& n, const std::string& path, std::string_view what);
bool expect_list(Reader& r, const YAML::Node& n, const std::string& path, std::string_view what);

std::optional<std::string> read_string(Reader& r, const YAML::Node& n, const std::string& path,
                                       std::string_view what = "a string");
// Payload text and descriptions: like read_string, but tab, newline and other control
// characters are kept (every sink escapes them); ill-formed UTF-8 is still refused.
std::optional<std::string> read_text(Reader& r, const YAML::Node& n, const std::string& path,
                                     std::string_view what);
std::optional<std::string> read_name(Reader& r, const YAML::Node& n, const std::string& path);
// An integer in [min, max]; above `max` with a limit_name reports the limit.
std::optional<int64_t> read_int(Reader& r, const YAML::Node& n, const std::string& path,
                                int64_t min, int64_t max, std::string_view limit_name = {});
std::optional<uint64_t> read_u64(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<bool> read_bool(Reader& r, const YAML::Node& n, const std::string& path);
// 0/1 as in the sysctl, or false/true.
std::optional<bool> read_flag01(Reader& r, const YAML::Node& n, const std::string& path);
enum class Zero : uint8_t { allowed, refused };
std::optional<Duration> read_duration(Reader& r, const YAML::Node& n, const std::string& path,
                                      Zero zero);
std::optional<Probability> read_probability(Reader& r, const YAML::Node& n,
                                            const std::string& path);
std::optional<ByteSize> read_size(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<DataRate> read_rate(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<PacketRate> read_packet_rate(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<Ipv4Addr> read_address(Reader& r, const YAML::Node& n, const std::string& path);
std::optional<Ipv4Prefix> read_prefix(Reader& r, const YAML::Node& n, const std::string& path);
// One of `choices` (exact, or any case if `any_case`); returns its index.
std::optional<size_t> read_choice(Reader& r, const YAML::Node& n, const std::string& path,
                                  std::span<const std::string> choices, bool any_case = false);
// A port 1..65535 (0 too when `zero_ok`: "any/ephemeral").
std::optional<uint16_t> read_port(Reader& r, const YAML::Node& n, const std::string& path,
                                  bool zero_ok = false);

}  // namespace netsim::loader
