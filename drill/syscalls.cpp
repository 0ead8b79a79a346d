// Socket calls of a drill script mapped onto the host's socket API (protocols/tcp/host.hpp):
// file descriptors, blocking and non-blocking semantics, return values and errno as Linux
// gives them. Calls and options netsim does not model end the script as "unsupported".
#include <fmt/format.h>

#include <string_view>
#include <utility>

#include "drill/runner_impl.hpp"
#include "sim/units.hpp"

namespace netsim::drill {
namespace {

// The Linux values of the constants scripts use (<sys/socket.h>, <netinet/tcp.h>, <errno.h>).
constexpr std::pair<std::string_view, int64_t> kConstants[] = {
    {"AF_INET", 2},
    {"AF_INET6", 10},
    {"SOCK_STREAM", 1},
    {"SOCK_DGRAM", 2},
    {"IPPROTO_TCP", 6},
    {"IPPROTO_UDP", 17},
    {"SOL_SOCKET", 1},
    {"SOL_TCP", 6},
    {"SOL_IP", 0},
    {"SO_REUSEADDR", 2},
    {"SO_ERROR", 4},
    {"SO_KEEPALIVE", 9},
    {"SO_LINGER", 13},
    {"SO_SNDBUF", 7},
    {"SO_RCVBUF", 8},
    {"SO_REUSEPORT", 15},
    {"SO_RCVLOWAT", 18},
    {"SO_ZEROCOPY", 60},
    {"TCP_NODELAY", 1},
    {"TCP_MAXSEG", 2},
    {"TCP_CORK", 3},
    {"TCP_KEEPIDLE", 4},
    {"TCP_KEEPINTVL", 5},
    {"TCP_KEEPCNT", 6},
    {"TCP_SYNCNT", 7},
    {"TCP_LINGER2", 8},
    {"TCP_DEFER_ACCEPT", 9},
    {"TCP_INFO", 11},
    {"TCP_QUICKACK", 12},
    {"TCP_CONGESTION", 13},
    {"TCP_MD5SIG", 14},
    {"TCP_USER_TIMEOUT", 18},
    {"TCP_FASTOPEN", 23},
    {"TCP_NOTSENT_LOWAT", 25},
    {"TCP_INQ", 36},
    {"O_RDONLY", 0},
    {"O_WRONLY", 1},
    {"O_RDWR", 2},
    {"O_NONBLOCK", 0x800},
    {"F_GETFL", 3},
    {"F_SETFL", 4},
    {"SHUT_RD", 0},
    {"SHUT_WR", 1},
    {"SHUT_RDWR", 2},
    {"POLLIN", 0x1},
    {"POLLPRI", 0x2},
    {"POLLOUT", 0x4},
    {"POLLERR", 0x8},
    {"POLLHUP", 0x10},
    {"POLLNVAL", 0x20},
    {"POLLRDNORM", 0x40},
    {"POLLWRNORM", 0x100},
    {"POLLRDHUP", 0x2000},
    {"MSG_OOB", 0x1},
    {"MSG_PEEK", 0x2},
    {"MSG_EOR", 0x80},
    {"MSG_DONTWAIT", 0x40},
    {"MSG_WAITALL", 0x100},
    {"MSG_MORE", 0x8000},
    {"MSG_NOSIGNAL", 0x4000},
    {"MSG_ERRQUEUE", 0x2000},
    {"MSG_FASTOPEN", 0x20000000},
    {"MSG_ZEROCOPY", 0x4000000},
    {"EPERM", 1},
    {"EAGAIN", 11},
    {"EWOULDBLOCK", 11},
    {"EBADF", 9},
    {"EINVAL", 22},
    {"EPIPE", 32},
    {"EADDRINUSE", 98},
    {"ECONNRESET", 104},
    {"EISCONN", 106},
    {"ENOTCONN", 107},
    {"ETIMEDOUT", 110},
    {"ECONNREFUSED", 111},
    {"EALREADY", 114},
    {"EINPROGRESS", 115},
};

constexpr int64_t kMsgZerocopy = 0x4000000, kMsgFastopen = 0x20000000, kMsgErrqueue = 0x2000;

}  // namespace

int64_t Runner::value(const Expr& e) const {
  switch (e.kind) {
    case Expr::Kind::number:
      return e.number;
    case Expr::Kind::word:
      for (auto [name, v] : kConstants) {
        if (name == e.text) return v;
      }
      throw Failure{e.pos, fmt::format("unknown symbol '{}'", e.text)};
    case Expr::Kind::bit_or: {
      int64_t v = 0;
      for (const Expr& x : e.items)
        v |= value(x);
      return v;
    }
    case Expr::Kind::list:
      if (e.items.size() == 1) return value(e.items[0]);
      break;
    case Expr::Kind::call:
      if (e.text == "htons" && e.items.size() == 1) return value(e.items[0]);
      break;
    default:
      break;
  }
  throw Failure{e.pos, "expected an integer value here"};
}

const Expr& Runner::arg(const SyscallSpec& c, size_t i) const {
  if (c.args.size() <= i)
    throw Failure{c.pos, fmt::format("{}() needs at least {} arguments", c.name, i + 1)};
  return c.args[i];
}

int Runner::fd_arg(const SyscallSpec& c, size_t i) {
  if (c.args.size() <= i)
    throw Failure{c.pos, fmt::format("{}() needs at least {} arguments", c.name, i + 1)};
  return static_cast<int>(value(c.args[i]));
}

Fd& Runner::fd_ref(const SyscallSpec& c, size_t i) {
  int fd = fd_arg(c, i);
  auto it = fds_.find(fd);
  if (it == fds_.end())
    throw Failure{c.args[i].pos, fmt::format("{}(): file descriptor {} is not open", c.name, fd)};
  return it->second;
}

// packetdrill maps the script's descriptor numbers onto the live ones: the number a script
// expects from socket() or accept() is the name it uses for that socket afterwards.
int Runner::new_fd(const SyscallSpec& c, Fd f) {
  int fd = 3;  // 0-2 are stdin, stdout, stderr
  if (c.result.kind == Expr::Kind::number && c.result.number >= 0) {
    fd = static_cast<int>(c.result.number);
    if (fds_.count(fd))
      throw Failure{c.result.pos,
                    fmt::format("{}(): file descriptor {} is already open", c.name, fd)};
  }
  while (fds_.count(fd))
    ++fd;
  fds_[fd] = std::move(f);
  return fd;
}

void Runner::check_outcome(const SyscallSpec& c, const Outcome& o, Pos pos) {
  if (c.result.kind == Expr::Kind::ellipsis) return;
  int64_t want = value(c.result);
  std::string got = o.ret == -1 ? fmt::format("-1 {}", o.err) : std::to_string(o.ret);
  std::string expected =
      want == -1 && c.errno_name ? fmt::format("-1 {}", *c.errno_name) : std::to_string(want);
  bool same = want == o.ret && (want != -1 || !c.errno_name || *c.errno_name == o.err);
  if (!same) {
    throw Failure{pos, fmt::format("{}() returned {}, expected {}", c.name, got, expected)};
  }
}

void Runner::syscall(const Event& e, const SyscallSpec& c) {
  if (pending_)
    throw Failure{c.pos, fmt::format("{}() while {}() (line {}) is still blocked: netsim drill "
                                     "runs one blocking call at a time",
                                     c.name, pending_->spec->name, pending_->spec->pos.line)};
  Instant start = event_time(e.time);
  bool blocking = c.end_usec.has_value();
  written_ = 0;  // a new write() call has copied nothing yet
  std::optional<Outcome> o = attempt(c, blocking);
  if (!blocking) {
    if (!o)
      throw Failure{c.pos, fmt::format("{}() would block; write 'start...end {}(...)' for a call "
                                       "that returns later",
                                       c.name, c.name)};
    check_outcome(c, *o, c.pos);
    return;
  }
  // packetdrill: on a relative line the end time counts from the same previous event as the
  // start ("+.1...0.2": starts 100 ms and returns 200 ms after it).
  Instant end = e.time.kind == TimeSpec::Kind::relative
                    ? last_ + Duration::microseconds(*c.end_usec)
                    : Instant::zero() + Duration::microseconds(*c.end_usec);
  pending_ = PendingCall{&c, start, end};
  if (o) finish_pending(*o);
}

void Runner::finish_pending(const Outcome& o) {
  PendingCall call = *pending_;
  pending_.reset();
  Duration tol = Duration::microseconds(tolerance_usec_);
  if (sim_.now() < call.end - tol || sim_.now() > call.end + tol) {
    throw Failure{
        call.spec->pos,
        fmt::format("{}() returned at {} s, expected at {} s (tolerance {} us)", call.spec->name,
                    format_seconds(sim_.now()), format_seconds(call.end), tolerance_usec_)};
  }
  check_outcome(*call.spec, o, call.spec->pos);
}

void Runner::poll_pending() {
  if (!pending_) return;
  if (std::optional<Outcome> o = attempt(*pending_->spec, true)) finish_pending(*o);
}

std::optional<Outcome> Runner::attempt(const SyscallSpec& c, bool may_block) {
  const std::string& n = c.name;
  if (n == "socket") {
    if (c.args.size() >= 2 && c.args[1].kind != Expr::Kind::ellipsis && value(c.args[1]) != 1)
      throw Unsupported{c.pos, "UDP and raw sockets", "socket() type other than SOCK_STREAM"};
    if (!c.args.empty() && c.args[0].kind != Expr::Kind::ellipsis && value(c.args[0]) == 10)
      throw Unsupported{c.pos, "IPv6", "AF_INET6 socket"};
    host();
    return Outcome{new_fd(c, Fd{}), {}};
  }
  if (n == "bind") {
    fd_ref(c, 0).bound_port = bind_port_;
    return Outcome{0, {}};
  }
  if (n == "listen") {
    Fd& f = fd_ref(c, 0);
    int64_t backlog = c.args.size() > 1 ? value(c.args[1]) : 128;
    Outcome o = engine().listen(f, f.bound_port.value_or(bind_port_), backlog);
    if (!o.failed()) local_port_ = f.bound_port.value_or(bind_port_);
    return o;
  }
  if (n == "accept" || n == "accept4") return do_accept(c, fd_ref(c, 0), may_block);
  if (n == "connect") return do_connect(c, fd_ref(c, 0));
  if (n == "read" || n == "recv" || n == "recvfrom") {
    if (n != "read" && c.args.size() > 3 && c.args[3].kind != Expr::Kind::ellipsis &&
        value(c.args[3]) != 0)
      throw Unsupported{c.pos, "recv() flags (MSG_PEEK, MSG_OOB, ...)", ""};
    return do_read(c, fd_ref(c, 0), static_cast<size_t>(value(arg(c, 2))), may_block);
  }
  if (n == "recvmsg" || n == "readv") {
    if (c.args.size() < 2) throw Failure{c.pos, n + "() needs its arguments"};
    return do_read(c, fd_ref(c, 0), iov_bytes(c.args[1], c.pos), may_block);
  }
  if (n == "write" || n == "send" || n == "sendto") {
    const uint32_t flags = n != "write" ? send_flags(c, 3) : 0;
    if (c.args.size() < 3) throw Failure{c.pos, n + "() needs a length"};
    return do_write(c, fd_ref(c, 0), static_cast<size_t>(value(c.args[2])), may_block, flags);
  }
  if (n == "sendmsg" || n == "writev") {
    if (c.args.size() < 2) throw Failure{c.pos, n + "() needs its arguments"};
    const uint32_t flags = n == "sendmsg" ? send_flags(c, 2) : 0;
    return do_write(c, fd_ref(c, 0), iov_bytes(c.args[1], c.pos), may_block, flags);
  }
  if (n == "close") return do_close(c, fd_arg(c, 0));
  if (n == "shutdown") return do_shutdown(c, fd_ref(c, 0));
  if (n == "setsockopt") return do_setsockopt(c, fd_ref(c, 0));
  if (n == "getsockopt") return do_getsockopt(c, fd_ref(c, 0));
  if (n == "fcntl") return do_fcntl(c, fd_ref(c, 0));
  if (n == "poll") return do_poll(c, may_block);
  if (n.rfind("epoll", 0) == 0) throw Unsupported{c.pos, "epoll", n + "()"};
  throw Unsupported{c.pos, n + "()", "system call not modelled"};
}

// The flags argument of send()/sendto()/sendmsg(): MSG_EOR and MSG_MORE are modelled
// (tcp_sendmsg_locked(), tcp_push()), MSG_DONTWAIT makes this one call non-blocking
// (sock_sndtimeo(sk, flags & MSG_DONTWAIT)), MSG_NOSIGNAL changes nothing here (drill raises
// no SIGPIPE: EPIPE is returned either way); the others are refused by name.
uint32_t Runner::send_flags(const SyscallSpec& c, size_t index) const {
  if (c.args.size() <= index || c.args[index].kind == Expr::Kind::ellipsis) return 0;
  const int64_t flags = value(c.args[index]);
  if (flags & kMsgZerocopy) throw Unsupported{c.pos, "zerocopy", "MSG_ZEROCOPY"};
  if (flags & kMsgFastopen) throw Unsupported{c.pos, "TCP Fast Open", "MSG_FASTOPEN"};
  const int64_t known = int64_t{tcp::kMsgModelled} | tcp::kMsgDontwait | tcp::kMsgNosignal;
  if (flags & ~known)
    throw Unsupported{c.pos,
                      "send() flags other than MSG_EOR, MSG_MORE, MSG_DONTWAIT and MSG_NOSIGNAL",
                      fmt::format("{:#x}", flags & ~known)};
  return static_cast<uint32_t>(flags);
}

// Bytes described by a msghdr's or a writev()'s iovecs: {..., N} entries anywhere inside.
size_t Runner::iov_bytes(const Expr& e, Pos pos) const {
  if (e.kind == Expr::Kind::assign && e.text == "msg_flags" && e.items.size() == 2 &&
      e.items[1].kind != Expr::Kind::ellipsis && (value(e.items[1]) & kMsgErrqueue))
    throw Unsupported{pos, "zerocopy", "MSG_ERRQUEUE"};
  if (e.kind == Expr::Kind::assign && e.text == "msg_control" && e.items.size() == 2 &&
      !e.items[1].items.empty())
    throw Unsupported{pos, "control messages", "msg_control (cmsg)"};
  if (e.kind == Expr::Kind::group && e.items.size() == 2 &&
      e.items[0].kind == Expr::Kind::ellipsis && e.items[1].kind == Expr::Kind::number)
    return static_cast<size_t>(e.items[1].number);
  size_t n = 0;
  for (size_t i = 0; i < e.items.size(); ++i) {
    if (e.kind == Expr::Kind::assign && i == 0) continue;  // the name side: msg_iov(1)
    n += iov_bytes(e.items[i], pos);
  }
  return n;
}

}  // namespace netsim::drill
