// The packetdrill lexer: comments (// and /* */) are skipped, everything else becomes a Token.
#include "drill/lexer.hpp"

#include <cctype>

namespace netsim::drill {
namespace {

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  LexResult run() {
    LexResult r;
    while (true) {
      if (auto err = skip_space_and_comments()) {
        r.error = err;
        return r;
      }
      if (i_ >= s_.size()) break;
      Token t;
      t.pos = pos();
      if (auto err = next(t)) {
        r.error = err;
        return r;
      }
      r.tokens.push_back(std::move(t));
    }
    Token end;
    end.pos = pos();
    r.tokens.push_back(end);
    return r;
  }

 private:
  Pos pos() const { return Pos{line_, static_cast<int>(i_ - line_start_) + 1}; }
  char at(size_t k) const { return k < s_.size() ? s_[k] : '\0'; }
  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      line_start_ = i_ + 1;
    }
    ++i_;
  }

  std::optional<LexError> skip_space_and_comments() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        advance();
      } else if (c == '/' && at(i_ + 1) == '/') {
        while (i_ < s_.size() && s_[i_] != '\n')
          advance();
      } else if (c == '/' && at(i_ + 1) == '*') {
        Pos start = pos();
        advance();
        advance();
        while (i_ < s_.size() && !(s_[i_] == '*' && at(i_ + 1) == '/'))
          advance();
        if (i_ >= s_.size()) return LexError{start, "unterminated /* comment"};
        advance();
        advance();
      } else {
        break;
      }
    }
    return std::nullopt;
  }

  // Reads until `close` (one or two characters); the text between goes into t.text.
  std::optional<LexError> delimited(Token& t, std::string_view open, std::string_view close,
                                    const char* what) {
    for (size_t k = 0; k < open.size(); ++k)
      advance();
    size_t begin = i_;
    while (i_ < s_.size() && s_.substr(i_, close.size()) != close)
      advance();
    if (i_ >= s_.size()) return LexError{t.pos, std::string("unterminated ") + what};
    t.text = std::string(s_.substr(begin, i_ - begin));
    for (size_t k = 0; k < close.size(); ++k)
      advance();
    return std::nullopt;
  }

  void number_or_blob(Token& t) {
    size_t begin = i_;
    if (s_[i_] == '0' && (at(i_ + 1) == 'x' || at(i_ + 1) == 'X') &&
        std::isxdigit(static_cast<unsigned char>(at(i_ + 2)))) {
      advance();
      advance();
      while (i_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[i_])))
        advance();
    } else {
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])))
        advance();
      // "0.5" is a number, "0...1" is 0, an ellipsis and 1.
      if (at(i_) == '.' && at(i_ + 1) != '.') {
        advance();
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])))
          advance();
      }
    }
    t.kind = Token::Kind::number;
    // Digits running into letters: a hex blob such as an MD5 key or a Fast Open cookie.
    if (std::isalnum(static_cast<unsigned char>(at(i_))) || at(i_) == '_') {
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
        advance();
      t.kind = Token::Kind::word;
    }
    t.text = std::string(s_.substr(begin, i_ - begin));
  }

  std::optional<LexError> next(Token& t) {
    char c = s_[i_];
    if (c == '`') return (t.kind = Token::Kind::command, delimited(t, "`", "`", "`command`"));
    if (c == '%' && at(i_ + 1) == '{')
      return (t.kind = Token::Kind::code, delimited(t, "%{", "}%", "%{ code block }%"));
    if (c == '"') {
      t.kind = Token::Kind::string;
      advance();
      size_t begin = i_;
      while (i_ < s_.size() && s_[i_] != '"' && s_[i_] != '\n')
        advance();
      if (at(i_) != '"') return LexError{t.pos, "unterminated string"};
      t.text = std::string(s_.substr(begin, i_ - begin));
      advance();
      return std::nullopt;
    }
    if (c == '-' && at(i_ + 1) == '-' && std::isalpha(static_cast<unsigned char>(at(i_ + 2)))) {
      t.kind = Token::Kind::option;
      advance();
      advance();
      size_t begin = i_;
      while (i_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[i_])))
        advance();
      t.text = std::string(s_.substr(begin, i_ - begin));
      return std::nullopt;
    }
    if (c == '.' && at(i_ + 1) == '.' && at(i_ + 2) == '.') {
      t.kind = Token::Kind::ellipsis;
      t.text = "...";
      advance();
      advance();
      advance();
      return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && std::isdigit(static_cast<unsigned char>(at(i_ + 1))))) {
      number_or_blob(t);
      return std::nullopt;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      t.kind = Token::Kind::word;
      size_t begin = i_;
      while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_'))
        advance();
      t.text = std::string(s_.substr(begin, i_ - begin));
      return std::nullopt;
    }
    static constexpr std::string_view kPunct = "+*~<>:()[]{},=|-.;/!&";
    if (kPunct.find(c) != std::string_view::npos) {
      t.kind = Token::Kind::punct;
      t.text = std::string(1, c);
      advance();
      return std::nullopt;
    }
    std::string shown = std::isprint(static_cast<unsigned char>(c))
                            ? std::string("'") + c + "'"
                            : "byte " + std::to_string(static_cast<unsigned char>(c));
    return LexError{t.pos, "unexpected character " + shown};
  }

  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

LexResult lex(std::string_view text) {
  return Lexer(text).run();
}

}  // namespace netsim::drill
