// The socket calls of a script (see syscalls.cpp for the dispatch): the script's arguments and
// descriptors turned into calls of the socket-call engine (socket_calls.hpp), which tcp_apps
// share. Each returns an Outcome, or nothing while it blocks (retried as virtual time advances).
#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include "drill/runner_impl.hpp"
#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/sockopt.hpp"

namespace netsim::drill {
namespace {

// `n` zero bytes; a large write stores its pattern once (Payload::periodic).
Payload zeros(size_t n) {
  if (n <= Payload::kPeriodicWindow) return Payload(std::vector<uint8_t>(n, 0));
  return Payload::periodic(std::vector<uint8_t>(Payload::kPeriodicWindow + 1, 0), 1, n);
}

}  // namespace

std::optional<Outcome> Runner::do_accept(const SyscallSpec& call, Fd& f, bool) {
  Fd child;
  std::optional<Outcome> o = engine().accept(f, child);
  if (!o || o->failed()) return o;
  under_test_ = child.id;
  return Outcome::ok(new_fd(call, child));
}

std::optional<Outcome> Runner::do_connect(const SyscallSpec&, Fd& f) {
  bool opening = f.id == tcp::kNoSocket;
  std::optional<Outcome> o =
      engine().connect(f, SocketAddr{remote_ip_, connect_port_}, f.bound_port);
  if (opening && f.id != tcp::kNoSocket) {
    under_test_ = f.id;
    remote_port_ = connect_port_;
    local_port_ = host().stack().local_address(f.id).port;
    spaces_[remote_port_] = SeqSpace{};
  }
  return o;
}

std::optional<Outcome> Runner::do_read(const SyscallSpec&, Fd& f, size_t n, bool) {
  std::optional<sockcalls::ReadResult> r = engine().read(f, n);
  if (!r) return std::nullopt;
  return r->result;
}

// tcp_sendmsg(): a blocking write returns once all is queued (it may wait for ACKs to free the
// send buffer); a non-blocking one returns what fitted, or EAGAIN.
std::optional<Outcome> Runner::do_write(const SyscallSpec& c, Fd& f, size_t n, bool may_block,
                                        uint32_t flags) {
  if (n > (size_t{1} << 30))
    throw Failure{c.pos,
                  fmt::format("{}() of {} bytes: netsim drill writes at most 1 GiB", c.name, n)};
  std::optional<Outcome> o = engine().write(f, zeros(n), written_, flags);
  if (!o && !may_block) {
    const tcp::Connection* conn = host().stack().connection(f.id);
    throw Failure{
        c.pos, fmt::format("{}() would block: the send buffer (sk_sndbuf {}) took {} of {} "
                           "bytes; write 'start...end {}(...)' for a call that returns later",
                           c.name, conn ? conn->get_option(tcp::SockOpt::so_sndbuf) : 0, written_,
                           n, c.name)};
  }
  return o;
}

namespace {
// setsockopt()/getsockopt() (level, name) of the options sockopt.hpp models.
std::optional<tcp::SockOpt> modelled_option(int64_t level, int64_t name) {
  if (level == 1 && name == 7) return tcp::SockOpt::so_sndbuf;
  if (level == 1 && name == 8) return tcp::SockOpt::so_rcvbuf;
  if (level == 1 && name == 18) return tcp::SockOpt::so_rcvlowat;
  if (level != 6) return std::nullopt;
  switch (name) {
    case 1:
      return tcp::SockOpt::tcp_nodelay;
    case 2:
      return tcp::SockOpt::tcp_maxseg;
    case 3:
      return tcp::SockOpt::tcp_cork;
    case 18:
      return tcp::SockOpt::tcp_user_timeout;
    case 25:
      return tcp::SockOpt::tcp_notsent_lowat;
    default:
      return std::nullopt;
  }
}
// A keepalive time in seconds as TCP_KEEPIDLE/TCP_KEEPINTVL take it; outside Linux's range it
// becomes zero, which the engine refuses with EINVAL.
Duration keep_seconds(int64_t v) {
  return v >= 1 && v <= 32767 ? Duration::seconds(v) : Duration{};
}
}  // namespace

Outcome Runner::do_setsockopt(const SyscallSpec& c, Fd& f) {
  if (c.args.size() < 4) throw Failure{c.pos, "setsockopt() needs fd, level, name and value"};
  int64_t level = value(c.args[1]);
  int64_t name = value(c.args[2]);
  const Expr& v = c.args[3];
  if (auto opt = modelled_option(level, name)) return engine().setsockopt(f, *opt, value(v));
  sockcalls::OptionChange change;
  if (level == 1) {  // SOL_SOCKET
    switch (name) {
      case 2:
      case 15:
        return Outcome::ok();  // SO_REUSEADDR / SO_REUSEPORT: netsim has no bind conflicts
      case 9:
        change.keepalive = value(v) != 0;
        break;
      case 13: {  // SO_LINGER {l_onoff=1, l_linger=0}
        int64_t onoff = 0, linger = 0;
        for (const Expr& x : v.items) {
          if (x.kind == Expr::Kind::assign && x.text == "l_onoff") onoff = value(x.items[1]);
          if (x.kind == Expr::Kind::assign && x.text == "l_linger") linger = value(x.items[1]);
        }
        if (onoff && linger != 0) throw Unsupported{c.pos, "SO_LINGER with a timeout", ""};
        change.linger_zero = onoff != 0;
        break;
      }
      case 60:
        throw Unsupported{c.pos, "zerocopy", "SO_ZEROCOPY"};
      default:
        throw Unsupported{c.pos, fmt::format("socket option {}", c.args[2].text), ""};
    }
  } else if (level == 6) {  // SOL_TCP / IPPROTO_TCP
    switch (name) {
      case 4:
        change.keepidle = keep_seconds(value(v));
        break;
      case 5:
        change.keepintvl = keep_seconds(value(v));
        break;
      case 6:
        change.keepcnt = value(v);
        break;
      case 7:
        change.syncnt = value(v);
        break;
      case 14:
        throw Unsupported{c.pos, "TCP MD5", "TCP_MD5SIG"};
      case 23:
        throw Unsupported{c.pos, "TCP Fast Open", "TCP_FASTOPEN"};
      case 36:
        throw Unsupported{c.pos, "TCP_INQ", ""};
      default:
        throw Unsupported{c.pos, fmt::format("TCP option {}", c.args[2].text), ""};
    }
  } else {
    throw Unsupported{c.pos, fmt::format("socket option level {}", c.args[1].text), ""};
  }
  return engine().setsockopt(f, change);
}

Outcome Runner::do_getsockopt(const SyscallSpec& c, Fd& f) {
  if (c.args.size() < 4) throw Failure{c.pos, "getsockopt() needs fd, level, name and value"};
  if (auto opt = modelled_option(value(c.args[1]), value(c.args[2]))) {
    // do_tcp_getsockopt() / sk_getsockopt(): a connected socket answers from its state
    // (TCP_MAXSEG is the MSS in use), one not connected yet from what was set.
    int got = engine().getsockopt(f, *opt);
    if (c.args[3].kind != Expr::Kind::ellipsis && value(c.args[3]) != got) {
      throw Failure{c.args[3].pos, fmt::format("getsockopt({}) gave {}, expected {}",
                                               c.args[2].text, got, value(c.args[3]))};
    }
    return Outcome{0, {}};
  }
  if (value(c.args[1]) != 1 || value(c.args[2]) != 4)
    throw Unsupported{c.pos, fmt::format("getsockopt {}", c.args[2].text), ""};
  int64_t err = 0;
  if (std::string_view name = engine().take_error(f); !name.empty()) {
    Expr e;
    e.kind = Expr::Kind::word;
    e.text = std::string(name);
    err = value(e);
  }
  if (c.args[3].kind != Expr::Kind::ellipsis && value(c.args[3]) != err)
    throw Failure{c.args[3].pos,
                  fmt::format("getsockopt(SO_ERROR) gave {}, expected {}", err, value(c.args[3]))};
  return Outcome{0, {}};
}

Outcome Runner::do_fcntl(const SyscallSpec& c, Fd& f) {
  int64_t cmd = value(arg(c, 1));
  if (cmd == 3) return Outcome{2 | (f.nonblocking ? 0x800 : 0), {}};  // F_GETFL: O_RDWR
  if (cmd == 4) {
    f.nonblocking = (value(arg(c, 2)) & 0x800) != 0;
    return Outcome{0, {}};
  }
  throw Unsupported{c.pos, fmt::format("fcntl {}", c.args[1].text), ""};
}

Outcome Runner::do_shutdown(const SyscallSpec& c, Fd& f) {
  int64_t how = value(arg(c, 1));
  if (how == 0) throw Unsupported{c.pos, "shutdown(SHUT_RD)", ""};
  return engine().shutdown(f);
}

Outcome Runner::do_close(const SyscallSpec& c, int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return Outcome{-1, "EBADF"};
  Fd f = it->second;
  fds_.erase(it);
  (void)c;
  engine().close(f);
  return Outcome::ok();
}

// Linux's tcp_poll(): HUP once both directions are shut or the socket is closed (a fresh one
// too); RCV_SHUTDOWN (the FIN, or tcp_done()) makes it readable with RDHUP; after
// shutdown(SHUT_WR) writes do not block (they fail), so POLLOUT stays; nothing but HUP and ERR
// while the SYN is unanswered.
int64_t Runner::tcp_poll(const Fd& f) {
  constexpr int64_t kIn = 0x1 | 0x40, kOut = 0x4 | 0x100, kErr = 0x8, kHup = 0x10, kRdHup = 0x2000;
  if (f.id == tcp::kNoSocket) return kOut | kHup;  // TCP_CLOSE, nothing to send
  const sockcalls::Status& s = engine().status(f.id);
  bool alive = host().stack().exists(f.id);
  bool rcv_shut = s.eof || s.gone;
  bool snd_shut = f.write_shut || s.gone;
  int64_t got = 0;
  if ((rcv_shut && snd_shut) || s.gone) got |= kHup;
  if (rcv_shut) got |= kIn | kRdHup;
  if (s.connected || s.gone) {  // not SYN_SENT
    uint64_t received = alive ? host().stack().stats(f.id).bytes_received : s.bytes_read;
    if (received > s.bytes_read) got |= kIn;
    // tcp_poll(): EPOLLOUT once a third of the send buffer is free and the unsent bytes are
    // below half of TCP_NOTSENT_LOWAT (__sk_stream_is_writeable(sk, 1)).
    if (snd_shut || (alive && engine().writeable(f))) got |= kOut;
  }
  if (s.error != tcp::SocketError::none) got |= kErr;
  return got;
}

std::optional<Outcome> Runner::do_poll(const SyscallSpec& c, bool may_block) {
  if (c.args.size() < 3 || c.args[0].kind != Expr::Kind::list)
    throw Failure{c.pos, "poll() needs [{fd=..., events=..., revents=...}], nfds, timeout"};
  int64_t ready = 0;
  std::vector<std::pair<const Expr*, int64_t>> checks;
  for (const Expr& pfd : c.args[0].items) {
    int64_t fd = -1, events = 0;
    const Expr* revents = nullptr;
    for (const Expr& x : pfd.items) {
      if (x.kind != Expr::Kind::assign) continue;
      if (x.text == "fd") fd = value(x.items[1]);
      if (x.text == "events") events = value(x.items[1]);
      if (x.text == "revents") revents = &x.items[1];
    }
    int64_t got = 0;
    auto it = fds_.find(static_cast<int>(fd));
    if (it == fds_.end()) {
      got = 0x20;  // POLLNVAL
    } else if (const Fd& f = it->second; f.listener) {
      if (host().stack().accept_queue_length(f.id) > 0) got |= 0x1 | 0x40;
    } else {
      got = tcp_poll(f);
    }
    got &= events | 0x8 | 0x10 | 0x20;
    if (got) ++ready;
    checks.emplace_back(revents, got);
  }
  int64_t timeout = value(c.args[2]);
  if (ready == 0 && timeout != 0 && may_block) {
    if (timeout < 0) return std::nullopt;  // waits for an event, however long
    // The timeout in milliseconds: an empty simulator event wakes the runner then.
    Instant started = pending_ ? pending_->started : sim_.now();
    Instant deadline = started + Duration::milliseconds(std::min<int64_t>(timeout, 1'000'000'000));
    if (sim_.now() < deadline) {
      if (!pending_) engine().sleep_until(deadline, [] {});  // wakes the runner then
      return std::nullopt;
    }
    ready = 0;
  }
  for (auto [expr, got] : checks) {
    if (expr && expr->kind != Expr::Kind::ellipsis && value(*expr) != got)
      throw Failure{expr->pos,
                    fmt::format("poll() revents {:#x}, expected {:#x}", got, value(*expr))};
  }
  return Outcome{ready, {}};
}

}  // namespace netsim::drill
