// The tokens of the packetdrill language (docs/drill.md): numbers, words, strings, `shell`
// commands, %{ python }% blocks, --options and punctuation, each with its line and column.
// Hand-written: the language is small and its one context rule (a digit string followed by
// letters is a hex blob, "0...1" is a time range) is easier to state in code than in flex.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drill/script.hpp"

namespace netsim::drill {

struct Token {
  enum class Kind : uint8_t {
    end,
    number,    // 12, 0.5, .01, 0x2 (text as written)
    word,      // identifiers and hex blobs (000102ab)
    string,    // "..." without the quotes
    command,   // `...` without the backquotes
    code,      // %{ ... }% without the markers
    option,    // --name or --name=value (text: after the dashes)
    ellipsis,  // ...
    punct,     // one character: + * ~ < > : ( ) [ ] { } , = | - . ; /
  };
  Kind kind = Kind::end;
  std::string text;
  Pos pos;
  bool is(char c) const { return kind == Kind::punct && text.size() == 1 && text[0] == c; }
};

struct LexError {
  Pos pos;
  std::string message;
};

// Either the tokens (ending with one `end` token) or the first lexical error.
struct LexResult {
  std::vector<Token> tokens;
  std::optional<LexError> error;
};

LexResult lex(std::string_view text);

}  // namespace netsim::drill
