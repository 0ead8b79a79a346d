// The socket-call engine (socket_calls.hpp): Linux's return values, errno and blocking rules
// for the calls of drill scripts and scenario tcp_apps, on top of the host's socket API
// (protocols/tcp/host.hpp). Blocking is the caller's: a call that would block returns nothing.
#include "drill/socket_calls.hpp"

#include "protocols/tcp/connection.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace netsim::sockcalls {
namespace {

// Linux's limits (include/net/tcp.h): MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (32767 s),
// MAX_TCP_KEEPCNT and MAX_TCP_SYNCNT (127).
constexpr Duration kMaxKeepTime = Duration::seconds(32767);
constexpr int64_t kMaxCount = 127;

bool keep_time_ok(Duration d) {
  return d > Duration{} && d <= kMaxKeepTime;
}

}  // namespace

Engine::Engine(Simulator& sim, tcp::TcpHost& host, std::string app, tcp::SocketCallbacks then)
    : sim_(sim), host_(host), app_(std::move(app)) {
  callbacks_.on_connected = [this, f = std::move(then.on_connected)](tcp::SocketId s) {
    status_[s].connected = true;
    status_[s].write_asleep = false;  // a write() waiting for the handshake goes on
    if (f) f(s);
  };
  callbacks_.on_accepted = [this, f = std::move(then.on_accepted)](tcp::SocketId l,
                                                                   tcp::SocketId child) {
    status_[child].connected = true;
    if (f) f(l, child);
  };
  callbacks_.on_data = std::move(then.on_data);  // the bytes stay in the stack until read()
  callbacks_.on_writable = [this, f = std::move(then.on_writable)](tcp::SocketId s) {
    status_[s].write_asleep = false;  // sk_stream_write_space() wakes the blocked write()
    if (f) f(s);
  };
  callbacks_.on_eof = [this, f = std::move(then.on_eof)](tcp::SocketId s) {
    status_[s].eof = true;
    if (f) f(s);
  };
  callbacks_.on_closed = [this, f = std::move(then.on_closed)](tcp::SocketId s,
                                                               const tcp::SocketStats& st) {
    status_[s].gone = true;
    if (f) f(s, st);
  };
  callbacks_.on_error = [this, f = std::move(then.on_error)](tcp::SocketId s, tcp::SocketError e) {
    status_[s].error = e;
    if (f) f(s, e);
  };
}

// sock_error(): the pending error is reported once, then cleared.
std::optional<Result> Engine::pending_error(tcp::SocketId s) {
  Status& st = status_[s];
  if (st.error == tcp::SocketError::none) return std::nullopt;
  tcp::SocketError e = st.error;
  st.error = tcp::SocketError::none;
  return Result::error(tcp::to_string(e));
}

Result Engine::listen(Socket& s, uint16_t port, int64_t backlog) {
  // __sys_listen() compares the backlog as unsigned: a negative one means somaxconn.
  int somaxconn = host_.stack().profile().somaxconn;
  int b = backlog < 0 || backlog > somaxconn ? somaxconn : static_cast<int>(backlog);
  s.opts.auto_read = false;  // the program reads with read()
  tcp::OpenResult r = host_.listen(port, b, s.opts, callbacks_, app_);
  if (r.id == tcp::kNoSocket) return Result::error(tcp::to_string(r.error));
  s.id = r.id;
  s.listener = true;
  return Result::ok();
}

std::optional<Result> Engine::connect(Socket& s, SocketAddr remote,
                                      std::optional<uint16_t> local_port) {
  if (s.id == tcp::kNoSocket) {
    s.opts.auto_read = false;
    tcp::OpenResult r = host_.connect(remote, local_port, s.opts, callbacks_, app_);
    if (r.id == tcp::kNoSocket) return Result::error(tcp::to_string(r.error));
    s.id = r.id;
    if (s.nonblocking) return Result::error("EINPROGRESS");
  }
  if (auto e = pending_error(s.id)) return e;
  if (status_[s.id].connected) return Result::ok();
  if (s.nonblocking) return Result::error("EALREADY");
  return std::nullopt;
}

