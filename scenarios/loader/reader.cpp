// Error collection and typed value readers for the scenario loader. Unit parsing is delegated to
// sim/units.hpp; this file adds the key path, the position, limits and "did you mean".
#include "scenarios/loader/reader.hpp"

#include "sim/safe_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace netsim::loader {

SourcePos Reader::pos(const YAML::Node& n) const {
  YAML::Mark m = n.Mark();
  if (!m.is_null()) return SourcePos{file_, m.line + 1, m.column + 1};
  for (const auto& o : overrides_) {
    for (const auto& created : o.nodes) {
      if (n.is(created)) return SourcePos{o.label, 0, 0};
    }
  }
  return SourcePos{file_, 0, 0};
}

void Reader::error(const YAML::Node& at, std::string path, std::string message) {
  error(pos(at), std::move(path), std::move(message));
}

void Reader::error(SourcePos p, std::string path, std::string message) {
  errors_.push_back(ScenarioError{std::move(p), std::move(path), std::move(message)});
}

std::vector<ScenarioError> Reader::sorted_errors() const {
  std::vector<ScenarioError> out = errors_;
  // Command-line errors come first, in command-line order; file errors follow by position.
  auto rank = [this](const ScenarioError& e) -> size_t {
    if (e.pos.file == file_) return overrides_.size() + 1;
    for (size_t i = 0; i < overrides_.size(); ++i) {
      if (overrides_[i].label == e.pos.file) return i;
    }
    return overrides_.size();
  };
  std::stable_sort(out.begin(), out.end(), [&](const ScenarioError& a, const ScenarioError& b) {
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.column < b.pos.column;
  });
  return out;
}

std::string quoted(std::string_view s) {
  // Messages go to a terminal: controls and ill-formed bytes as \xNN (sim/safe_text.hpp).
  std::string out = "\"";
  size_t shown = 0;
  for (size_t i = 0; i < s.size();) {
    text::CodePoint p = text::decode_utf8(s, i);
    if (++shown > 60) {
      out += "...";
      break;
    }
    if (p.valid && (p.cp == '"' || p.cp == '\\')) out += '\\';
    out += text::terminal_safe(s.substr(i, p.len));
    i += p.len;
  }
  out += '"';
  return out;
}

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  if (n.IsScalar()) return quoted(n.Scalar());
  if (n.IsMap()) return "a map";
  return "a list";
}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string index_path(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions), ignoring case:
// "dealy" is one edit from "delay".
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string range_text(int64_t min, int64_t max) {
  if (max == std::numeric_limits<int64_t>::max()) {
    if (min == 0) return "a non-negative integer";
    if (min == 1) return "a positive integer";
    return fmt::format("an integer of at least {}", min);
  }
  return fmt::format("an integer from {} to {}", min, max);
}

// Parses an optional sign and decimal digits exactly; nullopt for anything else.
std::optional<int64_t> parse_integer(std::string_view s, bool& overflow) {
  overflow = false;
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    overflow = true;
    return std::nullopt;
  }
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool starts_like_number(std::string_view s) {
  return !s.empty() && (std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '.' ||
                        s.front() == '+');
}

// Scalar text of `n`, or an error "expected <what>, found <n>".
std::optional<std::string> scalar(Reader& r, const YAML::Node& n, const std::string& path,
                                  std::string_view what) {
  if (!n.IsScalar()) {
    r.error(n, path, fmt::format("expected {}, found {}", what, describe(n)));
    return std::nullopt;
  }
  // Every output is UTF-8 (JSON, XML, YAML): a Latin-1 byte would break them all (issue 17).
  if (auto bad = text::first_invalid_utf8(n.Scalar())) {
    r.error(n, path,
            fmt::format("expected UTF-8 text, found the byte 0x{:02x} at offset {} of {} (save "
                        "the file as UTF-8)",
                        static_cast<unsigned char>(n.Scalar()[*bad]), *bad, describe(n)));
    return std::nullopt;
  }
  return n.Scalar();
}

