// Text from users and from hostile files (names, payload strings, events.jsonl) on its way to a
// sink: UTF-8 validation, and the escapes that keep a terminal, an XML document or a YAML
// scalar valid whatever the bytes (issue 17 §5). Header-only: used by sim/, viz/ and the loader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netsim::text {

// One decoded code point, or `valid == false` for a byte that starts no well-formed UTF-8
// sequence (overlong forms, surrogates and values above U+10FFFF are ill-formed: RFC 3629 §3).
struct CodePoint {
  char32_t cp = 0;
  size_t len = 1;
  bool valid = false;
};

inline CodePoint decode_utf8(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return {c, 1, true};
  size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || c > 0xF4 || i + len > s.size()) return {};
  char32_t cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, len, true};
}

// C0 controls, DEL and the C1 controls (U+0080..U+009F): what a terminal may act on.
inline bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

// The byte offset of the first ill-formed UTF-8 byte, if any.
inline std::optional<size_t> first_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    CodePoint p = decode_utf8(s, i);
    if (!p.valid) return i;
    i += p.len;
  }
  return std::nullopt;
}

// The byte offset of the first control character; tab and newline pass when `text` is true.
inline std::optional<size_t> first_control(std::string_view s, bool text = false) {
  for (size_t i = 0; i < s.size();) {
    CodePoint p = decode_utf8(s, i);
    if (p.valid && is_control(p.cp) && !(text && (p.cp == '\t' || p.cp == '\n'))) return i;
    i += p.len;
  }
  return std::nullopt;
}

inline void append_hex_byte(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// For a terminal or a log: every control character and ill-formed byte becomes \n, \t, \r or
// \xNN, so that no escape sequence reaches the terminal; other UTF-8 is kept. With
// `keep_newline`, a newline stays one (for writers that turn it into a line break).
inline std::string terminal_safe(std::string_view s, bool keep_newline = false) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    CodePoint p = decode_utf8(s, i);
    if (!p.valid || is_control(p.cp)) {
      if (p.valid && p.cp == '\n') {
        out += keep_newline ? "\n" : "\\n";
      } else if (p.valid && p.cp == '\t') {
        out += "\\t";
      } else if (p.valid && p.cp == '\r') {
        out += "\\r";
      } else {
        for (size_t k = 0; k < p.len; ++k)
          append_hex_byte(out, static_cast<unsigned char>(s[i + k]));
      }
    } else {
      out.append(s.substr(i, p.len));
    }
    i += p.len;
  }
  return out;
}

// XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
inline bool is_xml_char(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Character data or an attribute value: markup characters as entities, and anything XML 1.0
// cannot carry (controls, ill-formed bytes, U+FFFE/U+FFFF) shown as the text "\xNN" — a
// character reference would not help, &#1; is not allowed either. C1 controls, legal in XML
// but invisible, are shown the same way.
inline std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    CodePoint p = decode_utf8(s, i);
    if (!p.valid || !is_xml_char(p.cp) || (p.cp >= 0x7F && p.cp <= 0x9F)) {
      for (size_t k = 0; k < p.len; ++k)
        append_hex_byte(out, static_cast<unsigned char>(s[i + k]));
    } else {
      switch (p.cp) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        default:
          out.append(s.substr(i, p.len));
      }
    }
    i += p.len;
  }
  return out;
}

// A YAML 1.2 double-quoted scalar holding exactly `s` (after terminal_safe for bytes a YAML
// parser would refuse): safe as a value whatever it contains (`: `, `#`, `*`, quotes).
inline std::string yaml_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : terminal_safe(s)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A YAML value holding exactly terminal_safe(s): the text itself when it is a plain scalar
// beyond doubt (starts with a letter or digit; letters, digits, spaces, `._-()/+=` and
// non-ASCII characters; no trailing space), else yaml_quoted(s). `x: *y #z` is quoted.
inline std::string yaml_scalar(std::string_view s) {
  bool plain = !s.empty() && s.back() != ' ' && !first_invalid_utf8(s) && !first_control(s);
  for (size_t i = 0; plain && i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (i == 0) {
      plain = alnum || c >= 0x80;
    } else {
      plain = alnum || c >= 0x80 ||
              std::string_view(" ._-()/+=").find(static_cast<char>(c)) != std::string_view::npos;
    }
  }
  return plain ? std::string(s) : yaml_quoted(s);
}

}  // namespace netsim::text
