// Output files that appear whole or not at all (DESIGN.md property 8): data goes to a
// temporary file next to the target, and commit() renames it over the target. An AtomicFile
// destroyed without commit() deletes its temporary, so an error never leaves half an output.
// Whatever is not a regular file is never replaced (issue 17, docs/reliability.md "Output
// paths"): standard output and FIFOs/character devices are written through as streams, and a
// symbolic link, socket or block device is refused.
#pragma once

#include <cstdio>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace netsim {

// The message names the output path and the system's reason ("No such file or directory").
class AtomicFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What an output path names, decided before anything is written.
enum class OutputKind {
  standard_output,  // "-", /dev/stdout, /dev/fd/1, /proc/self/fd/1
  stream,           // an existing FIFO or character device, or /dev/stderr, /dev/fd/N
  file,             // a regular file or a new name: temporary + rename
};

// Throws AtomicFileError for a directory, a symbolic link (netsim neither replaces nor follows
// one: name its target), a socket or a block device.
OutputKind output_kind(const std::string& path);

// One file a command reads or writes, and the option that names it ("--trace", "FILE").
struct NamedPath {
  std::string option;
  std::string path;
};

// Refuses (AtomicFileError naming both options) an output that is one of the inputs, or two
// outputs that are the same file — compared by device and inode, not by name, so "x", "./x",
// "d/../x" and a hard link are all caught. Streams (stdout, FIFOs, devices) are not compared.
void check_distinct_paths(const std::vector<NamedPath>& outputs,
                          const std::vector<NamedPath>& inputs);

class AtomicFile {
 public:
  // Creates "<path>.tmp.<pid>" (or "<path>.tmp.<pid>.<n>" if taken) in the target's
  // directory. The path "-" means standard output: written directly, never closed or renamed;
  // a FIFO or character device is opened and written through (output_kind()).
  // Throws AtomicFileError if the file cannot be created or output_kind() refuses `path`.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }  // empty for stdout
  bool is_stdout() const { return kind_ == OutputKind::standard_output; }
  // Standard output or a stream: written as it goes, never renamed, nothing to take back.
  bool is_stream() const { return kind_ != OutputKind::file; }
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

  void open_stream();
  void open_temporary();

  std::string path_;
  OutputKind kind_ = OutputKind::file;
  std::string temp_path_;
  FILE* file_ = nullptr;
  std::unique_ptr<std::streambuf> buf_;
  std::unique_ptr<std::ostream> stream_;
  bool committed_ = false;
};

}  // namespace netsim
