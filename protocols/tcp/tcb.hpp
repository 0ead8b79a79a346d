// The transmission control block (RFC 9293 §3.3.1) behind Connection: every variable of one
// connection and the internal operations that the connection_*.cpp files implement, split by
// concern as INET does (input, output, timers, application commands, state and trace).
// Private to protocols/tcp: nothing outside the connection files includes it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/tcp/congestion.hpp"
#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/msg_flags.hpp"
#include "protocols/tcp/reassembly.hpp"
#include "protocols/tcp/rto.hpp"
#include "protocols/tcp/sack_receiver.hpp"
#include "protocols/tcp/sack_scoreboard.hpp"
#include "protocols/tcp/send_buffer.hpp"
#include "protocols/tcp/tcp_memory.hpp"
#include "protocols/tcp/timer_wheel.hpp"
#include "protocols/tcp/transitions.hpp"
#include "protocols/tcp/vector_fifo.hpp"
#include "protocols/tcp/win_minmax.hpp"
#include "protocols/tcp/write_queue.hpp"

namespace netsim::tcp {

// A deadline that is not armed.
inline constexpr Instant kNever = Instant::max();

// Linux constants that are not sysctls and so not Profile fields.
// tcp_invalid_ratelimit (net.ipv4.tcp_invalid_ratelimit, 500 ms): one out-of-window or
// challenge ACK per connection per interval (tcp_oow_rate_limited()).
inline constexpr Duration kInvalidRateLimit = Duration::milliseconds(500);
// tcp_send_delayed_ack(): max_ato is HZ/2 outside ping-pong mode.
inline constexpr Duration kDelackMaxBulk = Duration::milliseconds(500);
// The largest window an unscaled TCP header carries.
inline constexpr uint32_t kMaxWindow = 65535;

// What the one retransmission timer slot holds once synchronized (icsk_pending):
// ICSK_TIME_RETRANS, ICSK_TIME_REO_TIMEOUT or ICSK_TIME_LOSS_PROBE.
enum class XmitTimer : uint8_t { rto, reo, loss_probe };

// Linux's congestion state on the SACK path (tcp_sock's cwnd fields and icsk_ca_priv, plus the
// pacing rate HyStart reads and tcp_cwnd_validate()'s usage mark): out of line and allocated at
// the first transmission, so an endpoint that never sends pays one pointer.
struct SenderCa {
  CaSock sk;
  LossRecovery loss;         // the SACK scoreboard, RACK, PRR, TLP, undo
  uint64_t pacing_rate = 0;  // sk_pacing_rate, bytes/s; 0 = ~0 (unset, unlimited)
  // tcp_min_rtt(): the minimum RTT sample (µs) of the last tcp_min_rtt_wlen (300 s),
  // seeded with the handshake's sample; Duration::zero() until there is one.
  WinMinmax rtt_min;
  Duration min_rtt() const {
    return rtt_min.get() == ~0u ? Duration::zero() : Duration::microseconds(rtt_min.get());
  }
  SeqNum usage_seq;                 // tp->cwnd_usage_seq
  XmitTimer xmit = XmitTimer::rto;  // what rtx_at is (icsk_pending)
  Instant xmit_armed;               // when a TLP or REO timer was armed (the trace's `ran`)
  bool frto_new_data = false;       // F-RTO step 2.b: the next transmit sends new data first
  // tcp_chrono_start()/stop(): what limits the sender now (TCP_CHRONO_UNSPEC 0, BUSY 1,
  // RWND_LIMITED 2, SNDBUF_LIMITED 3), since which jiffy, and the jiffies spent in each
  // (tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited). Here, out of line, an idle
  // connection pays nothing for them; the `rfc9293` byte-counted sender keeps none.
  uint8_t chrono_type = 0;
  uint32_t chrono_start = 0;
  uint32_t chrono_stat[3] = {};
};

// sk_wmem_alloc and TSQ_THROTTLED (connection_tsq.cpp): the skbs this connection handed to its
// first hop that the link has not sent yet (their TX completion, tcp_wfree(), is the departure
// of their last bit). Allocated when the driver first reports an skb that completes after it
// was sent, i.e. on a link of finite bandwidth: a connection on infinite links never has one.
struct TxCompletion {
  struct Skb {
    Instant done;  // kNever until the driver reported it
    uint32_t truesize;
    SeqNum head{};       // the skb's first sequence number (skb_still_in_host_queue())
    bool known = false;  // head is set: not an skb sent before the state existed
  };
  VectorFifo<Skb> skbs;     // in hand-over order (the link is FIFO)
  size_t reported = 0;      // skbs[0, reported) have their completion time
  uint64_t wmem_alloc = 0;  // their truesize: sk_wmem_alloc less its initial 1
  Instant kick = kNever;    // an skb dropped at once while throttled: tcp_wfree() now
  bool throttled = false;   // TSQ_THROTTLED: the next completion runs tcp_tsq_write()
};

struct Connection::Tcb {
  Tcb(SocketId id, ConnKey key, const SocketOptions& opts, ConnContext ctx);

