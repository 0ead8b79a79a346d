// The sweep CSV (RFC 4180): one header line, one line per run, in the rows' order. Columns
// are the union of every row's cells by first appearance, so a grid point whose apps differ
// still lines up; `omit_if_zero` columns that are zero in every row are left out.
#include <map>
#include <set>

#include "scenarios/sweep/sweep.hpp"

namespace netsim::sweep {
namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string to_csv(const std::vector<SweepRow>& rows) {
  std::vector<std::string> columns;
  std::map<std::string, size_t> index;
  std::set<std::string> nonzero;
  std::set<std::string> always;  // columns that are never omitted
  for (const auto& row : rows) {
    for (const auto& cell : row.cells) {
      if (index.emplace(cell.column, columns.size()).second) columns.push_back(cell.column);
      if (!cell.omit_if_zero) always.insert(cell.column);
      if (cell.value != "0" && !cell.value.empty()) nonzero.insert(cell.column);
    }
  }
  std::vector<bool> keep(columns.size());
  for (size_t i = 0; i < columns.size(); ++i)
    keep[i] = always.count(columns[i]) > 0 || nonzero.count(columns[i]) > 0;

  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!keep[i]) continue;
    out += csv_field(columns[i]);
    out += ',';
  }
  out += "error\n";
  for (const auto& row : rows) {
    std::vector<const std::string*> values(columns.size(), nullptr);
    for (const auto& cell : row.cells)
      values[index.at(cell.column)] = &cell.value;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (!keep[i]) continue;
      if (values[i] != nullptr) out += csv_field(*values[i]);
      out += ',';
    }
    // The loader's and the engine's messages may span lines: the first line is enough here.
    out += csv_field(row.error.substr(0, row.error.find('\n')));
    out += '\n';
  }
  return out;
}

}  // namespace netsim::sweep