std::optional<Result> Engine::accept(Socket& listener, Socket& child) {
  if (!listener.listener) return Result::error("EINVAL");
  std::optional<tcp::SocketId> id = host_.accept(listener.id);
  if (!id) {
    if (listener.nonblocking) return Result::error("EAGAIN");
    return std::nullopt;
  }
  child = Socket{};
  child.id = *id;
  child.opts = listener.opts;
  return Result::ok();
}

std::optional<ReadResult> Engine::read(Socket& s, size_t max) {
  if (s.id == tcp::kNoSocket || s.listener) return ReadResult{Result::error("ENOTCONN"), {}};
  Status& st = status_[s.id];
  if (below_rcvlowat(s, max)) return std::nullopt;
  Payload data;
  if (timed_reads_ && max > 0 && host_.timed_syscalls()) {
    if (std::optional<Payload> got = host_.take_read_result(s.id)) {
      data = std::move(*got);
    } else if (host_.reading(s.id)) {
      return std::nullopt;  // inside the call: it returns with on_data
    } else if (const tcp::Connection* c = host_.stack().connection(s.id);
               c != nullptr && c->readable() > 0) {
      host_.start_read(s.id, max);
      return std::nullopt;
    }
  } else if (max > 0 && host_.stack().exists(s.id)) {
    data = host_.read(s.id, max);
  }
  if (!data.empty()) {
    st.bytes_read += data.size();
    auto n = static_cast<int64_t>(data.size());
    return ReadResult{Result::ok(n), std::move(data)};
  }
  if (auto e = pending_error(s.id)) return ReadResult{*e, {}};
  if (st.eof || st.gone || max == 0) return ReadResult{Result::ok(0), {}};
  if (s.nonblocking) return ReadResult{Result::error("EAGAIN"), {}};
  return std::nullopt;
}

// tcp_recvmsg_locked(): a blocking read sleeps (sk_wait_data()) until its target,
// min(SO_RCVLOWAT, len) (sock_rcvlowat()), is there, unless the FIN or an error came first;
// the wakeup (tcp_data_ready()) comes only when SO_RCVLOWAT bytes are queued. netsim waits
// before copying where Linux copies what is queued and then sleeps for the rest.
bool Engine::below_rcvlowat(const Socket& s, size_t max) {
  const tcp::Connection* c = host_.stack().connection(s.id);
  const Status& st = status_[s.id];
  if (c == nullptr || s.nonblocking || max == 0 || st.eof || st.error != tcp::SocketError::none)
    return false;
  const auto lowat = static_cast<size_t>(c->get_option(tcp::SockOpt::so_rcvlowat));
  return c->readable() > 0 && c->readable() < std::min(lowat, max);
}

std::optional<Result> Engine::write(Socket& s, const Payload& data, size_t& done, uint32_t flags) {
  // O_NONBLOCK, or MSG_DONTWAIT for this call alone (sock_sndtimeo(sk, flags & MSG_DONTWAIT)).
  const bool nonblocking = s.nonblocking || (flags & tcp::kMsgDontwait) != 0;
  const auto copied = [&done] { return Result::ok(static_cast<int64_t>(done)); };
  if (s.id == tcp::kNoSocket || s.listener) return Result::error("EPIPE");
  Status& st = status_[s.id];
  const bool asleep = std::exchange(st.write_asleep, false);  // set again if it sleeps on
  // tcp_sendmsg_locked()'s do_error: bytes already copied are returned; sk_err stays for the
  // next call.
  if (st.error != tcp::SocketError::none && done > 0) return copied();
  if (auto e = pending_error(s.id)) return *e;
  if (s.write_shut || st.gone || !host_.stack().exists(s.id)) {
    return done > 0 ? copied() : Result::error("EPIPE");
  }
  if (asleep) {
    st.write_asleep = true;
    return std::nullopt;
  }
  while (done < data.size()) {
    tcp::SendResult r =
        host_.write(s.id, data.slice(done, data.size() - done), flags & tcp::kMsgModelled);
    if (r.error != tcp::SocketError::none) {
      return done > 0 ? copied() : Result::error(tcp::to_string(r.error));
    }
    done += r.accepted;
    // sk_stream_wait_memory(): a blocking writer whose push made room (the unsent bytes fell
    // below TCP_NOTSENT_LOWAT) copies on without sleeping.
    if (nonblocking || r.accepted == 0 || !memory_free(s)) break;
  }
  if (done == data.size()) return copied();
  // sk_stream_wait_memory(): a non-blocking writer leaves with what it copied, or EAGAIN.
  if (nonblocking) return done > 0 ? copied() : Result::error("EAGAIN");
  st.write_asleep = true;
  return std::nullopt;
}

