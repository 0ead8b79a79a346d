// Parses packetdrill script text into the typed Script (drill/script.hpp). Errors name the
// file, line and column and say what was expected; no input makes it crash or loop.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "drill/script.hpp"

namespace netsim::drill {

struct ParseResult {
  std::optional<Script> script;
  std::string error;  // "file:line:col: message" when script is empty
  bool ok() const { return script.has_value(); }
};

ParseResult parse_script(std::string_view text, const std::string& file);
// Reads the file first; a missing or unreadable file is an error like any other.
ParseResult parse_script_file(const std::string& path);

}  // namespace netsim::drill