// Names, states, paths: no control characters (a terminal would act on them; XML 1.0 cannot
// carry most of them). Payload text and descriptions may hold tab and newline.
std::optional<std::string> no_controls(Reader& r, const YAML::Node& n, const std::string& path,
                                       std::optional<std::string> s, bool text) {
  if (!s) return s;
  if (auto bad = text::first_control(*s, text)) {
    r.error(n, path,
            fmt::format("expected text without control characters, found the control character "
                        "0x{:02x} at offset {} of {}",
                        static_cast<unsigned char>((*s)[*bad]), *bad, describe(n)));
    return std::nullopt;
  }
  return s;
}

}  // namespace

std::optional<std::string> did_you_mean(std::string_view word,
                                        std::span<const std::string> candidates) {
  // A number is not a misspelling: "hz: 200" is not a typo of 100, and the error already
  // lists the values allowed.
  if (!word.empty() &&
      std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  size_t threshold = word.size() / 3;
  std::optional<std::string> best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d <= threshold && d < best_d && c != word) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

std::string suggestion_suffix(std::string_view word, std::span<const std::string> candidates) {
  auto s = did_you_mean(word, candidates);
  return s ? fmt::format("; did you mean {}?", quoted(*s)) : std::string();
}

bool is_quoted(const YAML::Node& n) {
  return n.IsScalar() && n.Tag() == "!";
}

bool is_valid_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  auto ok_first = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  if (!ok_first(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::vector<MapView::Entry> map_entries(Reader& r, const YAML::Node& map, const std::string& path,
                                        std::string_view noun) {
  std::vector<MapView::Entry> out;
  if (!map.IsMap()) return out;
  for (const auto& kv : map) {
    const YAML::Node k = kv.first;
    if (!k.IsScalar()) {
      r.error(k, path, fmt::format("expected a key name, found {}", describe(k)));
      continue;
    }
    std::string key = k.Scalar();
    auto dup = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.key == key; });
    if (dup != out.end()) {
      SourcePos first = r.pos(dup->key_node);
      r.error(k, join_path(path, key),
              first.line > 0
                  ? fmt::format("duplicate {} (first written at line {})", noun, first.line)
                  : fmt::format("duplicate {}", noun));
      continue;
    }
    out.push_back({std::move(key), k, kv.second});
  }
  return out;
}

MapView::MapView(Reader& r, const YAML::Node& map, std::string path,
                 std::initializer_list<std::string_view> known,
                 std::function<bool(std::string_view)> extra)
    : MapView(r, map, std::move(path),
              std::span<const std::string_view>(known.begin(), known.size()), std::move(extra)) {}

MapView::MapView(Reader& r, const YAML::Node& map, std::string path,
                 std::span<const std::string_view> known,
                 std::function<bool(std::string_view)> extra)
    : r_(r), map_(map), path_(std::move(path)) {
  std::vector<std::string> known_list(known.begin(), known.end());
  for (auto& e : map_entries(r, map, path_)) {
    if (std::find(known_list.begin(), known_list.end(), e.key) != known_list.end()) {
      entries_.push_back(std::move(e));
    } else if (extra && extra(e.key)) {
      extras_.push_back(std::move(e));
    } else {
      auto hint = did_you_mean(e.key, known_list);
      std::string_view what = path_.empty() ? "unknown top-level key" : "unknown key";
      std::string msg =
          hint ? fmt::format("{}; did you mean {}?", what, quoted(*hint))
               : fmt::format("{}; expected one of {}", what, fmt::join(known_list, ", "));
      r.error(e.key_node, join_path(path_, e.key), std::move(msg));
    }
  }
}

const MapView::Entry* MapView::entry(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::optional<YAML::Node> MapView::get(std::string_view key) const {
  const Entry* e = entry(key);
  if (!e) return std::nullopt;
  return e->value;
}

bool MapView::require(std::string_view key, std::string_view what) const {
  if (has(key)) return true;
  r_.error(map_, path_, fmt::format("missing key {} ({})", quoted(key), what));
  return false;
}

bool expect_map(Reader& r, const YAML::Node& n, const std::string& path, std::string_view what) {
  if (n.IsMap()) return true;
  r.error(n, path, fmt::format("expected {}, found {}", what, describe(n)));
  return false;
}

bool expect_list(Reader& r, const YAML::Node& n, const std::string& path, std::string_view what) {
  if (n.IsSequence()) return true;
  r.error(n, path, fmt::format("expected {}, found {}", what, describe(n)));
  return false;
}

std::optional<std::string> read_string(Reader& r, const YAML::Node& n, const std::string& path,
                                       std::string_view what) {
  return no_controls(r, n, path, scalar(r, n, path, what), false);
}

std::optional<std::string> read_text(Reader& r, const YAML::Node& n, const std::string& path,
                                     std::string_view what) {
  return scalar(r, n, path, what);
}

std::optional<std::string> read_name(Reader& r, const YAML::Node& n, const std::string& path) {
  static constexpr std::string_view kWhat =
      "a name (a letter or '_', then letters, digits, '_' or '-')";
  auto s = scalar(r, n, path, kWhat);
  if (!s) return std::nullopt;
  if (!is_valid_name(*s)) {
    r.error(n, path, fmt::format("expected {}, found {}", kWhat, quoted(*s)));
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> read_int(Reader& r, const YAML::Node& n, const std::string& path,
                                int64_t min, int64_t max, std::string_view limit_name) {
  auto s = scalar(r, n, path, range_text(min, max));
  if (!s) return std::nullopt;
  bool overflow = false;
  auto v = parse_integer(*s, overflow);
  if (!v && overflow && !s->empty() && s->front() != '-' && !limit_name.empty()) {
    r.error(
        n, path,
        fmt::format("expected at most {} (the {} limit), found {}", max, limit_name, quoted(*s)));
    return std::nullopt;
  }
  if (!v) {
    r.error(n, path, fmt::format("expected {}, found {}", range_text(min, max), quoted(*s)));
    return std::nullopt;
  }
  if (*v > max && !limit_name.empty()) {
    r.error(n, path,
            fmt::format("expected at most {} (the {} limit), found {}", max, limit_name, *v));
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    r.error(n, path, fmt::format("expected {}, found {}", range_text(min, max), *v));
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> read_u64(Reader& r, const YAML::Node& n, const std::string& path) {
  static constexpr std::string_view kWhat = "a non-negative integer below 2^64";
  auto s = scalar(r, n, path, kWhat);
  if (!s) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (s->empty() || ec != std::errc() || p != s->data() + s->size()) {
    r.error(n, path, fmt::format("expected {}, found {}", kWhat, quoted(*s)));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> read_bool(Reader& r, const YAML::Node& n, const std::string& path) {
  auto s = scalar(r, n, path, "true or false");
  if (!s) return std::nullopt;
  std::string l;
  for (char c : *s)
    l.push_back(lower(c));
  if (l == "true") return true;
  if (l == "false") return false;
  r.error(n, path, fmt::format("expected true or false, found {}", quoted(*s)));
  return std::nullopt;
}

std::optional<bool> read_flag01(Reader& r, const YAML::Node& n, const std::string& path) {
  auto s = scalar(r, n, path, "0 or 1");
  if (!s) return std::nullopt;
  if (*s == "0" || *s == "false") return false;
  if (*s == "1" || *s == "true") return true;
  r.error(n, path, fmt::format("expected 0 or 1, found {}", quoted(*s)));
  return std::nullopt;
}

std::optional<Duration> read_duration(Reader& r, const YAML::Node& n, const std::string& path,
                                      Zero zero) {
  std::string_view kind = zero == Zero::refused ? "a positive duration" : "a duration";
  std::string what = fmt::format("{} like \"10ms\"", kind);
  auto s = scalar(r, n, path, what);
  if (!s) return std::nullopt;
  if (!s->empty() && s->front() == '-') {
    std::string_view sign = zero == Zero::refused ? "a positive" : "a non-negative";
    r.error(n, path, fmt::format("expected {} duration like \"10ms\", found {}", sign, quoted(*s)));
    return std::nullopt;
  }
  if (!starts_like_number(*s)) {
    r.error(n, path, fmt::format("expected {}, found {}", what, quoted(*s)));
    return std::nullopt;
  }
  Duration d;
  try {
    d = parse_duration(*s);
  } catch (const UnitError& e) {
    r.error(n, path, e.what());
    return std::nullopt;
  }
  if (zero == Zero::refused && d == Duration::zero()) {
    r.error(n, path, fmt::format("expected {}, found {}", what, quoted(*s)));
    return std::nullopt;
  }
  if (d > r.limits().max_time) {
    r.error(n, path,
            fmt::format("expected at most {} (the max_time limit), found {}",
                        format_duration(r.limits().max_time), quoted(*s)));
    return std::nullopt;
  }
  return d;
}

namespace {
// Shared shape of the unit readers: a scalar that starts like a number, then the units parser.
template <typename T, typename Parse>
std::optional<T> read_unit(Reader& r, const YAML::Node& n, const std::string& path,
                           std::string_view what, Parse parse) {
  auto s = scalar(r, n, path, what);
  if (!s) return std::nullopt;
  if (!starts_like_number(*s)) {
    r.error(n, path, fmt::format("expected {}, found {}", what, quoted(*s)));
    return std::nullopt;
  }
  try {
    return parse(*s);
  } catch (const UnitError& e) {
    r.error(n, path, e.what());
    return std::nullopt;
  }
}
}  // namespace

std::optional<Probability> read_probability(Reader& r, const YAML::Node& n,
                                            const std::string& path) {
  return read_unit<Probability>(r, n, path, "a probability like 0.05 or 5%",
                                [](std::string_view s) { return parse_probability(s); });
}

std::optional<ByteSize> read_size(Reader& r, const YAML::Node& n, const std::string& path) {
  return read_unit<ByteSize>(r, n, path, "a size like \"1460B\" or \"64KiB\"",
                             [](std::string_view s) { return parse_byte_size(s); });
}

std::optional<DataRate> read_rate(Reader& r, const YAML::Node& n, const std::string& path) {
  return read_unit<DataRate>(r, n, path, "a data rate like \"10Mbps\"",
                             [](std::string_view s) { return parse_data_rate(s); });
}

std::optional<PacketRate> read_packet_rate(Reader& r, const YAML::Node& n,
                                           const std::string& path) {
  return read_unit<PacketRate>(r, n, path, "a packet rate like \"2000/s\"",
                               [](std::string_view s) { return parse_packet_rate(s); });
}

std::optional<Ipv4Addr> read_address(Reader& r, const YAML::Node& n, const std::string& path) {
  static constexpr std::string_view kWhat = "an IPv4 address like \"10.0.0.1\"";
  auto s = scalar(r, n, path, kWhat);
  if (!s) return std::nullopt;
  auto a = Ipv4Addr::parse(*s);
  if (!a) r.error(n, path, fmt::format("expected {}, found {}", kWhat, quoted(*s)));
  return a;
}

std::optional<Ipv4Prefix> read_prefix(Reader& r, const YAML::Node& n, const std::string& path) {
  static constexpr std::string_view kWhat =
      "an address block like \"198.51.100.0/24\" (no host bits set)";
  auto s = scalar(r, n, path, kWhat);
  if (!s) return std::nullopt;
  auto p = Ipv4Prefix::parse(*s);
  if (!p) r.error(n, path, fmt::format("expected {}, found {}", kWhat, quoted(*s)));
  return p;
}

std::optional<size_t> read_choice(Reader& r, const YAML::Node& n, const std::string& path,
                                  std::span<const std::string> choices, bool any_case) {
  std::string what = choices.size() == 2 ? fmt::format("{} or {}", choices[0], choices[1])
                                         : fmt::format("one of {}", fmt::join(choices, ", "));
  auto s = scalar(r, n, path, what);
  if (!s) return std::nullopt;
  for (size_t i = 0; i < choices.size(); ++i) {
    bool same = any_case ? edit_distance(*s, choices[i]) == 0 && s->size() == choices[i].size()
                         : *s == choices[i];
    if (same) return i;
  }
  r.error(n, path,
          fmt::format("expected {}, found {}{}", what, quoted(*s), suggestion_suffix(*s, choices)));
  return std::nullopt;
}

std::optional<uint16_t> read_port(Reader& r, const YAML::Node& n, const std::string& path,
                                  bool zero_ok) {
  std::string what = zero_ok ? "a port from 0 (any) to 65535" : "a port from 1 to 65535";
  auto s = scalar(r, n, path, what);
  if (!s) return std::nullopt;
  bool overflow = false;
  auto v = parse_integer(*s, overflow);
  if (!v || *v < (zero_ok ? 0 : 1) || *v > 65535) {
    r.error(n, path,
            fmt::format("expected {}, found {}", what, v ? std::to_string(*v) : quoted(*s)));
    return std::nullopt;
  }
  return static_cast<uint16_t>(*v);
}

}  // namespace netsim::loader