  // ---- identity and context ----
  SocketId id;
  ConnKey key;
  // The Stack's bookkeeping (Connection::listener()), here in the 4 bytes of padding after
  // `key` so that the stack's table of connections needs no entry struct around Connection.
  SocketId listener = kNoSocket;
  // Received bytes admitted past the receive buffer's limit by the last segment queued: the
  // check of check_invariants() (connection_receive.cpp rmem_*).
  uint32_t rcv_admitted = 0;
  // What this socket holds of the host's TCP memory, in pages: sk_wmem_queued + sk_rmem_alloc
  // + sk_forward_alloc (tcp_memory.hpp; connection_mem.cpp). In the padding before `opts`.
  uint32_t mem_pages = 0;
  SocketOptions opts;
  ConnContext ctx;
  const Profile& prof() const { return *ctx.profile; }

  // ---- state ----
  State state = State::closed;
  bool active_open = false;  // connect(): report `connected`
  bool orphaned = false;     // close() was called (Linux SOCK_DEAD + RCV_SHUTDOWN)
  bool fin_queued = false;   // close()/shutdown(SHUT_WR): a FIN follows the queued data
  bool released = false;     // reached CLOSED
  // tp->total_retrans when the handshake ends: SYNs (or SYN-ACKs, req->num_retrans) resent,
  // saturating; and undo_marker, set by a SYN (SYN-ACK) timeout until proven spurious.
  uint8_t syn_rtx = 0;
  bool syn_undo = false;
  // Options both sides offered (tcp_parse_options(), RFC 7323 §2.2/§3.2, RFC 2018 §2): set at
  // the handshake, in this struct's padding (no bytes for connections with the switches off).
  bool ts_ok : 1 = false;       // timestamps on every segment (tp->rx_opt.tstamp_ok)
  bool sack_ok : 1 = false;     // SACK blocks on ACKs (tp->rx_opt.sack_ok)
  bool nagle_push : 1 = false;  // TCP_NAGLE_PUSH: the next push ignores Nagle and cork once
  uint8_t snd_wscale : 4 = 0;   // the peer's shift: its windows are << this
  uint8_t rcv_wscale : 4 = 0;   // ours: our windows are >> this (0 unless both offered)

  // ---- send sequence space (RFC 9293 §3.3.1) ----
  SeqNum iss, snd_una, snd_nxt;  // snd_nxt is the highest ever sent (Linux never rewinds it)
  SeqNum write_seq;              // end of the data the application queued (FIN goes here)
  SeqNum snd_wl1, snd_wl2;
  SeqNum snd_sml;     // end of the last small segment sent (Minshall's Nagle, tcp_minshall_check)
  SeqNum pushed_seq;  // end of the last segment sent with PSH (forced_push())
  uint32_t snd_wnd = 0;
  uint32_t max_snd_wnd = 0;
  uint16_t mss = 536;       // effective send MSS: min(ours, peer's)
  uint16_t peer_mss = 536;  // TCP_MSS_DEFAULT until the peer's SYN says otherwise