bool Engine::memory_free(const Socket& s) const {
  const tcp::Connection* c = s.id != tcp::kNoSocket ? host_.stack().connection(s.id) : nullptr;
  return c != nullptr && c->stream_memory_free();
}

bool Engine::writeable(const Socket& s) const {
  const tcp::Connection* c = s.id != tcp::kNoSocket ? host_.stack().connection(s.id) : nullptr;
  return c != nullptr && c->writeable();
}

Result Engine::shutdown(Socket& s) {
  if (s.id == tcp::kNoSocket || s.listener) return Result::error("ENOTCONN");
  if (!s.write_shut && host_.stack().exists(s.id)) host_.shutdown_write(s.id);
  s.write_shut = true;
  return Result::ok();
}

void Engine::close(Socket& s) {
  if (s.id != tcp::kNoSocket && host_.stack().exists(s.id)) host_.close(s.id);
  s.id = tcp::kNoSocket;
}

void Engine::abort(Socket& s) {
  if (s.id != tcp::kNoSocket && host_.stack().exists(s.id)) host_.abort(s.id);
  s.id = tcp::kNoSocket;
}

Result Engine::setsockopt(Socket& s, tcp::SockOpt opt, int64_t v) {
  if (v < INT32_MIN || v > INT32_MAX) return Result::error("EINVAL");
  const int value = static_cast<int>(v);
  if (tcp::store_sockopt(s.opts, opt, value, host_.stack().profile()) != tcp::SocketError::none) {
    return Result::error("EINVAL");
  }
  if (s.id != tcp::kNoSocket && host_.stack().exists(s.id)) {
    tcp::SocketError e = host_.set_option(s.id, opt, value);
    if (e != tcp::SocketError::none) return Result::error(tcp::to_string(e));
  }
  return Result::ok();
}

// do_tcp_setsockopt() checks each value before storing any; one call here sets all or none.
Result Engine::setsockopt(Socket& s, const OptionChange& c) {
  if ((c.keepidle && !keep_time_ok(*c.keepidle)) || (c.keepintvl && !keep_time_ok(*c.keepintvl)) ||
      (c.keepcnt && (*c.keepcnt < 1 || *c.keepcnt > kMaxCount)) ||
      (c.syncnt && (*c.syncnt < 1 || *c.syncnt > kMaxCount))) {
    return Result::error("EINVAL");
  }
  tcp::SocketOptions& o = s.opts;
  if (c.keepalive) o.keepalive.enabled = *c.keepalive;
  if (c.keepidle) o.keepalive.idle = *c.keepidle;
  if (c.keepintvl) o.keepalive.interval = *c.keepintvl;
  if (c.keepcnt) o.keepalive.probes = static_cast<int>(*c.keepcnt);
  if (c.syncnt) o.syn_count = static_cast<int>(*c.syncnt);
  if (c.linger_zero) o.linger_zero = *c.linger_zero;
  apply_options(s);
  return Result::ok();
}

void Engine::apply_options(Socket& s) {
  s.opts.auto_read = false;  // the program reads with read(), whatever options it copied
  if (s.id != tcp::kNoSocket && host_.stack().exists(s.id)) host_.set_options(s.id, s.opts);
}

int Engine::getsockopt(const Socket& s, tcp::SockOpt opt) const {
  std::optional<int> got;
  if (s.id != tcp::kNoSocket) got = host_.get_option(s.id, opt);
  return got ? *got : tcp::sockopt_value(s.opts, opt, host_.stack().profile());
}

std::string_view Engine::take_error(const Socket& s) {
  if (s.id == tcp::kNoSocket) return {};
  std::optional<Result> e = pending_error(s.id);
  return e ? e->err : std::string_view{};
}

void Engine::sleep_until(Instant deadline, std::function<void()> wake) {
  sim_.schedule_at(deadline, std::move(wake));
}

}  // namespace netsim::sockcalls
