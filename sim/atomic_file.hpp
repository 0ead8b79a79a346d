// Output files that appear whole or not at all (DESIGN.md property 8): data goes to a
// temporary file next to the target, and commit() renames it over the target. An AtomicFile
// destroyed without commit() deletes its temporary, so an error never leaves half an output.
#pragma once

#include <cstdio>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>

namespace netsim {

// The message names the output path and the system's reason ("No such file or directory").
class AtomicFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AtomicFile {
 public:
  // Creates "<path>.tmp.<pid>" (or "<path>.tmp.<pid>.<n>" if taken) in the target's
  // directory. The path "-" means standard output: written directly, never closed or renamed.
  // Throws AtomicFileError if the file cannot be created or `path` is a directory.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }  // empty for stdout
  bool is_stdout() const { return path_ == "-"; }
  bool committed() const { return committed_; }

  // Both views write to the same buffered FILE*.
  std::ostream& stream() { return *stream_; }
  FILE* file() { return file_; }

  // Hands the FILE* to a library that closes it itself (pcap_dump_close); commit() then only
  // renames. Not for stdout.
  FILE* release();

  // Flushes, closes and renames the temporary over path(); for stdout only flushes. Throws
  // AtomicFileError on a write or rename error (and removes the temporary).
  void commit();

 private:
  void discard() noexcept;
  [[noreturn]] void fail(const std::string& what, int err);

  std::string path_;
  std::string temp_path_;
  FILE* file_ = nullptr;
  std::unique_ptr<std::streambuf> buf_;
  std::unique_ptr<std::ostream> stream_;
  bool committed_ = false;
};

}  // namespace netsim