  // ---- receive sequence space ----
  SeqNum irs, rcv_nxt;
  SeqNum rcv_adv;          // right edge of the window last advertised (never moves left)
  SeqNum rcv_wup;          // RCV.NXT when the last ACK was sent (Linux rcv_wup)
  uint16_t rcv_mss = 536;  // estimate of the peer's segment size (icsk_ack.rcv_mss)
  // The receive window's growth (rcv_window.hpp; tcp_sock fields): len/truesize of received
  // segments (<< 8), the window's slow-start threshold and its clamp; DRS state from the
  // first data on (one pointer until then).
  uint8_t scaling_ratio = kDefaultScalingRatio;
  uint32_t rcv_ssthresh = 0;
  uint32_t window_clamp = 0;
  std::unique_ptr<RcvAutotune> drs;

  // ---- buffers ----
  SendBuffer sndbuf;  // bytes [snd_una, write_seq) (SYN/FIN excluded)
  RtxQueue rtx;       // segments in [snd_una, snd_nxt)
  WriteQueue wq;      // skb boundaries and PSH marks of [snd_nxt, write_seq) (write_queue.hpp)
  ReceiveBuffer rcvbuf;
  // Bytes that became readable since the last `data` notice (no auto_read): the notice says how
  // many arrived, for the trace.
  uint32_t unannounced = 0;
  SackReceiver sack_rx;
  // sk_sndbuf: tcp_wmem[1], SO_SNDBUF's doubled value (locked), or what tcp_sndbuf_expand()
  // grew it to; snd_nospace is SOCK_NOSPACE (a write found the buffer full), which lets ACKs
  // grow the buffer and report `writable` (tcp_check_space()).
  uint32_t sk_sndbuf = 0;
  bool snd_nospace = false;  // SACK / D-SACK blocks to send (one pointer until out-of-order data)

  // ---- timers as data: absolute deadlines, kNever when not armed ----
  Instant rtx_at = kNever;      // retransmission (SYN, SYN-ACK, data, FIN)
  Instant dack_at = kNever;     // delayed ACK
  Instant persist_at = kNever;  // zero-window probe
  Instant ka_at = kNever;       // keepalive
  Instant tw_at = kNever;       // TIME_WAIT
  Instant fw2_at = kNever;      // orphaned FIN_WAIT_2

  // ---- retransmission ----
  RtoEstimator rto;
  uint32_t retransmits = 0;        // icsk_retransmits: expiries since the last forward progress
  uint32_t ts_recent = 0;          // the peer's latest valid TSval (tp->rx_opt.ts_recent)
  Instant retrans_stamp = kNever;  // original send time of the first retransmitted segment
  Instant syn_sent_at;             // the first SYN (retrans_stamp of the handshake)
  std::unique_ptr<CongestionControl> cc;  // NewReno/Reno/none without SACK
  std::unique_ptr<SenderCa> sca;          // CongestionOps state with SACK (connection_sack.cpp)
  std::unique_ptr<TxCompletion> txc;      // skbs not yet sent by the first hop (finite links)
  uint32_t dupacks = 0;
  SeqNum loss_high;     // RTO loss episode: everything below was outstanding at the timeout
  SeqNum retx_next;     // ... and [retx_next, loss_high) is still to be retransmitted
  uint32_t ts_off = 0;  // TSval = ms clock + ts_off (tp->tsoffset)
  Instant last_send = Instant::zero();  // last new data sent (cwnd restart after idle)

  // ---- persist and keepalive ----
  uint32_t persist_backoff = 0;
  uint32_t persist_probes = 0;
  uint32_t ka_probes = 0;
  uint32_t ts_recent_stamp = 0;  // seconds of the virtual clock when ts_recent was stored
  Instant last_rcv;              // last acceptable segment received (rcv_tstamp / lrcvtime)

