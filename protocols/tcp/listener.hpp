// Listening sockets of one Stack: the SYN queue (request entries in SYN_RECEIVED, each with its
// own SYN-ACK retransmission timer), SYN cookies, the accept queue and the LISTEN-state input
// rules (Linux tcp_conn_request(), tcp_check_req(), reqsk_timer_handler()). It never creates a
// Connection: a completed handshake comes back as a PassiveOpen for the Stack to instantiate.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/io.hpp"
#include "protocols/tcp/profile.hpp"
#include "protocols/tcp/syncookie.hpp"
#include "protocols/tcp/timestamps.hpp"
#include "sim/packet.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// A SYN-queue entry (Linux: a request sock, "mini socket"). Kept small on purpose: a SYN flood
// without cookies fills the queue with these, never with full Connections.
struct Request {
  SocketId listener = kNoSocket;
  SeqNum iss;                           // our SYN-ACK's sequence number
  SeqNum irs;                           // the client's SYN sequence number
  uint32_t ts_recent = 0;               // the SYN's TSval, echoed by the SYN-ACK (kSynTs)
  Instant synack_sent;                  // first SYN-ACK: RTT sample if never retransmitted
  uint64_t timer_seq = UINT64_MAX;      // the live entry in the listener's timer FIFOs
  std::optional<Instant> last_oow_ack;  // tcp_oow_rate_limited() state
  uint16_t peer_mss = 536;              // TCP_MSS_DEFAULT when the SYN had no MSS option
  uint8_t num_timeout = 0;              // timer expiries so far (drives the backoff)
  uint8_t num_retrans = 0;              // SYN-ACK retransmissions, timer- or SYN-driven
  bool acked = false;                   // final ACK dropped because the accept queue was full
  uint8_t fifo = 0;                     // the listener's timer FIFO holding the live entry
  uint8_t syn_opts = 0;                 // allowed_syn_options() of the SYN (ireq bits)
};

struct RequestTimer {
  Instant deadline;
  uint64_t seq = 0;  // arming order: breaks ties between equal deadlines
  ConnKey key;
  bool operator<(const RequestTimer& o) const {
    return deadline < o.deadline || (deadline == o.deadline && seq < o.seq);
  }
};

// The SYN-ACK timers of one listener. A request is always armed at now + a delay that depends
// only on its retransmission count (reqsk_timeout(): TCP_TIMEOUT_INIT << num_timeout, capped),
// and `now` never goes back, so the entries armed with one delay are already in deadline order:
// one FIFO per delay gives O(1) arming and expiry, where one ordered set cost O(log n) with a
// cache miss per level (a 1M-SYN flood keeps ~630k requests). Re-arming or removing a request
// leaves its old entry behind; an entry is live only while its seq is the request's timer_seq,
// and dead entries are dropped when they reach the head of their FIFO (every FIFO head is live
// after each operation, so next_deadline() is exact; only the FIFO whose head just died is
// looked at, so arming costs no lookup of the other heads).
struct RequestTimers {
  struct Fifo {
    Duration delay;
    bool softirq = false;  // armed from the timer handler (TimerWheel::running)
    std::deque<RequestTimer> entries;
  };
  std::vector<Fifo> fifos;  // a handful: one per distinct delay (1, 2, 4, ... s)
  size_t live = 0;          // armed requests

  bool empty() const { return live == 0; }
  std::optional<Instant> next_deadline() const;
};

struct Listener {
  SocketId id = kNoSocket;
  uint16_t port = 0;
  uint32_t backlog = 0;  // sk_max_ack_backlog: bounds both queues
  SocketOptions opts;
  uint32_t qlen = 0;   // requests in the SYN queue
  uint32_t young = 0;  // requests whose timer has not fired yet (reqsk_queue_len_young())
  std::deque<SocketId> accept_queue;
  RequestTimers timers;                  // every request of this listener, by deadline
  std::optional<Instant> last_overflow;  // tcp_synq_overflow(): last cookie sent
};

// A handshake completed by a final ACK or a valid cookie: the Stack creates the Connection,
// calls open_passive(now, hs, from, cause) and hands it `segment` if it carries data or FIN.
struct PassiveOpen {
  SocketId listener = kNoSocket;
  ConnKey key;
  Handshake hs;
  State from = State::syn_received;
  StateCause cause = StateCause::rcv_ack;
};

class ListenTable {
 public:
  // `primary` is the host address reported for listeners (they accept on every address).
  // `wheel`: the host's timer wheel when `timer_wheel` is on (SYN-ACK timers run on it).
  ListenTable(const Profile& profile, Counters& counters, const bool& tracing, Rng& rng,
              Ipv4Addr primary, TimerWheel* wheel = nullptr);

  // listen(): backlog clamped as __sys_listen() does; fails if the port has a listener.
  std::optional<SocketId> add(SocketId id, uint16_t port, int backlog, const SocketOptions& o);
  Listener* by_port(uint16_t port);
  Listener* by_id(SocketId id);
  const Listener* by_id(SocketId id) const;
  bool has_request(const ConnKey& key) const { return requests_.count(key) != 0; }
  // secure_tcp_ts_off(): this host's TSval offset for the key's address pair (ports play no
  // part), for its SYN-ACKs, their children and its active opens alike.
  // The last pair's offset is kept: a connection asks for it three times (its SYN or SYN-ACK,
  // the child, a cookie's check), and a host's connections mostly share one pair, where the
  // siphash was 1% of a handshake benchmark. Linux keeps it in the request (tcp_rsk()->ts_off).
  uint32_t ts_off(const ConnKey& key) const {
    const uint32_t local = key.local.addr.value, remote = key.remote.addr.value;
    if (!ts_last_.valid || ts_last_.local != local || ts_last_.remote != remote) {
      ts_last_ = TsLast{local, remote, ts_offset(ts_secret_, local, remote), true};
    }
    return ts_last_.off;
  }

