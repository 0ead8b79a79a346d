// The socket calls themselves (see syscalls.cpp for the dispatch): each returns an Outcome, or
// nothing when it would block and may (the runner retries it as virtual time advances).
#include <fmt/format.h>

#include <cstdint>
#include <optional>

#include "drill/runner_impl.hpp"
#include "protocols/tcp/sockopt.hpp"

namespace netsim::drill {
namespace {

std::string errno_of(tcp::SocketError e) {
  return std::string(tcp::to_string(e));
}

// `n` zero bytes; a large write stores its pattern once (Payload::periodic).
Payload zeros(size_t n) {
  if (n <= Payload::kPeriodicWindow) return Payload(std::vector<uint8_t>(n, 0));
  return Payload::periodic(std::vector<uint8_t>(Payload::kPeriodicWindow + 1, 0), 1, n);
}

// Linux's limits for the keepalive and SYN-count options (include/net/tcp.h MAX_TCP_*).
bool in_range(int64_t v, int64_t lo, int64_t hi) {
  return v >= lo && v <= hi;
}

}  // namespace

std::optional<Outcome> Runner::do_accept(const SyscallSpec& call, Fd& f, bool may_block) {
  if (!f.listener) return Outcome{-1, "EINVAL"};
  std::optional<tcp::SocketId> child = host().accept(f.id);
  if (!child) {
    if (f.nonblocking || !may_block)
      return f.nonblocking ? std::optional(Outcome{-1, "EAGAIN"}) : std::nullopt;
    return std::nullopt;
  }
  Fd c;
  c.id = *child;
  under_test_ = *child;
  return Outcome{new_fd(call, c), {}};
}

std::optional<Outcome> Runner::do_connect(const SyscallSpec&, Fd& f) {
  if (f.id == tcp::kNoSocket) {
    f.opts.auto_read = false;
    tcp::OpenResult r = host().connect(SocketAddr{remote_ip_, connect_port_}, f.bound_port, f.opts,
                                       callbacks(), "app");
    if (r.id == tcp::kNoSocket) return Outcome{-1, errno_of(r.error)};
    f.id = r.id;
    under_test_ = r.id;
    remote_port_ = connect_port_;
    local_port_ = host().stack().local_address(r.id).port;
    spaces_[remote_port_] = SeqSpace{};
    if (f.nonblocking) return Outcome{-1, "EINPROGRESS"};
  }
  SockState& s = socks_[f.id];
  if (s.error != tcp::SocketError::none) {
    tcp::SocketError e = s.error;
    s.error = tcp::SocketError::none;
    return Outcome{-1, errno_of(e)};
  }
  if (s.connected) return Outcome{0, {}};
  if (f.nonblocking) return Outcome{-1, "EALREADY"};
  return std::nullopt;
}

std::optional<Outcome> Runner::do_read(const SyscallSpec&, Fd& f, size_t n, bool may_block) {
  if (f.id == tcp::kNoSocket || f.listener) return Outcome{-1, "ENOTCONN"};
  SockState& s = socks_[f.id];
  Payload data;
  if (host().stack().exists(f.id)) data = host().read(f.id, n);
  if (!data.empty()) {
    s.bytes_read += data.size();
    return Outcome{static_cast<int64_t>(data.size()), {}};
  }
  if (s.error != tcp::SocketError::none) {
    tcp::SocketError e = s.error;
    s.error = tcp::SocketError::none;
    return Outcome{-1, errno_of(e)};
  }
  if (s.eof || s.gone) return Outcome{0, {}};
  if (f.nonblocking) return Outcome{-1, "EAGAIN"};
  (void)may_block;
  return std::nullopt;
}

Outcome Runner::do_write(const SyscallSpec& c, Fd& f, size_t n) {
  if (n > (size_t{1} << 30))
    throw Failure{c.pos,
                  fmt::format("{}() of {} bytes: netsim drill writes at most 1 GiB", c.name, n)};
  if (f.id == tcp::kNoSocket || f.listener) return Outcome{-1, "EPIPE"};
  SockState& s = socks_[f.id];
  if (s.error != tcp::SocketError::none) {
    tcp::SocketError e = s.error;
    s.error = tcp::SocketError::none;
    return Outcome{-1, errno_of(e)};
  }
  if (f.write_shut || s.gone) return Outcome{-1, "EPIPE"};
  tcp::SocketError e = host().send(f.id, zeros(n));
  if (e != tcp::SocketError::none) return Outcome{-1, errno_of(e)};
  return Outcome{static_cast<int64_t>(n), {}};
}

// The options protocols/tcp/sockopt.hpp models, with Linux's checks and side effects: stored in
// the fd's options (applied at connect()/listen()) and, on a live socket, set through the host
// (Connection::set_option(): TCP_NODELAY and clearing TCP_CORK push what is queued).
Outcome Runner::modelled_sockopt(tcp::SockOpt opt, int64_t v, Fd& f) {
  if (v < INT32_MIN || v > INT32_MAX) return Outcome{-1, "EINVAL"};
  const int value = static_cast<int>(v);
  if (tcp::store_sockopt(f.opts, opt, value) != tcp::SocketError::none) {
    return Outcome{-1, "EINVAL"};
  }
  if (f.id != tcp::kNoSocket && host().stack().exists(f.id)) {
    tcp::SocketError e = host().set_option(f.id, opt, value);
    if (e != tcp::SocketError::none) return Outcome{-1, errno_of(e)};
  }
  return Outcome{0, {}};
}

Outcome Runner::do_setsockopt(const SyscallSpec& c, Fd& f) {
  if (c.args.size() < 4) throw Failure{c.pos, "setsockopt() needs fd, level, name and value"};
  int64_t level = value(c.args[1]);
  int64_t name = value(c.args[2]);
  const Expr& v = c.args[3];
  auto int_value = [&]() { return value(v); };
  tcp::SocketOptions& o = f.opts;
  if (level == 1) {  // SOL_SOCKET
    switch (name) {
      case 2:
      case 15:
        break;  // SO_REUSEADDR / SO_REUSEPORT: netsim has no bind conflicts to relax
      case 9:
        o.keepalive.enabled = int_value() != 0;
        break;
      case 13: {  // SO_LINGER {l_onoff=1, l_linger=0}
        int64_t onoff = 0, linger = 0;
        for (const Expr& x : v.items) {
          if (x.kind == Expr::Kind::assign && x.text == "l_onoff") onoff = value(x.items[1]);
          if (x.kind == Expr::Kind::assign && x.text == "l_linger") linger = value(x.items[1]);
        }
        if (onoff && linger != 0) throw Unsupported{c.pos, "SO_LINGER with a timeout", ""};
        o.linger_zero = onoff != 0;
        break;
      }
      case 7:
        return modelled_sockopt(tcp::SockOpt::so_sndbuf, int_value(), f);
      case 8:
        return modelled_sockopt(tcp::SockOpt::so_rcvbuf, int_value(), f);
      case 60:
        throw Unsupported{c.pos, "zerocopy", "SO_ZEROCOPY"};
      default:
        throw Unsupported{c.pos, fmt::format("socket option {}", c.args[2].text), ""};
    }
  } else if (level == 6) {  // SOL_TCP / IPPROTO_TCP
    switch (name) {
      case 1:
        return modelled_sockopt(tcp::SockOpt::tcp_nodelay, int_value(), f);
      case 2:
        return modelled_sockopt(tcp::SockOpt::tcp_maxseg, int_value(), f);
      case 3:
        return modelled_sockopt(tcp::SockOpt::tcp_cork, int_value(), f);
      case 18:
        return modelled_sockopt(tcp::SockOpt::tcp_user_timeout, int_value(), f);
      case 4:
        if (!in_range(int_value(), 1, 32767)) return Outcome{-1, "EINVAL"};
        o.keepalive.idle = Duration::seconds(int_value());
        break;
      case 5:
        if (!in_range(int_value(), 1, 32767)) return Outcome{-1, "EINVAL"};
        o.keepalive.interval = Duration::seconds(int_value());
        break;
      case 6:
        if (!in_range(int_value(), 1, 127)) return Outcome{-1, "EINVAL"};
        o.keepalive.probes = static_cast<int>(int_value());
        break;
      case 7:
        if (!in_range(int_value(), 1, 127)) return Outcome{-1, "EINVAL"};
        o.syn_count = static_cast<int>(int_value());
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
  if (f.id != tcp::kNoSocket && host().stack().exists(f.id)) host().set_options(f.id, o);
  return Outcome{0, {}};
}

namespace {
// setsockopt()/getsockopt() (level, name) of the options sockopt.hpp models.
std::optional<tcp::SockOpt> modelled_option(int64_t level, int64_t name) {
  if (level == 1 && name == 7) return tcp::SockOpt::so_sndbuf;
  if (level == 1 && name == 8) return tcp::SockOpt::so_rcvbuf;
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
    default:
      return std::nullopt;
  }
}
}  // namespace

Outcome Runner::do_getsockopt(const SyscallSpec& c, Fd& f) {
  if (c.args.size() < 4) throw Failure{c.pos, "getsockopt() needs fd, level, name and value"};
  if (auto opt = modelled_option(value(c.args[1]), value(c.args[2]))) {
    // do_tcp_getsockopt() / sk_getsockopt(): a connected socket answers from its state
    // (TCP_MAXSEG is the MSS in use), one not connected yet from what was set.
    std::optional<int> got;
    if (f.id != tcp::kNoSocket) got = host().get_option(f.id, *opt);
    if (!got) got = tcp::sockopt_value(f.opts, *opt, profile_);
    if (c.args[3].kind != Expr::Kind::ellipsis && value(c.args[3]) != *got) {
      throw Failure{c.args[3].pos, fmt::format("getsockopt({}) gave {}, expected {}",
                                               c.args[2].text, *got, value(c.args[3]))};
    }
    return Outcome{0, {}};
  }
  if (value(c.args[1]) != 1 || value(c.args[2]) != 4)
    throw Unsupported{c.pos, fmt::format("getsockopt {}", c.args[2].text), ""};
  SockState& s = socks_[f.id];
  int64_t err = 0;
  if (s.error != tcp::SocketError::none) {
    Expr e;
    e.kind = Expr::Kind::word;
    e.text = errno_of(s.error);
    err = value(e);
    s.error = tcp::SocketError::none;
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
  if (f.id == tcp::kNoSocket || f.listener) return Outcome{-1, "ENOTCONN"};
  if (how == 0) throw Unsupported{c.pos, "shutdown(SHUT_RD)", ""};
  if (!f.write_shut) host().shutdown_write(f.id);
  f.write_shut = true;
  return Outcome{0, {}};
}

Outcome Runner::do_close(const SyscallSpec& c, int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return Outcome{-1, "EBADF"};
  Fd f = it->second;
  fds_.erase(it);
  (void)c;
  if (f.id != tcp::kNoSocket && host().stack().exists(f.id)) {
    if (f.opts.linger_zero) {
      host().abort(f.id);
    } else {
      host().close(f.id);
    }
  }
  return Outcome{0, {}};
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
    } else if (f.id != tcp::kNoSocket) {
      const SockState& s = socks_[f.id];
      bool alive = host().stack().exists(f.id);
      uint64_t received = alive ? host().stack().stats(f.id).bytes_received : s.bytes_read;
      if (received > s.bytes_read || s.eof) got |= 0x1 | 0x40;
      if (s.eof) got |= 0x2000;
      if (s.connected && !f.write_shut && alive) got |= 0x4 | 0x100;
      if (s.error != tcp::SocketError::none) got |= 0x8;
      if (s.gone || (s.eof && f.write_shut)) got |= 0x10;
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
      if (!pending_) sim_.schedule_at(deadline, [] {});
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
