// `--set PATH=VALUE`: changes one scalar of the YAML tree before validation, so an overridden
// value is checked exactly like a written one. Paths are dotted: list indexes as numbers, map
// keys by name (`links.0.loss`, `hosts.server.tcp.syncookies`, `apps.1.tcp_client.count`).
// `PATH+=VALUE` appends VALUE, read as YAML (`{app: alice, result: closed}`), to the list at
// PATH (created when absent): `--set 'expect+={drops: loss, max: 0}'`.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "scenarios/loader/sections.hpp"

namespace netsim::loader {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    out.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// The value as a scalar node: "text" or 'text' stays quoted (always text), anything else is a
// plain scalar, exactly as if it had been written in the file.
YAML::Node make_value(const std::string& value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    YAML::Node n(value.substr(1, value.size() - 2));
    n.SetTag("!");
    return n;
  }
  return YAML::Node(value);
}

// The key node of `key` in `map`, to attribute errors about it to the override.
YAML::Node key_node(const YAML::Node& map, const std::string& key) {
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.first;
  }
  return YAML::Node();
}

bool has_key(const YAML::Node& map, const std::string& key) {
  return key_node(map, key).IsDefined() && !key_node(map, key).IsNull();
}

class Applier {
 public:
  Applier(Reader& r, std::string text) : r_(r), o_{"--set " + text, {}}, text_(std::move(text)) {}

  // Registers the override even when it fails, so its errors sort in command-line order.
  void run(YAML::Node root) {
    apply(root);
    r_.add_override(std::move(o_));
  }

