// The one socket-call engine behind `netsim drill` scripts and scenario `tcp_app`s: a call
// (listen, connect, accept, read, write, shutdown, close, abort, setsockopt, getsockopt, sleep)
// on one host's netsim sockets, returning what Linux returns: a value, or -1 and errno's name.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/tcp/host.hpp"
#include "protocols/tcp/sockopt.hpp"
#include "sim/simulator.hpp"

namespace netsim::sockcalls {

// A call's return value: `ret`, or -1 with the errno name ("EPIPE") in `err`. The names are
// string literals or tcp::to_string()'s: they live as long as the program (reports keep them).
struct Result {
  int64_t ret = 0;
  std::string_view err;
  static Result ok(int64_t v = 0) { return Result{v, {}}; }
  static Result error(std::string_view e) { return Result{-1, e}; }
  bool failed() const { return ret == -1; }
};

// A descriptor as the program holds it; its options are what setsockopt() stored, applied when
// connect()/listen() creates the netsim socket and on the live socket at once.
struct Socket {
  tcp::SocketId id = tcp::kNoSocket;
  bool listener = false;
  bool nonblocking = false;  // O_NONBLOCK: a call that would block fails with EAGAIN & co.
  bool write_shut = false;   // shutdown(SHUT_WR) was called
  tcp::SocketOptions opts;
};

// What the host told the program about one socket (its callbacks), which later calls report.
struct Status {
  bool connected = false;
  bool eof = false;
  bool gone = false;                                // the stack freed the socket
  tcp::SocketError error = tcp::SocketError::none;  // sk_err: the next call reports it once
  uint64_t bytes_read = 0;                          // by the program
  // A blocking write() sleeps (sk_stream_wait_memory()) until the writable notice wakes it;
  // retried before that it copies nothing, even into room a partly sent skb left.
  bool write_asleep = false;
};

// read(): the bytes a successful call returns with its count.
struct ReadResult {
  Result result;
  Payload data;
};

// setsockopt() of the options that only change tcp::SocketOptions (SOL_SOCKET SO_KEEPALIVE,
// SO_LINGER {1, 0}; SOL_TCP TCP_KEEPIDLE/KEEPINTVL/KEEPCNT/SYNCNT): one call may set several,
// as a scenario's `setsockopt: {keepalive: {...}}` does.
struct OptionChange {
  std::optional<bool> keepalive;
  std::optional<Duration> keepidle, keepintvl;
  std::optional<int64_t> keepcnt, syncnt;
  std::optional<bool> linger_zero;
};

class Engine {
 public:
  // `app` names the sockets in the trace; `then` are the program's own callbacks, called after
  // the engine has recorded each notice (a blocked call is retried from them).
  Engine(Simulator& sim, tcp::TcpHost& host, std::string app, tcp::SocketCallbacks then = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  tcp::TcpHost& host() { return host_; }
  Status& status(tcp::SocketId s) { return status_[s]; }

  // listen(): the backlog capped as __sys_listen() does (negative or above somaxconn).
  Result listen(Socket& s, uint16_t port, int64_t backlog);
  // connect(): 0 once ESTABLISHED, the pending error, EINPROGRESS/EALREADY when non-blocking;
  // nothing while a blocking connect waits.
  std::optional<Result> connect(Socket& s, SocketAddr remote,
                                std::optional<uint16_t> local_port = std::nullopt);
  // accept(): 0 and `child` filled (it inherits the listener's options); EINVAL on a socket that
  // does not listen, EAGAIN when non-blocking and the queue is empty, nothing while blocking.
  std::optional<Result> accept(Socket& listener, Socket& child);
  // read() of at most `max` bytes: the bytes, then the pending error, then 0 at the FIN or once
  // the socket is gone; ENOTCONN without a connection, EAGAIN when non-blocking. With timed
  // reads (set_timed_reads()) a read of queued bytes spans the host's syscall_cost and copy
  // time (TcpHost::start_read()): it returns nothing until on_data says it returned, and the
  // retry then gets its bytes.
  std::optional<ReadResult> read(Socket& s, size_t max);
  // Reads through the socket lock when the host's profile times socket calls: a scenario
  // tcp_app's. A drill script's calls keep their script times (docs/drill.md).
  void set_timed_reads(bool on) { timed_reads_ = on; }
  // write() as tcp_sendmsg_locked(): the pending error (ECONNRESET after a RST) first, then
  // EPIPE after shutdown or once the socket is gone, then what the send buffer takes. `done`
  // counts the bytes of `data` that earlier attempts of the same call copied (0 at first): a
  // non-blocking socket returns what was copied (partial) or EAGAIN; a blocking one returns
  // nothing until all of `data` is queued (retry on the writable notice). An error after
  // some bytes were copied returns their count and stays pending, as Linux's `do_error` path.
  // `flags`: send()'s MSG_EOR / MSG_MORE (protocols/tcp/msg_flags.hpp), on each copy.
  std::optional<Result> write(Socket& s, const Payload& data, size_t& done, uint32_t flags = 0);
  // tcp_poll()'s EPOLLOUT for a connection: a third of the send buffer free and, with
  // TCP_NOTSENT_LOWAT, fewer than half the mark unsent (__sk_stream_is_writeable(sk, 1)).
  bool writeable(const Socket& s) const;
  // sk_stream_memory_free(): a write could take more now.
  bool memory_free(const Socket& s) const;
  // shutdown(SHUT_WR or SHUT_RDWR; the caller handles SHUT_RD): ENOTCONN without a connection.
  Result shutdown(Socket& s);
  // close(): the stack's __tcp_close() (FIN, RST with unread data, SO_LINGER {1, 0}).
  void close(Socket& s);
  // close() with SO_LINGER {1, 0} forced (tcp_disconnect()): RST when the peer may hold state.
  void abort(Socket& s);
  // The modelled options (sockopt.hpp) with Linux's checks and side effects (TCP_NODELAY and
  // clearing TCP_CORK push what is queued).
  Result setsockopt(Socket& s, tcp::SockOpt opt, int64_t value);
  Result setsockopt(Socket& s, const OptionChange& change);
  // Pushes every stored option to the live socket (an accepted child taking the program's).
  void apply_options(Socket& s);
  // getsockopt(): a connected socket answers from its state, one not connected from what was
  // set (do_tcp_getsockopt(), sk_getsockopt()).
  int getsockopt(const Socket& s, tcp::SockOpt opt) const;
  // getsockopt(SO_ERROR): the pending error's errno name, "" for none; clears it.
  std::string_view take_error(const Socket& s);
  // sleep()/a timeout: `wake` runs at `deadline` (the program's blocked call is retried then).
  void sleep_until(Instant deadline, std::function<void()> wake);

 private:
  std::optional<Result> pending_error(tcp::SocketId s);
  bool below_rcvlowat(const Socket& s, size_t max);

  Simulator& sim_;
  tcp::TcpHost& host_;
  std::string app_;
  tcp::SocketCallbacks callbacks_;  // records into status_, then calls `then`
  std::map<tcp::SocketId, Status> status_;
  bool timed_reads_ = false;
};

}  // namespace netsim::sockcalls