  // tcp_check_req(): a segment whose 4-tuple matches a request of a listener.
  std::optional<PassiveOpen> on_request_segment(Instant now, const ConnKey& key, const Packet& p,
                                                Outbox& out);
  // The LISTEN case of tcp_rcv_state_process() (with cookie_v4_check() first). `tw_isn`: not 0
  // for a SYN that replaces a TIME_WAIT connection, the ISN its request takes
  // (tcp_conn_request()'s `isn`: no SYN-queue or cookie checks).
  std::optional<PassiveOpen> on_listen_segment(Instant now, Listener& l, const ConnKey& key,
                                               const Packet& p, uint32_t tw_isn, Outbox& out);

  void push_child(Listener& l, SocketId child, Outbox& out);
  std::optional<SocketId> pop_child(Listener& l, Outbox& out);
  // A child that died before accept() leaves the queue.
  void forget_child(SocketId listener, SocketId child);

  void on_timer(Instant now, Listener& l, Outbox& out);
  static std::optional<Instant> next_deadline(const Listener& l);

  // close() of a listener: drops its requests (traced, nothing sent) and returns the
  // un-accepted children, which the Stack resets (inet_csk_listen_stop()).
  std::vector<SocketId> close(SocketId id, Outbox& out);
  // A crash: everything vanishes; the cookie secret is drawn anew (a new boot). Each request
  // gets its state note to CLOSED (cause StateCause::host_crashed) in `out`.
  void clear(Outbox& out);

  size_t listener_count() const { return listeners_.size(); }
  const std::map<SocketId, Listener>& all() const { return listeners_; }
  size_t request_count() const { return requests_.size(); }

 private:
  static constexpr uint64_t kUnarmed = UINT64_MAX;

  void on_syn(Instant now, Listener& l, const ConnKey& key, const Packet& p, uint32_t tw_isn,
              Outbox& out);
  std::optional<PassiveOpen> on_cookie_ack(Instant now, Listener& l, const ConnKey& key,
                                           const Packet& p, Outbox& out);
  std::optional<PassiveOpen> on_final_ack(Instant now, Listener& l, const ConnKey& key, Request& r,
                                          const Packet& p, Outbox& out);
  void create_request(Instant now, Listener& l, const ConnKey& key, const Segment& syn,
                      uint32_t tw_isn, Outbox& out);
  // `cause` empty: the request became a connection, which traces its own change.
  void remove_request(Listener& l, const ConnKey& key, std::optional<StateCause> cause,
                      Outbox& out);
  // Arms (or re-arms) the request's SYN-ACK timer at now + delay.
  void arm(Listener& l, const ConnKey& key, Request& r, Instant now, Duration delay);
  void disarm(Listener& l, Request& r);
  // The earliest entry of all FIFO heads (every head is live), if any.
  static const RequestTimer* earliest_timer(const Listener& l);
  bool timer_live(const RequestTimer& t) const;
  void expire_request(Instant now, Listener& l, const ConnKey& key, Request& r, Outbox& out);
  int max_synack_retries(const Listener& l) const;
  void retransmit_synack(Instant now, const ConnKey& key, Request& r, Outbox& out);
  bool oow_rate_limited(Instant now, Request& r, const Segment& s);

  // `opts`/`tsecr`/`now`: the options of tcp_synack_options() for a request (0: MSS only);
  // `cookie`: the TSval carries the options in its low bits (cookie_init_timestamp()).
  Packet synack(const ConnKey& key, SeqNum iss, SeqNum irs, uint8_t opts = 0, uint32_t tsecr = 0,
                Instant now = Instant::zero(), bool cookie = false) const;
  // cookie_timestamp_decode(): the options a cookie ACK's TSecr says the SYN offered, or
  // nothing when they name an option our sysctls now refuse.
  std::optional<uint8_t> cookie_options(const ConnKey& key, const Segment& ack) const;
  void send_rst(const Packet& offending, Outbox& out);
  template <typename DetailFn>
  void drop(const Packet& p, DropReason why, Outbox& out, DetailFn detail);
  void note_state(const ConnKey& key, State from, State to, StateCause cause, Outbox& out);
  void note_timer(const ConnKey& key, const TimerRecord& fired, Outbox& out);
  void note_counter(const Listener& l, std::string_view name, size_t value, Outbox& out);
  bool accept_queue_full(const Listener& l) const {
    // sk_acceptq_is_full(): strict '>', so the queue holds backlog + 1 sockets.
    return l.accept_queue.size() > l.backlog;
  }

  const Profile& profile_;
  Counters& counters_;
  const bool& tracing_;
  Rng& rng_;
  TimerWheel* wheel_ = nullptr;
  Ipv4Addr primary_;
  TsSecret ts_secret_;  // before cookies_: made from the stream as it is before they draw
  struct TsLast {
    uint32_t local = 0, remote = 0, off = 0;
    bool valid = false;
  };
  mutable TsLast ts_last_;  // ts_off()'s last address pair and its offset
  SynCookies cookies_;
  std::map<SocketId, Listener> listeners_;  // ordered: close-all and crash are deterministic
  std::unordered_map<uint16_t, SocketId> by_port_;
  std::unordered_map<ConnKey, Request, ConnKeyHash> requests_;
  uint64_t next_timer_seq_ = 0;
};

}  // namespace netsim::tcp