 private:
  void apply(YAML::Node root) {
    size_t eq = text_.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail("expected PATH=VALUE, like links.0.loss=5%");
      return;
    }
    std::string value = text_.substr(eq + 1);
    bool append = text_[eq - 1] == '+';
    size_t path_end = append ? eq - 1 : eq;
    if (path_end == 0) {
      fail("expected PATH+=VALUE, like expect+={drops: loss, max: 0}");
      return;
    }
    std::vector<std::string> segs = split_path(std::string_view(text_).substr(0, path_end));
    if (std::any_of(segs.begin(), segs.end(), [](const std::string& s) { return s.empty(); })) {
      fail("expected a dotted path like links.0.loss, found an empty part");
      return;
    }
    if (value.empty()) {
      fail("expected a value after '='");
      return;
    }
    if (append) {
      append_to_list(root, segs, value);
      return;
    }
    walk(root, segs, value);
  }

  // A copy of `n` without file positions, every node registered as the override's, so that
  // errors inside an appended value name the --set; quoted scalars stay text.
  YAML::Node detached(const YAML::Node& n) {
    YAML::Node out;
    if (n.IsMap()) {
      out = YAML::Node(YAML::NodeType::Map);
      for (const auto& kv : n)
        out[detached(kv.first)] = detached(kv.second);
      for (const auto& kv : out)
        o_.nodes.push_back(kv.first);
    } else if (n.IsSequence()) {
      out = YAML::Node(YAML::NodeType::Sequence);
      for (const auto& item : n)
        out.push_back(detached(item));
    } else if (n.IsScalar()) {
      out = YAML::Node(n.Scalar());
      if (n.Tag() == "!") out.SetTag("!");
    } else {
      out = YAML::Node(YAML::NodeType::Null);
    }
    o_.nodes.push_back(out);
    return out;
  }

  void append_to_list(YAML::Node root, const std::vector<std::string>& segs,
                      const std::string& value) {
    YAML::Node parsed;
    try {
      parsed = YAML::Load(value);
    } catch (const YAML::Exception& e) {
      fail(fmt::format("the value after += is not valid YAML: {}", e.msg));
      return;
    }
    YAML::Node cur;
    cur.reset(root);
    std::string shown;
    for (size_t i = 0; i < segs.size(); ++i) {
      const std::string& seg = segs[i];
      std::string here = shown.empty() ? seg : shown + "." + seg;
      bool last = i + 1 == segs.size();
      YAML::Node next;
      if (cur.IsSequence() && all_digits(seg) && std::stoul(seg) < cur.size()) {
        next.reset(cur[std::stoul(seg)]);
      } else if (cur.IsMap()) {
        if (!has_key(cur, seg)) {
          if (!last) {
            fail(fmt::format("{} does not exist; += creates only the list itself", here));
            return;
          }
          YAML::Node list(YAML::NodeType::Sequence);
          cur[seg] = list;
          o_.nodes.push_back(list);
          o_.nodes.push_back(key_node(cur, seg));
        }
        next.reset(cur[seg]);
      } else {
        fail(fmt::format("{} has no {}", shown.empty() ? "the scenario" : shown, quoted(seg)));
        return;
      }
      cur.reset(next);
      shown = here;
    }
    if (!cur.IsSequence()) {
      fail(fmt::format("{} is not a list, so nothing can be appended to it (use = to replace)",
                       shown));
      return;
    }
    cur.push_back(detached(parsed));
  }

  void fail(std::string message) { r_.error(SourcePos{o_.label, 0, 0}, "", std::move(message)); }

  void walk(YAML::Node root, const std::vector<std::string>& segs, const std::string& value) {
    YAML::Node cur;
    cur.reset(root);
    std::string shown;  // the path walked so far, as the user wrote it
    for (size_t i = 0; i < segs.size(); ++i) {
      const std::string& seg = segs[i];
      bool last = i + 1 == segs.size();
      std::string here = shown.empty() ? seg : shown + "." + seg;
      if (cur.IsSequence()) {
        if (!all_digits(seg) || std::stoul(seg) >= cur.size()) {
          fail(fmt::format("{} is a list of {} entr{}; expected an index from 0 to {}, found {}",
                           shown, cur.size(), cur.size() == 1 ? "y" : "ies",
                           cur.size() == 0 ? 0 : cur.size() - 1, quoted(seg)));
          return;
        }
        size_t idx = std::stoul(seg);
        if (last) {
          YAML::Node v = make_value(value);
          cur[idx] = v;
          o_.nodes.push_back(v);
          return;
        }
        YAML::Node next = cur[idx];
        cur.reset(next);
      } else if (cur.IsMap()) {
        if (last) {
          YAML::Node v = make_value(value);
          bool existed = has_key(cur, seg);
          cur[seg] = v;
          o_.nodes.push_back(v);
          if (!existed) o_.nodes.push_back(key_node(cur, seg));
          return;
        }
        if (!descend_map(cur, seg, segs, i, here)) return;
      } else {
        fail(fmt::format("{} is a value, not a map or list, so it has no {}", shown, quoted(seg)));
        return;
      }
      shown = here;
    }
  }

  // Moves `cur` to its child `seg`, creating a map where none exists; false after an error.
  bool descend_map(YAML::Node& cur, const std::string& seg, const std::vector<std::string>& segs,
                   size_t i, const std::string& here) {
    YAML::Node child;
    bool existed = has_key(cur, seg);
    if (existed) child.reset(cur[seg]);
    if (existed && child.IsScalar() && i == 1 && segs[0] == "hosts") {
      // The short form `server: 10.0.0.2` becomes {address: 10.0.0.2} so that the host's other
      // keys (tcp, tun) can be set; the address node keeps its file position.
      YAML::Node m(YAML::NodeType::Map);
      m["address"] = child;
      cur[seg] = m;
      o_.nodes.push_back(m);
      child.reset(cur[seg]);
    } else if (existed && child.IsScalar()) {
      fail(fmt::format("{} is a value, not a map, so it has no {}", here, quoted(segs[i + 1])));
      return false;
    } else if (!existed || child.IsNull()) {
      if (all_digits(segs[i + 1])) {
        fail(fmt::format("{} does not exist, and lists cannot be created with --set", here));
        return false;
      }
      YAML::Node m(YAML::NodeType::Map);
      cur[seg] = m;
      o_.nodes.push_back(m);
      if (!existed) o_.nodes.push_back(key_node(cur, seg));
      child.reset(cur[seg]);
    }
    cur.reset(child);
    return true;
  }

  Reader& r_;
  Override o_;
  std::string text_;
};

}  // namespace

void apply_overrides(Reader& r, YAML::Node root, const std::vector<std::string>& sets) {
  for (const auto& s : sets)
    Applier(r, s).run(root);
}

}  // namespace netsim::loader
