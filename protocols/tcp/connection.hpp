// One TCP connection (a TCB, RFC 9293 §3.3.1) as a sans-IO state machine: segments, timers and
// application commands go in with `now`; segments, notices, trace notes come out in an Outbox,
// and next_deadline() says when it wants to be woken. The Stack (stack.hpp) owns connections,
// demultiplexes segments to them and creates passive ones from its listeners' SYN queues.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "protocols/tcp/io.hpp"
#include "protocols/tcp/msg_flags.hpp"
#include "protocols/tcp/profile.hpp"
#include "protocols/tcp/rcv_window.hpp"
#include "protocols/tcp/sockopt.hpp"
#include "protocols/tcp/state.hpp"
#include "sim/packet.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

struct ConnKey {
  SocketAddr local, remote;
  bool operator==(const ConnKey&) const = default;
  std::string to_string() const;  // "10.0.0.1:7500>10.0.0.2:20000"
};
struct ConnKeyHash {
  size_t operator()(const ConnKey& k) const {
    uint64_t a = (uint64_t{k.local.addr.value} << 16) | k.local.port;
    uint64_t b = (uint64_t{k.remote.addr.value} << 16) | k.remote.port;
    uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL + (a << 6) + (a >> 2));
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

class TimerWheel;

// What a connection borrows from its stack. The profile and counters outlive the connection.
struct ConnContext {
  const Profile* profile = nullptr;
  Counters* counters = nullptr;
  TimerWheel* wheel = nullptr;  // the host's timer wheel when `timer_wheel` is on (timer_wheel.hpp)
};

// Facts a listener learned in the handshake, handed to a passively opened connection.
struct Handshake {
  SeqNum iss;                // our SYN-ACK's sequence number
  SeqNum irs;                // the peer's SYN sequence number
  uint16_t peer_mss = 536;   // TCP_MSS_DEFAULT when the SYN carried no MSS option
  uint16_t peer_window = 0;  // window field of the segment that completed the handshake
  // req->num_retrans (SYN-ACKs resent: Karn takes no sample; total_retrans of the child) and
  // req->num_timeout != 0 (the child's undo_marker, with synack_sent its retrans_stamp).
  uint8_t synack_retrans = 0;
  bool synack_timed_out = false;
  Instant synack_sent;                 // the first SYN-ACK (treq->snt_synack)
  std::optional<Duration> rtt_sample;  // SYN-ACK to ACK time when not retransmitted (Karn)
  uint32_t ack_tsecr = 0;  // the final ACK's TSecr (0: none), for an RTT when Karn gives none
  // Options the SYN offered that our profile allows too (SynOpt bits; the peer's shift in the
  // high nibble), and the peer's latest TSval (the final ACK's, else the SYN's).
  uint8_t syn_opts = 0;
  uint32_t ts_recent = 0;
  uint32_t ts_off = 0;  // our TSval offset towards the peer (ts_offset(), secure_tcp_ts_off())
};

// The options a SYN offered that the profile allows, packed in a byte (a request keeps it).
enum SynOpt : uint8_t { kSynTs = 1, kSynSack = 2, kSynWs = 4 };
uint8_t allowed_syn_options(const Profile& p, const TcpOptions& syn);
// tcp_select_initial_window(): our window shift, from the largest receive buffer (tcp_rmem[2]:
// 7 for 6 MiB).
uint8_t our_wscale(const Profile& p);
// The receive-window sysctls of a profile (tcp_rmem, rmem_max, tcp_window_scaling).
RcvWindowConfig rcv_window_config(const Profile& p);
// tcp_connect_init(): the SYN's window, shift and clamp for a socket with options `o`
// (SO_RCVBUF locks the buffer, TCP_MAXSEG clamps the MSS it is rounded to).
InitialWindow syn_rcv_window(const Profile& p, const SocketOptions& o);
// tcp_openreq_init_rwin(): the SYN-ACK's, from the listener's options and the SynOpt bits of
// the SYN (65160 with timestamps, 64240 without).
InitialWindow synack_rcv_window(const Profile& p, const SocketOptions& o, uint8_t syn_opts);

struct TcpInfo;

class Connection {
 public:
  Connection(SocketId id, ConnKey key, const SocketOptions& opts, ConnContext ctx);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Active open: CLOSED -> SYN_SENT; the SYN goes into `out`.
  // `ts_off`: the TSval offset towards the peer (tp->tsoffset, the stack's ts_offset()).
  void open_active(Instant now, SeqNum iss, Outbox& out, uint32_t ts_off = 0);
  // Passive open completed by a listener (final ACK of a SYN-queue request, or a valid SYN
  // cookie): the connection starts in ESTABLISHED; `from` is the state traced as left
  // (SYN_RECEIVED for a request, LISTEN for a cookie) with `cause`.
  void open_passive(Instant now, const Handshake& hs, State from, StateCause cause, Outbox& out);

