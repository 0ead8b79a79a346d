// AtomicFile: a temporary created with O_EXCL beside the target (rename() is only atomic
// within one file system), a std::ostream over its FILE*, and rename() on commit.
#include "sim/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

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

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw AtomicFileError("output path is empty");
  if (is_stdout()) {
    file_ = stdout;
  } else {
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      throw AtomicFileError(fmt::format("cannot write output file '{}': it is a directory", path_));
    }
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
      throw AtomicFileError(
          fmt::format("cannot open output file '{}': {}", path_, errno_text(err)));
    }
  }
  buf_ = std::make_unique<FileStreamBuf>(file_);
  stream_ = std::make_unique<std::ostream>(buf_.get());
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

FILE* AtomicFile::release() {
  if (is_stdout()) throw std::logic_error("AtomicFile::release() on standard output");
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
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    fail("cannot rename onto output file", errno);
  temp_path_.clear();
  committed_ = true;
}

}  // namespace netsim