  // ---- delayed ACK (tcp_event_data_recv(), __tcp_ack_snd_check()) ----
  bool ack_pending = false;
  bool ack_now = false;
  bool pingpong = false;
  bool ack_nomem = false;  // ICSK_ACK_NOMEM: data failed to get memory; the next ACK offers 0
  uint32_t quick = 0;      // quick ACKs left
  Duration ato = Duration::zero();
  Instant lrcvtime;
  Instant last_oow_ack = kNever;  // tcp_oow_rate_limited()
  Instant last_now;               // latest `now` seen (Tcb::set_options() arms keepalive from it)

  SocketStats stats;

  // ================= connection.cpp: state, notices, trace =================
  void set_state(Instant now, State next, StateCause cause, Outbox& out,
                 std::optional<State> from = std::nullopt);
  void enter_established(Instant now, StateCause cause, Outbox& out,
                         std::optional<State> from = std::nullopt);
  void enter_time_wait(Instant now, StateCause cause, Outbox& out);
  void enter_closed(Instant now, StateCause cause, SocketError err, Outbox& out);
  void notify(AppNotice::Kind kind, Outbox& out, SocketError err = SocketError::none,
              Payload data = {}, uint32_t arrived = 0);
  // The firing's facts; the host adds time, host and application.
  void trace_timer(const TimerRecord& fired, Outbox& out) const;
  void trace_cwnd(uint32_t before, Outbox& out) const;
  void stop_timers();
  bool synchronized() const;
  bool fin_sent() const { return fin_queued && snd_nxt > write_seq; }
  bool fin_acked() const { return fin_queued && snd_una > write_seq; }
  // Inline: the send path asks these ~50 times per short connection.
  uint32_t unsent_data() const {
    return snd_nxt < write_seq ? static_cast<uint32_t>(write_seq - snd_nxt) : 0;
  }
  // Bytes in the network: outstanding minus what an RTO declared lost and is not resent yet.
  uint32_t flight_size() const {
    uint32_t outstanding = static_cast<uint32_t>(snd_nxt - snd_una);
    if (retx_next < loss_high) {
      SeqNum from = seq_max(retx_next, snd_una);
      if (from < loss_high) outstanding -= static_cast<uint32_t>(loss_high - from);
    }
    return outstanding;
  }
  bool check_invariants(std::string* why) const;

  // ================= connection_input.cpp: segment arrival (RFC 9293 §3.10.7) =================
  void on_segment(Instant now, const Segment& seg, Outbox& out);
  void input_syn_sent(Instant now, const Segment& seg, Outbox& out);
  void input_synchronized(Instant now, const Segment& seg, Outbox& out);
  void input_time_wait(Instant now, const Segment& seg, Outbox& out);
  bool tw_paws_reject(Instant now, const Segment& seg) const;  // connection.cpp
  bool tw_syn(Instant now, const Segment& seg) const;          // connection.cpp
  void input_orphan_fin_wait_2(Instant now, const Segment& seg, Outbox& out);
  bool sequence_acceptable(const Segment& seg) const;
  bool check_sequence(Instant now, const Segment& seg, Outbox& out);
  bool check_rst(Instant now, const Segment& seg, Outbox& out);
  bool check_syn(Instant now, const Segment& seg, Outbox& out);
  void on_rst(Instant now, Outbox& out);
  bool process_ack(Instant now, const Segment& seg, Outbox& out);
  bool ack_syn_received(Instant now, const Segment& seg, Outbox& out);
  void on_new_ack(Instant now, SeqNum ack, Outbox& out);
  void ack_of_syn(Instant now, const Segment& seg, Outbox& out);
  void syn_acked(Instant now, const Segment& seg);
  // The handshake's RTT sample, or the first data RTO's fallback (connection_input.cpp).
  void handshake_rtt(Instant now, std::optional<Duration> seq_rtt, uint32_t tsecr);
  // tcp_rtt_tsopt_us() for an echoed TSecr, when timestamps are on and it is not 0.
  std::optional<Duration> tsecr_rtt(Instant now, uint32_t tsecr) const;
  void start_congestion_control(uint32_t tsecr);
  uint32_t initial_cwnd() const;
  void ack_probe(Instant now);
  void fin_wait_1_acked(Instant now, Outbox& out);
  bool reset_check(const Segment& seg) const;
  void on_dup_ack(Instant now, Outbox& out);
  void update_window(const Segment& seg);
  bool ack_state_transitions(Instant now, const Segment& seg, Outbox& out);
  bool process_text(Instant now, const Segment& seg, Outbox& out);
  void queue_in_order(Instant now, SeqNum seq, const Payload& data, bool fin, Outbox& out);
  void deliver(Instant now, const Payload& data, Outbox& out);
  bool epollin_ready() const;                       // tcp_epollin_ready(sk, sk_rcvlowat)
  void data_ready(Outbox& out, bool done = false);  // tcp_data_ready(): wake the reader
  void set_rcvlowat(Outbox& out);                   // connection_app.cpp
  void data_received(Instant now, size_t len);
  void process_fin(Instant now, Outbox& out);
  void queue_out_of_order(Instant now, const Segment& seg);
  void note_duplicate(const Segment& seg);
  void after_input(Instant now, Outbox& out);