  void on_segment(Instant now, const Segment& seg, Outbox& out);
  void on_timer(Instant now, Outbox& out);
  std::optional<Instant> next_deadline() const;
  // One of this connection's tagged segments left its first hop at `done` (io.hpp TxReport):
  // the TX completion that autocorking and TCP Small Queues wait for (connection_tsq.cpp).
  void tx_reported(Instant now, const TxReport& r, Outbox& out);

  // The unbounded write: everything is queued at once, whatever the send buffer holds.
  // `flags`: send()'s MSG_EOR / MSG_MORE (msg_flags.hpp), as tcp_sendmsg_locked() takes them.
  SocketError send(Instant now, Payload data, Outbox& out, uint32_t flags = 0);
  // The bounded write (tcp_sendmsg_locked()): what the send buffer takes of `data` (a partial
  // count, 0 = EAGAIN); once it filled, a `writable` notice follows when ACKs free a third.
  // With `slice` the syscall spans time: one step of its copy loop (io.hpp WriteSlice).
  SendResult write(Instant now, Payload data, Outbox& out, uint32_t flags = 0,
                   WriteSlice* slice = nullptr);
  // tcp_poll()'s EPOLLOUT: __sk_stream_is_writeable().
  bool writeable() const;
  // sk_stream_memory_free(): a write could add an skb now. A blocking writer whose write
  // was partial writes again while it holds (sk_stream_wait_memory() does not sleep).
  bool stream_memory_free() const;
  Payload read(Instant now, size_t max_bytes, Outbox& out);
  size_t readable() const;  // in-order bytes in the receive queue (auto_read off): tcp_inq()
  // An auto-reading application's read() size (SocketOptions::read_size, or kAutoReadSize).
  uint32_t auto_read_size() const;
  // tcp_cleanup_rbuf() at the end of a read that spanned time (the socket lock): the ACK the
  // input held back while the data sat unread goes now. `copied`: the bytes an auto-reading
  // application's read copied, which leave the receive queue only now (its window and DRS).
  void cleanup_rbuf(Instant now, Outbox& out, uint64_t copied = 0);
  // tcp_epollin_ready(sk, sk_rcvlowat): a reader would be woken (SO_RCVLOWAT).
  bool epollin_ready() const;
  void shutdown_write(Instant now, Outbox& out);
  void close(Instant now, Outbox& out);
  void abort(Instant now, Outbox& out);
  // Enabling keepalive arms it `idle` from `now` (tcp_set_keepalive()). There is no overload
  // without the time: one that used the latest time seen armed timers in the past (fuzz_tcp).
  void set_options(Instant now, const SocketOptions& opts);
  // setsockopt(): one option with Linux's semantics (docs/socket-options.md). EINVAL for a value
  // Linux refuses. TCP_NODELAY on and TCP_CORK off push what is queued into `out`.
  SocketError set_option(Instant now, SockOpt opt, int value, Outbox& out);
  // getsockopt(): TCP_MAXSEG is the current send MSS (the clamp before the connection exists),
  // SO_RCVBUF/SO_SNDBUF the buffer sizes in use (doubled when set), the rest as set.
  int get_option(SockOpt opt) const;

  // TIME_WAIT reuse (Linux tcp_timewait_state_process() -> TCP_TW_SYN): a SYN with a sequence
  // number above what this incarnation received, or with a newer timestamp, may open a new
  // connection on the same 4-tuple; its ISN is then tw_isn().
  bool syn_may_reuse(const Segment& syn, Instant now) const;
  // tw_snd_nxt + 65535 + 2 (never 0): above every sequence number this incarnation used
  // (RFC 1122 4.2.2.13 (1)); tcp_conn_request() takes it instead of a random ISN.
  uint32_t tw_isn() const;
  // The stack hands the SYN to a listener (TCP_TW_SYN): TIME_WAIT -> CLOSED through the
  // transition table, traced; the stack reports `closed` and frees the connection.
  void retire_time_wait(Outbox& out);

  SocketId id() const;
  const ConnKey& key() const;
  // The listener whose accept queue holds this child, kNoSocket once accepted (or for an
  // active open): the Stack's bookkeeping, kept in the TCB's padding.
  SocketId listener() const;
  void set_listener(SocketId l);
  State state() const;
  SocketStats stats() const;
  bool orphaned() const;  // the application closed it; it lives on for the protocol only
  bool released() const;  // reached CLOSED: the stack may free it
  // For property tests and fuzzers: SND.UNA <= SND.NXT, buffer accounting, window bounds.
  bool check_invariants(std::string* why) const;

 private:
  friend TcpInfo tcp_info(const Connection& c, Instant now);  // tcp_info.hpp
  struct Tcb;
  std::unique_ptr<Tcb> tcb_;
};

}  // namespace netsim::tcp
