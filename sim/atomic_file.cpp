// AtomicFile: a temporary created with O_EXCL beside the target (rename() is only atomic
// within one file system), a std::ostream over its FILE*, and rename() on commit.
#include "sim/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

namespace netsim {
namespace {

// A streambuf that forwards to a C FILE*, so that an ostream and libpcap can share one
// buffered file. It remembers the errno of the first failed write for the error message.
class FileStreamBuf : public std::streambuf {
 public:
  explicit FileStreamBuf(FILE* f) : f_(f) {}
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (std::fputc(c, f_) == EOF) return note_error();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    size_t done = std::fwrite(s, 1, static_cast<size_t>(n), f_);
    if (done != static_cast<size_t>(n)) note_error();
    return static_cast<std::streamsize>(done);
  }
  int sync() override { return std::fflush(f_) == 0 ? 0 : (note_error(), -1); }

 private:
  int_type note_error() {
    if (error_ == 0) error_ = errno != 0 ? errno : EIO;
    return traits_type::eof();
  }
  FILE* f_;
  int error_ = 0;
};

std::string errno_text(int err) {
  return std::system_category().message(err);
}

// /dev/fd/N and /proc/self/fd/N name an open descriptor of this process; -1 otherwise.
int descriptor_path(const std::string& path) {
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (path.rfind(prefix, 0) != 0) continue;
    std::string_view digits = std::string_view(path).substr(prefix.size());
    if (digits.empty() || digits.size() > 6) return -1;
    int fd = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return -1;
      fd = fd * 10 + (c - '0');
    }
    return fd;
  }
  if (path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  return -1;
}

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;  // for a file that does not exist yet: its name in the directory dev/ino
  bool operator==(const FileId&) const = default;
};

// The identity of a regular file (or of a name in a directory, if it does not exist yet).
std::optional<FileId> file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return FileId{st.st_dev, st.st_ino, {}};
  }
  std::filesystem::path p(path);
  std::filesystem::path dir = p.parent_path().empty() ? "." : p.parent_path();
  if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino, p.filename().string()};
}

}  // namespace

OutputKind output_kind(const std::string& path) {
  if (path == "-" || descriptor_path(path) == 1) return OutputKind::standard_output;
  if (descriptor_path(path) > 1) return OutputKind::stream;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return OutputKind::file;  // a new file
  if (S_ISREG(st.st_mode)) return OutputKind::file;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) return OutputKind::stream;
  if (S_ISDIR(st.st_mode)) {
    throw AtomicFileError(fmt::format("cannot write output file '{}': it is a directory", path));
  }
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(path, ec);
    throw AtomicFileError(fmt::format(
        "output '{}' is a symbolic link (to '{}'); netsim neither replaces nor follows one: "
        "name the file itself",
        path, ec ? std::string("?") : target.string()));
  }
  throw AtomicFileError(fmt::format(
      "output '{}' exists and is not a regular file, a FIFO or a character device; netsim does "
      "not replace it",
      path));
}

void check_distinct_paths(const std::vector<NamedPath>& outputs,
                          const std::vector<NamedPath>& inputs) {
  std::vector<std::pair<FileId, const NamedPath*>> seen;
  for (const auto& in : inputs) {
    struct stat st {};
    if (::stat(in.path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      seen.push_back({FileId{st.st_dev, st.st_ino, {}}, &in});
    }
  }
  size_t n_inputs = seen.size();
  for (const auto& out : outputs) {
    if (output_kind(out.path) != OutputKind::file) continue;
    std::optional<FileId> id = file_id(out.path);
    if (!id) continue;
    for (size_t i = 0; i < seen.size(); ++i) {
      if (!(seen[i].first == *id)) continue;
      const NamedPath& other = *seen[i].second;
      if (i < n_inputs) {
        throw AtomicFileError(fmt::format("{} '{}' would overwrite {} '{}'", out.option, out.path,
                                          other.option, other.path));
      }
      throw AtomicFileError(fmt::format("{} '{}' and {} '{}' are the same file", other.option,
                                        other.path, out.option, out.path));
    }
    seen.push_back({*id, &out});
  }
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw AtomicFileError("output path is empty");
  kind_ = output_kind(path_);
  if (kind_ == OutputKind::standard_output) {
    file_ = stdout;
  } else if (kind_ == OutputKind::stream) {
    open_stream();
  } else {
    open_temporary();
  }
  buf_ = std::make_unique<FileStreamBuf>(file_);
  stream_ = std::make_unique<std::ostream>(buf_.get());
}

void AtomicFile::open_stream() {
  int n = descriptor_path(path_);
  // O_NOCTTY: a terminal device must not become our controlling terminal. No O_TRUNC and no
  // O_CREAT: the node exists and stays what it is.
  int fd = n > 1 ? ::fcntl(n, F_DUPFD_CLOEXEC, 3)
                 : ::open(path_.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 || (file_ = ::fdopen(fd, "wb")) == nullptr) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw AtomicFileError(fmt::format("cannot open output '{}': {}", path_, errno_text(err)));
  }
}

void AtomicFile::open_temporary() {
  int fd = -1;
  // The pid keeps two processes writing the same output apart; the counter handles a
  // second AtomicFile for the same path in this process (or a stale leftover).
  for (int n = 0; fd < 0 && n < 100; ++n) {
    temp_path_ = n == 0 ? fmt::format("{}.tmp.{}", path_, ::getpid())
                        : fmt::format("{}.tmp.{}.{}", path_, ::getpid(), n);
    fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    int err = errno;
    temp_path_.clear();
    throw AtomicFileError(
        fmt::format("cannot create output file '{}': {}", path_, errno_text(err)));
  }
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    int err = errno;
    ::close(fd);
    ::unlink(temp_path_.c_str());
    throw AtomicFileError(fmt::format("cannot open output file '{}': {}", path_, errno_text(err)));
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

FILE* AtomicFile::release() {
  if (is_stdout()) throw std::logic_error("AtomicFile::release() on standard output");
  // A stream handed over is closed by its new owner; commit() then has nothing left to do.
  stream_->flush();
  stream_->setstate(std::ios::badbit);  // the FILE* is no longer ours to write through
  FILE* f = file_;
  file_ = nullptr;
  return f;
}

void AtomicFile::discard() noexcept {
  if (is_stdout()) {
    std::fflush(stdout);
    return;
  }
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

void AtomicFile::fail(const std::string& what, int err) {
  discard();
  committed_ = true;  // nothing is left to clean up
  throw AtomicFileError(fmt::format("{} '{}': {}", what, path_, errno_text(err)));
}

void AtomicFile::commit() {
  if (committed_) return;
  if (file_ != nullptr) {
    stream_->flush();
    int buf_err = static_cast<FileStreamBuf*>(buf_.get())->error();
    errno = 0;
    bool bad = std::fflush(file_) != 0 || std::ferror(file_) != 0 || buf_err != 0;
    int err = buf_err != 0 ? buf_err : (errno != 0 ? errno : EIO);
    if (is_stdout()) {
      if (bad) fail("error writing", err);
      committed_ = true;
      return;
    }
    FILE* f = file_;
    file_ = nullptr;
    if (std::fclose(f) != 0 && !bad) {
      bad = true;
      err = errno;
    }
    if (bad) fail("error writing output file", err);
  }
  if (is_stream()) {
    committed_ = true;
    return;
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    fail("cannot rename onto output file", errno);
  temp_path_.clear();
  committed_ = true;
}

}  // namespace netsim