  // ================= connection_sack.cpp: Linux's sender (with or without SACK) ==========
  // Linux's sender (CongestionOps, LossRecovery): with SACK negotiated, and without it in the
  // `linux` preset (tcp_is_reno()); `none`, and rfc9293 without SACK, keep the old class.
  bool sack_path() const {
    return (sack_ok || prof().preset == Preset::linux_kernel) &&
           prof().congestion != CongestionAlgo::none;
  }
  const CongestionOps& ca_ops() const;
  LossConfig loss_config() const;
  LossCtx loss_ctx(Instant now, const LossConfig& cfg);
  // The sender state, created at the first use (make_sender()). Inline: it is read ~130 times
  // per short connection, and an out-of-line call cost more than the test.
  SenderCa& sender() { return sca ? *sca : make_sender(); }
  SenderCa& make_sender();
  void take_handshake_rtt(uint32_t jiffies);
  uint64_t handshake_pacing_rate() const;
  LossRecovery& lr() { return sender().loss; }
  XmitTimer xmit() const { return sca ? sca->xmit : XmitTimer::rto; }
  uint32_t packets_out() const { return static_cast<uint32_t>(rtx.size()); }
  uint32_t cwnd_bytes() const;
  uint32_t ssthresh_bytes() const;
  void ack_sack(Instant now, const Segment& seg, bool not_dup);
  std::optional<Duration> ack_rtt(Instant now, const Segment& seg) const;
  void update_rtt_min(Instant now, Duration rtt);
  void ca_after_ack(Instant now, const AckOut& r, std::optional<Duration> rtt, LossCtx& c);
  void set_xmit_timer(Instant now);
  bool schedule_loss_probe(Instant now, bool advancing_rto);
  void rearm_rto(Instant now);
  bool sack_retransmit_lost(Instant now, Outbox& out);
  bool sack_cwnd_allows();
  void sack_data_sent(Instant now, uint32_t in_flight_before, bool had_packets);
  void sack_after_write(Instant now, uint32_t sent);
  void on_loss_probe_timer(Instant now, Outbox& out);
  void on_reo_timer(Instant now, Outbox& out);
  bool sack_on_rto(Instant now);
  bool refused_busy(Instant now, size_t index);
  void count_refused_retransmit(size_t index);

  // ================= connection_output.cpp: sending =================
  Packet make_packet(SeqNum seq, SeqNum ack, uint8_t flags, Payload data = {}) const;
  uint32_t free_window() const;  // connection_receive.cpp, as the window functions below
  uint16_t syn_window() const;
  uint16_t advertise_window();
  void syn_options(Instant now, bool synack, TcpOptions& o) const;
  void sack_blocks(TcpOptions& o);
  uint32_t current_mss() const;
  void emit(Instant now, Packet&& p, Outbox& out);
  void send_syn(Instant now, bool retransmission, Outbox& out);
  void send_ack(Instant now, Outbox& out);
  void send_ack_rate_limited(Instant now, Outbox& out, bool challenge);
  void send_active_rst(Instant now, Outbox& out);
  void send_reply_rst(const Segment& offending, Outbox& out);
  void send_probe(Instant now, Outbox& out);
  void transmit(Instant now, Outbox& out);
  bool retransmit_lost(Instant now, Outbox& out);
  bool send_new_segment(Instant now, Outbox& out);
  void sync_write_queue();
  void start_piece(uint32_t mss_now);
  uint32_t cwnd_quota();
  void send_data(Instant now, SeqNum seq, uint32_t len, bool fin, bool psh, Outbox& out);
  void retransmit(Instant now, size_t index, Outbox& out, bool gso_psh = false);
  // connection_rtx.cpp: __tcp_retransmit_skb()'s reshaping of the retransmission queue.
  size_t shape_retransmit(size_t index, uint32_t segs);
  void retrans_try_collapse(size_t index, int64_t space);
  void check_ack_to_send(Instant now, Outbox& out);
  void schedule_delayed_ack(Instant now, Outbox& out);
  bool in_quickack_mode() const { return quick > 0 && !pingpong; }
  void incr_quickack();
  void enter_quickack_mode();
  void arm_rtx(Instant now) {
    rtx_at = timer_at(now, rto.rto());
    if (sca) sca->xmit = XmitTimer::rto;
  }
  void check_probe_timer(Instant now);
  Duration probe0_base() const;

  // ================= connection_tsq.cpp: TX completion, autocorking, TSQ =================
  void tx_tag(Packet& p, uint32_t truesize, SeqNum head);
  bool still_in_host_queue(Instant now, SeqNum head);
  void tx_retag(SeqNum from, SeqNum to);
  void tx_reported(Instant now, const TxReport& r);
  uint64_t wmem_alloc(Instant now);
  bool should_autocork(Instant now);
  bool small_queue_holds(Instant now, uint32_t skb_len, unsigned factor = 0);
  Instant tsq_at() const;
  void on_tx_completion(Instant now, Outbox& out);

  // ================= connection_timers.cpp =================
  std::optional<Instant> next_deadline() const;
  // sk_reset_timer(): when a timer armed at `now` for `timeout` runs: on the dot, or where
  // Linux's timer wheel runs it (`timer_wheel`, timer_wheel.hpp).
  Instant timer_at(Instant now, Duration timeout) const;
  // The host's kernel clock (its timer wheel's when `timer_wheel` is on), else the unphased
  // clock of the profile's HZ: every jiffies reading of this connection comes from here.
  const KernelClock& kclock() const {
    return ctx.wheel != nullptr ? ctx.wheel->clock() : KernelClock::unphased(prof().hz);
  }
  // The same for an expiry counted from an earlier instant (tcp_keepalive_timer()'s
  // "tp->rcv_tstamp + keepalive_time_when(tp)"), in jiffies as Linux counts it.
  Instant timer_at_since(Instant now, Instant from, Duration timeout) const;
  void on_timer(Instant now, Outbox& out);
  void on_rtx_timer(Instant now, Outbox& out);
  void on_syn_timer(Instant now, Outbox& out);
  void on_data_rto(Instant now, Outbox& out);
  void on_persist_timer(Instant now, Outbox& out);
  void on_delack_timer(Instant now, Outbox& out);
  void on_keepalive_timer(Instant now, Outbox& out);
  void arm_keepalive(Instant now);
  Duration keepalive_idle() const;
  Duration keepalive_interval() const;
  int keepalive_probes() const;
  bool keepalive_eligible() const;
  Duration fin_time() const;

  // ================= connection_app.cpp =================
  void open_active(Instant now, SeqNum iss, Outbox& out);
  void open_passive(Instant now, const Handshake& hs, State from, StateCause cause, Outbox& out);
  void init_connection(SeqNum iss_value);
  void negotiate_options(Instant now, const Segment& syn);
  void take_ts_recent(Instant now, const Segment& seg);
  bool paws_rejects(Instant now, const Segment& seg) const;
  uint32_t tsval(Instant now) const;
  uint32_t wnd_from(const Segment& seg) const;
  uint32_t max_rcv_window() const { return kMaxWindow << rcv_wscale; }
  void set_peer_mss(uint16_t option);
  SocketError send(Instant now, Payload data, Outbox& out, uint32_t flags = 0);
  Payload read(Instant now, size_t max_bytes, Outbox& out);
  void shutdown_write(Instant now, Outbox& out);
  void close(Instant now, Outbox& out);
  void abort(Instant now, Outbox& out);
  void set_options(const SocketOptions& next);
  SocketError set_option(Instant now, SockOpt opt, int value, Outbox& out);
  int get_option(SockOpt opt) const;
  bool nagle_holds(uint32_t len, uint32_t mss_now, bool fin) const;
  uint32_t rcv_space() const;
  uint8_t rcv_wscale_for_syn() const;

  // ================= connection_sndbuf.cpp: the send buffer =================
  SendResult write(Instant now, Payload data, Outbox& out, uint32_t flags = 0,
                   WriteSlice* slice = nullptr);
  void cleanup_rbuf(Instant now, Outbox& out, uint64_t copied);  // connection_app.cpp: timed read
  void write_push(Instant now, bool one, Outbox& out);           // the pushes within write()
  SocketError send_check() const;
  uint32_t size_goal() const;
  uint32_t mss_clamp() const;
  uint64_t wmem_queued() const;
  void sndbuf_init_expand();
  void check_space(Outbox& out);
  void write_space(Outbox& out);
  void chrono_set(Instant now, uint8_t type);
  void chrono_start_type(Instant now, uint8_t type);
  void chrono_stop_type(Instant now, uint8_t type);
  void chrono_after_xmit(Instant now, bool had_unsent, bool sent);
  void chrono_sndbuf_check(Instant now, bool sent);
  void chrono_after_ack(Instant now);
  bool rwnd_limited_now();
  bool cwnd_limited_now();
  uint32_t notsent_lowat() const;
  bool stream_memory_free(bool wake) const;
  bool writeable() const;

  // ================= connection_receive.cpp: the receive window =================
  uint32_t advmss() const;
  RcvSpace rcv_space_now() const;
  RcvWindow rwin_view() const;
  void rwin_store(const RcvWindow& w);
  void init_rcv_window(const InitialWindow& iw);
  void init_buffer_space();
  RcvAutotune& autotune();
  void rcv_window_on_data(Instant now, uint32_t len);
  void rcv_rtt_ts(Instant now, const Segment& seg);
  void rcv_space_adjust_after_read(Instant now);
  void app_read_delivered(Instant now);
  // Receive memory (tcp_try_rmem_schedule() and the pruning behind it).
  uint32_t rmem_alloc() const;
  size_t rcv_queue_bytes() const;
  bool rmem_schedule(Instant now, SeqNum seq, uint32_t len);
  bool prune_queue(SeqNum seq);
  void clamp_window();
  bool prune_ofo_queue(SeqNum seq);

  // ================= connection_mem.cpp: the host's TCP memory (tcp_memory.hpp) =================
  TcpMemory mem() const { return TcpMemory(*ctx.profile, *ctx.counters, ctx.wheel); }
  uint64_t mem_held() const;
  void mem_sync(Instant now);
  void mem_release();
  bool mem_schedule(Instant now, uint64_t size, MemKind kind);
  bool mem_raise(Instant now, uint64_t size, int64_t amt, MemKind kind);
  void moderate_sndbuf();
  void adjust_rcv_ssthresh();
  bool mem_pressure() const;
  bool mem_may_expand_sndbuf() const;
  bool mem_may_grow_rcvbuf() const;
  bool out_of_memory() const;
  bool close_on_oom(Instant now, Outbox& out);
  bool orphan_out_of_resources(Instant now, bool do_reset, StateCause cause, Outbox& out);
  Duration write_timeout(Duration model) const;
  Duration clamp_rto_to_user_timeout(Instant now) const;
  bool keepalive_expired(Duration elapsed, int probes) const;
  void queue_fin(Instant now, State next, StateCause cause, Outbox& out);
};

}  // namespace netsim::tcp
