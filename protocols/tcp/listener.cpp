// LISTEN-state processing, the SYN queue with per-request SYN-ACK timers, SYN cookies and the
// accept queue. Each rule cites the Linux 6.1 function it copies (linux-tcp-facts.md §4-§6, §8);
// docs/queues-and-cookies.md explains the whole picture.

#include "protocols/tcp/listener.hpp"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "protocols/tcp/rst.hpp"
#include "protocols/tcp/timer_wheel.hpp"
#include "protocols/tcp/transitions.hpp"

namespace netsim::tcp {

namespace {

constexpr uint16_t kMssDefault = 536;  // TCP_MSS_DEFAULT: the peer sent no MSS option
constexpr Duration kInvalidRateLimit = Duration::milliseconds(500);  // tcp_invalid_ratelimit
constexpr Duration kCookieValid = SynCookies::kPeriod * SynCookies::kMaxAge;  // TCP_SYNCOOKIE_VALID

// tcp_in_window(): the RFC 793 acceptability test of tcp_check_req().
bool in_window(SeqNum seq, SeqNum end_seq, SeqNum s_win, SeqNum e_win) {
  if (seq == s_win) return true;
  if (end_seq > s_win && seq < e_win) return true;
  return seq == e_win && seq == end_seq;
}

// min(base << shift, cap) without overflowing (reqsk_timeout()).
Duration backoff(Duration base, uint32_t shift, Duration cap) {
  Duration d = base;
  for (uint32_t i = 0; i < shift && d < cap; ++i)
    d = d * 2;
  return std::min(d, cap);
}

// ts_secret_init(): the host's key for secure_tcp_ts_off(), deterministic from its RNG stream
// but drawn from a copy, so the stream (ISNs, ports, cookie secrets) is what it was before.
TsSecret ts_secret_from(Rng rng) {
  uint64_t state = rng.next_u64() ^ stable_hash("secure_tcp_ts_off");
  TsSecret k;
  k.k0 = splitmix64(state);
  k.k1 = splitmix64(state);
  return k;
}

// The final ACK's TSecr, which the child parses in tcp_rcv_state_process() (tcp_validate_incoming()
// -> tcp_fast_parse_options(): only with tstamp_ok, i.e. when the SYN offered TS); 0 for none.
uint32_t ack_tsecr(uint8_t syn_opts, const Segment& ack) {
  if ((syn_opts & kSynTs) == 0 || !ack.options.timestamps) return 0;
  return ack.options.timestamps->second;
}

}  // namespace

ListenTable::ListenTable(const Profile& profile, Counters& counters, const bool& tracing, Rng& rng,
                         Ipv4Addr primary, TimerWheel* wheel)
    : profile_(profile),
      counters_(counters),
      tracing_(tracing),
      rng_(rng),
      wheel_(wheel),
      primary_(primary),
      ts_secret_(ts_secret_from(rng)),
      cookies_(rng) {}

std::optional<SocketId> ListenTable::add(SocketId id, uint16_t port, int backlog,
                                         const SocketOptions& o) {
  if (by_port_.count(port) != 0) return std::nullopt;
  // __sys_listen(): "if ((unsigned int)backlog > somaxconn) backlog = somaxconn;" — so a
  // negative backlog also becomes somaxconn. inet_listen() stores it as sk_max_ack_backlog.
  auto somaxconn = static_cast<uint32_t>(std::max(profile_.somaxconn, 0));
  auto b = static_cast<uint32_t>(backlog);
  Listener l;
  l.id = id;
  l.port = port;
  l.backlog = std::min(b, somaxconn);
  l.opts = o;
  listeners_.emplace(id, std::move(l));
  by_port_[port] = id;
  return id;
}

Listener* ListenTable::by_port(uint16_t port) {
  auto it = by_port_.find(port);
  return it == by_port_.end() ? nullptr : by_id(it->second);
}

Listener* ListenTable::by_id(SocketId id) {
  auto it = listeners_.find(id);
  return it == listeners_.end() ? nullptr : &it->second;
}

const Listener* ListenTable::by_id(SocketId id) const {
  auto it = listeners_.find(id);
  return it == listeners_.end() ? nullptr : &it->second;
}

// --- LISTEN --------------------------------------------------------------------------------

std::optional<PassiveOpen> ListenTable::on_listen_segment(Instant now, Listener& l,
                                                          const ConnKey& key, const Packet& p,
                                                          uint32_t tw_isn, Outbox& out) {
  const TcpFlags f = p.tcp.flags;
  // tcp_v4_do_rcv(): "if (!th->syn) sk = cookie_v4_check(sk, skb)" runs before the state
  // machine; cookie_v4_check() only looks at ACKs without RST, with syncookies enabled and a
  // cookie sent within TCP_SYNCOOKIE_VALID (tcp_synq_no_recent_overflow()).
  if (!f.syn() && f.ack() && !f.rst() && profile_.syncookies != 0 && l.last_overflow &&
      now - *l.last_overflow <= kCookieValid) {
    return on_cookie_ack(now, l, key, p, out);
  }
  // The LISTEN case of tcp_rcv_state_process(): "if (th->ack) return 1;" makes the caller
  // send a reset (a SYN-ACK included); tcp_v4_send_reset() never answers a RST+ACK.
  if (f.ack()) {
    send_rst(p, out);
    return std::nullopt;
  }
  if (f.rst()) return std::nullopt;   // "if (th->rst) goto discard;"
  if (!f.syn()) return std::nullopt;  // no SYN, ACK or RST: discarded
  if (f.fin()) return std::nullopt;   // SYN+FIN: "if (th->fin) goto discard;"
  on_syn(now, l, key, p, tw_isn, out);
  return std::nullopt;
}

// tcp_conn_request(): the checks run in the kernel's order.
void ListenTable::on_syn(Instant now, Listener& l, const ConnKey& key, const Packet& p,
                         uint32_t tw_isn, Outbox& out) {
  const Segment& s = p.tcp;
  ++counters_.syn_received;
  // (1) "if ((syncookies == 2 || inet_csk_reqsk_queue_is_full(sk)) && !isn)": the queue is
  // full when qlen > sk_max_ack_backlog (strict '>': backlog 2 admits three requests).
  // tcp_syn_flood_action() decides between a cookie and a drop (TCPReqQFullDrop).
  bool want_cookie = false;
  if (tw_isn == 0 && (profile_.syncookies == 2 || l.qlen > l.backlog)) {
    if (profile_.syncookies == 0) {
      ++counters_.syn_queue_drops;
      drop(p, DropReason::syn_queue_full, out, [&] {
        return fmt::format("SYN queue full ({} requests, backlog {}), syncookies off", l.qlen,
                           l.backlog);
      });
      return;
    }
    want_cookie = true;
  }
  // (2) "if (sk_acceptq_is_full(sk))": drop, even when a cookie would have been sent
  // (ListenOverflows + ListenDrops).
  if (accept_queue_full(l)) {
    ++counters_.accept_queue_drops;
    drop(p, DropReason::accept_queue_full, out, [&] {
      return fmt::format("accept queue full ({} waiting, backlog {})", l.accept_queue.size(),
                         l.backlog);
    });
    return;
  }
  uint16_t peer_mss = s.options.mss.value_or(kMssDefault);
  if (want_cookie) {
    // cookie_init_sequence(): no state at all; tcp_synq_overflow() stamps the listener so
    // that ACKs are checked as cookies for the next TCP_SYNCOOKIE_VALID.
    SeqNum isn = cookies_.make(now, key.local, key.remote, s.seq, peer_mss);
    l.last_overflow = now;
    ++counters_.syncookies_sent;
    ++counters_.synack_sent;
    // tcp_conn_request(): "if (want_cookie && !tmp_opt.saw_tstamp) tcp_clear_options()": with
    // nowhere to keep them, SACK and window scaling survive only inside the timestamp.
    uint8_t opts = allowed_syn_options(profile_, s.options);
    if (!(opts & kSynTs)) opts = 0;
    Packet reply = synack(key, isn, s.seq, opts, opts ? s.options.timestamps->first : 0, now,
                          /*cookie=*/true);
    reply.syn_cookie = true;
    out.packets.push_back(std::move(reply));
    return;
  }
  // (3) "if (!syncookies && max_syn_backlog - qlen < max_syn_backlog >> 2 &&
  // !tcp_peer_is_proven())": we keep no TCP metrics cache, so every peer counts as not
  // proven alive and the last quarter of tcp_max_syn_backlog is never used without cookies.
  int max_backlog = profile_.max_syn_backlog;
  if (tw_isn == 0 && profile_.syncookies == 0 &&
      max_backlog - static_cast<int>(l.qlen) < (max_backlog >> 2)) {
    ++counters_.syn_queue_drops;
    drop(p, DropReason::syn_queue_full, out, [&] {
      return fmt::format("SYN queue beyond 3/4 of max_syn_backlog {} ({} requests), syncookies off",
                         max_backlog, l.qlen);
    });
    return;
  }
  create_request(now, l, key, s, tw_isn, out);
}

void ListenTable::create_request(Instant now, Listener& l, const ConnKey& key, const Segment& syn,
                                 uint32_t tw_isn, Outbox& out) {
  Request r;
  r.listener = l.id;
  // tcp_conn_request(): a TIME_WAIT recycle's ISN is tw_isn; only a fresh SYN draws one.
  r.iss = tw_isn != 0 ? SeqNum(tw_isn) : SeqNum(rng_.next_u32());
  r.irs = syn.seq;
  r.peer_mss = syn.options.mss.value_or(kMssDefault);
  // tcp_openreq_init(): the request remembers what the SYN offered (ireq->tstamp_ok, sack_ok,
  // wscale_ok, snd_wscale) and its TSval (ts_recent), each only if our sysctls allow it.
  r.syn_opts = allowed_syn_options(profile_, syn.options);
  if (r.syn_opts & kSynTs) r.ts_recent = syn.options.timestamps->first;
  r.synack_sent = now;
  auto [it, inserted] = requests_.emplace(key, r);
  // inet_csk_reqsk_queue_hash_add(): qlen and young grow; the request timer starts at
  // req->timeout = tcp_timeout_init() (1 s).
  ++l.qlen;
  ++l.young;
  arm(l, key, it->second, now, profile_.rto_initial);
  ++counters_.synack_sent;
  out.packets.push_back(synack(key, r.iss, r.irs, r.syn_opts, r.ts_recent, now));
  note_state(key, State::listen, State::syn_received, StateCause::rcv_syn, out);
  note_counter(l, "syn_queue", l.qlen, out);
  out.touched.push_back(l.id);
}

std::optional<PassiveOpen> ListenTable::on_cookie_ack(Instant now, Listener& l, const ConnKey& key,
                                                      const Packet& p, Outbox& out) {
  const Segment& s = p.tcp;
  std::optional<uint16_t> mss = cookies_.check(now, key.local, key.remote, s.seq, s.ack);
  if (!mss) {
    // SyncookiesFailed; cookie_v4_check() returns the listener, whose LISTEN rule answers
    // the ACK with a reset.
    ++counters_.syncookies_failed;
    send_rst(p, out);
    return std::nullopt;
  }
  ++counters_.syncookies_ok;  // SyncookiesRecv, counted before the child is created
  std::optional<uint8_t> syn_opts = cookie_options(key, s);
  if (!syn_opts) {
    // cookie_tcp_check() fails after SyncookiesRecv: the listener's LISTEN rule resets.
    send_rst(p, out);
    return std::nullopt;
  }
  if (accept_queue_full(l)) {
    // tcp_get_cookie_sock(): syn_recv_sock() fails on a full accept queue and the ACK is
    // discarded; tcp_abort_on_overflow does not apply to cookies.
    ++counters_.accept_queue_drops;
    drop(p, DropReason::accept_queue_full, out, [&] {
      return fmt::format("accept queue full ({} waiting, backlog {}), valid SYN cookie",
                         l.accept_queue.size(), l.backlog);
    });
    return std::nullopt;
  }
  PassiveOpen po;
  po.listener = l.id;
  po.key = key;
  po.hs.iss = s.ack - 1;
  po.hs.ts_off = ts_off(key);
  po.hs.irs = s.seq - 1;
  po.hs.peer_mss = *mss;
  po.hs.peer_window = s.window;
  // cookie_tcp_reqsk_alloc(): the options the TSecr encodes; ts_recent = the ACK's TSval. No
  // SYN-ACK send time is kept: the RTT comes from the TSecr (the cookie's TSval) or not at all.
  po.hs.syn_opts = *syn_opts;
  if (*syn_opts & kSynTs) po.hs.ts_recent = s.options.timestamps->first;
  po.hs.ack_tsecr = ack_tsecr(*syn_opts, s);
  po.from = State::listen;
  po.cause = StateCause::rcv_ack_cookie;
  return po;
}

// --- SYN_RECEIVED (request entries) ------------------------------------------------------------

bool ListenTable::oow_rate_limited(Instant now, Request& r, const Segment& s) {
  // tcp_oow_rate_limited(): only segments without data (or with SYN) are limited, to one
  // answer per tcp_invalid_ratelimit (500 ms).
  if (s.seq_len() != 0 && !s.flags.syn()) return false;
  if (r.last_oow_ack && now - *r.last_oow_ack < kInvalidRateLimit) return true;
  r.last_oow_ack = now;
  return false;
}

std::optional<PassiveOpen> ListenTable::on_request_segment(Instant now, const ConnKey& key,
                                                           const Packet& p, Outbox& out) {
  Request& r = requests_.at(key);
  Listener& l = *by_id(r.listener);
  const Segment& s = p.tcp;
  uint8_t flg = s.flags.bits() & (TcpFlags::RST | TcpFlags::SYN | TcpFlags::ACK);
  // tcp_check_req(), "Check for pure retransmitted SYN": resend the SYN-ACK at once
  // (inet_rtx_syn_ack(), num_timeout unchanged) and re-arm the request timer at
  // min(TCP_TIMEOUT_INIT << num_timeout, TCP_RTO_MAX) from now.
  if (s.seq == r.irs && flg == TcpFlags::SYN) {
    if (!oow_rate_limited(now, r, s)) {
      retransmit_synack(now, key, r, out);
      arm(l, key, r, now, backoff(profile_.rto_initial, r.num_timeout, profile_.rto_max));
      out.touched.push_back(l.id);
    }
    return std::nullopt;
  }
  // "if ((flg & TCP_FLAG_ACK) && ack_seq != snt_isn + 1) return sk;": the listener processes
  // the segment and its LISTEN rule answers an ACK with a reset (tcp_v4_send_reset()).
  if ((flg & TcpFlags::ACK) != 0 && s.ack != r.iss + 1) {
    send_rst(p, out);
    return std::nullopt;
  }
  // RFC 793 SYN-RECEIVED acceptability; an unacceptable segment gets an ACK
  // (tcp_v4_reqsk_send_ack(): seq = ISS + 1, ack = RCV.NXT), rate limited, never for a RST.
  SeqNum rcv_nxt = r.irs + 1;
  const uint32_t offered =
      std::min(synack_rcv_window(profile_, l.opts, r.syn_opts).rcv_wnd, 65535U);
  if (!in_window(s.seq, s.seq + s.seq_len(), rcv_nxt, rcv_nxt + offered)) {
    if ((flg & TcpFlags::RST) == 0 && !oow_rate_limited(now, r, s)) {
      Packet ack = synack(key, r.iss + 1, r.irs);
      ack.tcp.flags = TcpFlags(TcpFlags::ACK);
      ack.tcp.options = {};
      // tcp_v4_reqsk_send_ack(): rsk_rcv_wnd >> rcv_wscale.
      const InitialWindow iw = synack_rcv_window(profile_, l.opts, r.syn_opts);
      ack.tcp.window =
          static_cast<uint16_t>(offered >> ((r.syn_opts & kSynWs) ? iw.rcv_wscale : 0));
      out.packets.push_back(ack);
    }
    return std::nullopt;
  }
  // "if (TCP_SKB_CB(skb)->seq == tcp_rsk(req)->rcv_isn) flg &= ~TCP_FLAG_SYN;"
  if (s.seq == r.irs) flg &= static_cast<uint8_t>(~TcpFlags::SYN);
  // RST, or a SYN inside the window: embryonic_reset (a RST is answered by nothing).
  if ((flg & (TcpFlags::RST | TcpFlags::SYN)) != 0) {
    bool rst = (flg & TcpFlags::RST) != 0;
    if (!rst) send_rst(p, out);
    remove_request(l, key, rst ? StateCause::rcv_rst : StateCause::rcv_syn_in_window, out);
    return std::nullopt;
  }
  if ((flg & TcpFlags::ACK) == 0) return std::nullopt;  // "if (!(flg & TCP_FLAG_ACK))"
  return on_final_ack(now, l, key, r, p, out);
}

std::optional<PassiveOpen> ListenTable::on_final_ack(Instant now, Listener& l, const ConnKey& key,
                                                     Request& r, const Packet& p, Outbox& out) {
  if (accept_queue_full(l)) {
    // tcp_v4_syn_recv_sock() fails (ListenOverflows + ListenDrops) -> listen_overflow:
    ++counters_.accept_queue_drops;
    drop(p, DropReason::accept_queue_full, out, [&] {
      return fmt::format("accept queue full ({} waiting, backlog {})", l.accept_queue.size(),
                         l.backlog);
    });
    if (!profile_.abort_on_overflow) {
      // "inet_rsk(req)->acked = 1; return NULL;": the client believes it is ESTABLISHED; the
      // request stays and keeps retransmitting its SYN-ACK, whose ACK may find room later.
      r.acked = true;
      return std::nullopt;
    }
    // tcp_abort_on_overflow: embryonic_reset, the client is told at once.
    send_rst(p, out);
    remove_request(l, key, StateCause::accept_queue_overflow, out);
    return std::nullopt;
  }
  PassiveOpen po;
  po.listener = l.id;
  po.key = key;
  po.hs.iss = r.iss;
  po.hs.ts_off = ts_off(key);
  po.hs.irs = r.irs;
  po.hs.peer_mss = r.peer_mss;
  po.hs.peer_window = p.tcp.window;
  po.hs.syn_opts = r.syn_opts;
  // tcp_check_req() stores the final ACK's TSval when it carries one (tcp_paws_reject passed).
  po.hs.ts_recent = (r.syn_opts & kSynTs) && p.tcp.options.timestamps
                        ? p.tcp.options.timestamps->first
                        : r.ts_recent;
  // tcp_synack_rtt_meas(): an RTT sample only if the SYN-ACK was never resent (Karn); else
  // the TSecr may give one (Connection::Tcb::handshake_rtt()).
  po.hs.synack_retrans = r.num_retrans;
  po.hs.synack_timed_out = r.num_timeout != 0;
  po.hs.synack_sent = r.synack_sent;
  if (r.num_retrans == 0) po.hs.rtt_sample = now - r.synack_sent;
  po.hs.ack_tsecr = ack_tsecr(r.syn_opts, p.tcp);
  po.from = State::syn_received;
  po.cause = StateCause::rcv_ack;
  // The Connection traces SYN_RECEIVED -> ESTABLISHED itself (open_passive()).
  remove_request(l, key, std::nullopt, out);
  return po;
}

// --- Request timers ---------------------------------------------------------------------------

void ListenTable::arm(Listener& l, const ConnKey& key, Request& r, Instant now, Duration delay) {
  disarm(l, r);
  r.timer_seq = next_timer_seq_++;
  std::vector<RequestTimers::Fifo>& fifos = l.timers.fifos;
  // On the timer wheel (reqsk_queue_hash_req(), reqsk_timer_handler(): mod_timer(jiffies +
  // timeo)) the run instant is still monotonic in `now` for one delay and one base->clk offset.
  const bool softirq = wheel_ != nullptr && wheel_->running;
  auto fifo = std::find_if(fifos.begin(), fifos.end(), [&](const RequestTimers::Fifo& f) {
    return f.delay == delay && f.softirq == softirq;
  });
  if (fifo == fifos.end())
    fifo = fifos.insert(fifos.end(), RequestTimers::Fifo{delay, softirq, {}});
  const Instant deadline = wheel_ != nullptr ? wheel_->arm(now, delay) : now + delay;
  fifo->entries.push_back(RequestTimer{deadline, r.timer_seq, key});
  r.fifo = static_cast<uint8_t>(fifo - fifos.begin());  // a handful of delays: 1, 2, 4, ... s
  ++l.timers.live;
}

void ListenTable::disarm(Listener& l, Request& r) {
  if (r.timer_seq == kUnarmed) return;
  const uint64_t seq = r.timer_seq;
  r.timer_seq = kUnarmed;  // its entry is dead from now on
  --l.timers.live;
  // Every head was live, so only this FIFO's head can have died: drop it and whatever dead
  // entries follow it.
  std::deque<RequestTimer>& q = l.timers.fifos[r.fifo].entries;
  if (q.empty() || q.front().seq != seq) return;
  q.pop_front();
  while (!q.empty() && !timer_live(q.front()))
    q.pop_front();
}

bool ListenTable::timer_live(const RequestTimer& t) const {
  auto it = requests_.find(t.key);
  return it != requests_.end() && it->second.timer_seq == t.seq;
}

const RequestTimer* ListenTable::earliest_timer(const Listener& l) {
  const RequestTimer* best = nullptr;
  for (const RequestTimers::Fifo& f : l.timers.fifos) {
    if (!f.entries.empty() && (best == nullptr || f.entries.front() < *best))
      best = &f.entries.front();
  }
  return best;
}

std::optional<Instant> RequestTimers::next_deadline() const {
  std::optional<Instant> best;
  for (const Fifo& f : fifos)
    if (!f.entries.empty() && (!best || f.entries.front().deadline < *best))
      best = f.entries.front().deadline;
  return best;
}

int ListenTable::max_synack_retries(const Listener& l) const {
  // "icsk->icsk_syn_retries ? : net->ipv4.sysctl_tcp_synack_retries" (TCP_SYNCNT wins).
  return l.opts.syn_count && *l.opts.syn_count > 0 ? *l.opts.syn_count : profile_.synack_retries;
}

void ListenTable::on_timer(Instant now, Listener& l, Outbox& out) {
  const WheelRunning in_softirq(wheel_);  // re-armed timers see base->clk = jiffies + 1
  // Deadline order, ties in arming order: the order one ordered set of all timers gave.
  for (const RequestTimer* t = earliest_timer(l); t != nullptr && t->deadline <= now;
       t = earliest_timer(l)) {
    ConnKey key = t->key;
    expire_request(now, l, key, requests_.at(key), out);
  }
  out.touched.push_back(l.id);
}

// reqsk_timer_handler() with syn_ack_recalc() (no TCP_DEFER_ACCEPT).
void ListenTable::expire_request(Instant now, Listener& l, const ConnKey& key, Request& r,
                                 Outbox& out) {
  int max_retries = max_synack_retries(l);
  // "we reserve half of room for young embrions": when the queue is more than half full,
  // old requests get fewer retries (down to 2) the fewer young ones there are.
  if ((l.qlen << 1) > std::max<uint32_t>(8, l.backlog)) {
    uint64_t young = uint64_t{l.young} << 1;
    while (max_retries > 2) {
      if (l.qlen < young) break;
      --max_retries;
      young <<= 1;
    }
  }
  if (r.num_timeout >= max_retries) {
    // Expired: the request is dropped silently (no RST); a late ACK then finds only the
    // LISTEN socket and is answered by a reset.
    if (tracing_) {
      TimerRecord f;
      f.timer = TimerKind::synack;
      f.attempt = r.num_timeout;
      f.limit = static_cast<uint32_t>(max_retries);
      f.ran = backoff(profile_.rto_initial, r.num_timeout, profile_.rto_max);
      f.elapsed = now - r.synack_sent;
      f.gives_up = true;
      f.seq = r.iss.raw();
      note_timer(key, f, out);
    }
    remove_request(l, key, StateCause::synack_retries_exhausted, out);
    return;
  }
  retransmit_synack(now, key, r, out);  // also for `acked` requests: the ACK may find room later
  const Duration ran = backoff(profile_.rto_initial, r.num_timeout, profile_.rto_max);
  if (r.num_timeout++ == 0) --l.young;
  // reqsk_timeout(): min(req->timeout << num_timeout, TCP_RTO_MAX), after the increment.
  Duration timeout = backoff(profile_.rto_initial, r.num_timeout, profile_.rto_max);
  if (tracing_) {
    TimerRecord f;
    f.timer = TimerKind::synack;
    f.attempt = r.num_timeout;
    f.limit = static_cast<uint32_t>(max_retries);
    f.ran = ran;
    f.next = timeout;
    f.elapsed = now - r.synack_sent;
    f.backoff = r.num_timeout;
    f.seq = r.iss.raw();
    note_timer(key, f, out);
  }
  arm(l, key, r, now, timeout);
}

void ListenTable::retransmit_synack(Instant now, const ConnKey& key, Request& r, Outbox& out) {
  // inet_rtx_syn_ack(): same ISN; counted as TCPSynRetrans.
  if (r.num_retrans < UINT8_MAX) ++r.num_retrans;
  ++counters_.synack_retransmits;
  Packet p = synack(key, r.iss, r.irs, r.syn_opts, r.ts_recent, now);
  p.retransmission = r.num_retrans;
  out.packets.push_back(p);
}

std::optional<Instant> ListenTable::next_deadline(const Listener& l) {
  return l.timers.next_deadline();  // exact: every FIFO head is live
}

void ListenTable::remove_request(Listener& l, const ConnKey& key, std::optional<StateCause> cause,
                                 Outbox& out) {
  auto it = requests_.find(key);
  Request& r = it->second;
  disarm(l, r);
  // reqsk_queue_removed(): a request whose timer never fired was still young.
  if (r.num_timeout == 0) --l.young;
  --l.qlen;
  if (cause) note_state(key, State::syn_received, State::closed, *cause, out);
  requests_.erase(it);
  note_counter(l, "syn_queue", l.qlen, out);
  out.touched.push_back(l.id);
}

// --- Accept queue -----------------------------------------------------------------------------

void ListenTable::push_child(Listener& l, SocketId child, Outbox& out) {
  l.accept_queue.push_back(child);
  note_counter(l, "accept_queue", l.accept_queue.size(), out);
}

std::optional<SocketId> ListenTable::pop_child(Listener& l, Outbox& out) {
  if (l.accept_queue.empty()) return std::nullopt;
  SocketId id = l.accept_queue.front();
  l.accept_queue.pop_front();
  note_counter(l, "accept_queue", l.accept_queue.size(), out);
  return id;
}

void ListenTable::forget_child(SocketId listener, SocketId child) {
  Listener* l = by_id(listener);
  if (l == nullptr) return;
  auto it = std::find(l->accept_queue.begin(), l->accept_queue.end(), child);
  if (it != l->accept_queue.end()) l->accept_queue.erase(it);
}

std::vector<SocketId> ListenTable::close(SocketId id, Outbox& out) {
  auto it = listeners_.find(id);
  if (it == listeners_.end()) return {};
  Listener& l = it->second;
  // Requests die with their listener without a word (reqsk_timer_handler() and
  // tcp_v4_rcv() drop requests of a listener that left LISTEN); a later ACK meets a closed
  // port and gets a reset. Deadline order keeps the trace deterministic.
  std::vector<RequestTimer> live;
  live.reserve(l.timers.live);
  for (const RequestTimers::Fifo& f : l.timers.fifos)
    for (const RequestTimer& t : f.entries)
      if (timer_live(t)) live.push_back(t);
  std::sort(live.begin(), live.end());
  for (const RequestTimer& t : live) {
    note_state(t.key, State::syn_received, State::closed, StateCause::listener_closed, out);
    requests_.erase(t.key);
  }
  std::vector<SocketId> children(l.accept_queue.begin(), l.accept_queue.end());
  by_port_.erase(l.port);
  listeners_.erase(it);
  return children;
}

void ListenTable::clear(Outbox& out) {
  if (tracing_) {
    std::vector<ConnKey> keys;  // in a fixed order, not the hash map's
    for (const auto& [key, r] : requests_)
      keys.push_back(key);
    std::sort(keys.begin(), keys.end(), [](const ConnKey& a, const ConnKey& b) {
      return std::tie(a.local, a.remote) < std::tie(b.local, b.remote);
    });
    for (const ConnKey& k : keys)
      note_state(k, State::syn_received, State::closed, StateCause::host_crashed, out);
  }
  listeners_.clear();
  by_port_.clear();
  requests_.clear();
  cookies_.rekey(rng_);
}

// --- Output helpers -----------------------------------------------------------------------------

// syncookies.c: the TSval's 6 low bits of a cookie SYN-ACK: | ECN | SACK | wscale (0xf none) |.
namespace {
constexpr uint32_t kTsOptWscaleMask = 0xf;  // TS_OPT_WSCALE_MASK
constexpr uint32_t kTsOptSack = 1u << 4;    // TS_OPT_SACK
constexpr uint32_t kTsBits = 6;             // TSBITS

// cookie_init_timestamp(): the ms clock with its low bits replaced by the options, never
// ahead of the clock (later TSvals must not go back).
uint32_t cookie_init_timestamp(uint8_t opts, uint32_t ts_now) {
  uint32_t options = (opts & kSynWs) ? static_cast<uint32_t>(opts >> 4) : kTsOptWscaleMask;
  if (opts & kSynSack) options |= kTsOptSack;
  uint32_t ts = (ts_now >> kTsBits) << kTsBits | options;
  if (ts > ts_now) ts -= 1u << kTsBits;
  return ts;
}
}  // namespace

std::optional<uint8_t> ListenTable::cookie_options(const ConnKey& key, const Segment& ack) const {
  // tcp_parse_options() sees no timestamp (none, or tcp_timestamps 0): tcp_clear_options(),
  // the connection has the MSS only.
  if (!ack.options.timestamps || !profile_.timestamps) return uint8_t{0};
  uint32_t options = ack.options.timestamps->second;
  // cookie_tcp_check(): the TSecr less our offset towards the peer, as for the SYN-ACK.
  if (options != 0) options -= ts_off(key);
  uint8_t bits = kSynTs;
  if (options & kTsOptSack) {
    if (!profile_.sack) return std::nullopt;
    bits |= kSynSack;
  }
  if ((options & kTsOptWscaleMask) == kTsOptWscaleMask) return bits;
  if (!profile_.window_scaling) return std::nullopt;
  return static_cast<uint8_t>(bits | kSynWs | (options & kTsOptWscaleMask) << 4);
}

Packet ListenTable::synack(const ConnKey& key, SeqNum iss, SeqNum irs, uint8_t opts, uint32_t tsecr,
                           Instant now, bool cookie) const {
  Packet p;
  p.src = key.local.addr;
  p.dst = key.remote.addr;
  p.tcp.src_port = key.local.port;
  p.tcp.dst_port = key.remote.port;
  p.tcp.seq = iss;
  p.tcp.ack = irs + 1;
  p.tcp.flags = TcpFlags(TcpFlags::SYN | TcpFlags::ACK);
  // Our own MSS (tcp_mss_clamp(dst_metric_advmss())), not the client's: each side announces
  // what it can receive; the listener's TCP_MAXSEG (user_mss) clamps it. tcp_synack_options(): each
  // other option only if the SYN offered it and our sysctl allows it (RFC 7323 §1.3, RFC 2018 §2);
  // TSecr echoes the SYN's TSval.
  p.tcp.options.mss = profile_.mss;
  SocketOptions lopts;
  if (auto bp = by_port_.find(key.local.port); bp != by_port_.end()) {
    const Listener* l = by_id(bp->second);
    if (l) lopts = l->opts;
    if (l && l->opts.maxseg != 0) p.tcp.options.mss = std::min(profile_.mss, l->opts.maxseg);
  }
  // tcp_openreq_init_rwin(): the listener's buffer rounded down to the MSS less the timestamp
  // option when the SYN had one (45 x 1448 = 65160; 44 x 1460 = 64240 without), unscaled
  // (tcp_make_synack(): min(rsk_rcv_wnd, 65535)); the shift from tcp_rmem[2].
  const InitialWindow iw = synack_rcv_window(profile_, lopts, opts);
  p.tcp.window = static_cast<uint16_t>(std::min(iw.rcv_wnd, 65535U));
  p.tcp.options.sack_permitted = (opts & kSynSack) != 0;
  if (opts & kSynTs) {
    uint32_t ts_now = static_cast<uint32_t>(now.ns() / 1'000'000);
    if (cookie) ts_now = cookie_init_timestamp(opts, ts_now);
    p.tcp.options.timestamps = {ts_now + ts_off(key), tsecr};
  }
  if (opts & kSynWs) p.tcp.options.window_scale = iw.rcv_wscale;
  return p;
}

void ListenTable::send_rst(const Packet& offending, Outbox& out) {
  if (std::optional<Packet> rst = make_reply_rst(offending)) {
    ++counters_.rst_sent;
    out.packets.push_back(*rst);
  }
}

template <typename DetailFn>
void ListenTable::drop(const Packet& p, DropReason why, Outbox& out, DetailFn detail) {
  // The detail only feeds the trace: not formatted when tracing is off (a SYN flood path).
  out.drops.push_back(DropNote{p, why, tracing_ ? detail() : std::string()});
}

// A request's state changes through the same table as a connection's (transitions.hpp).
void ListenTable::note_state(const ConnKey& key, State from, State to, StateCause cause,
                             Outbox& out) {
  transition(from, to, cause, StateOwner{kNoSocket, key.local, key.remote}, tracing_, counters_,
             out);
}

void ListenTable::note_timer(const ConnKey& key, const TimerRecord& fired, Outbox& out) {
  if (!tracing_) return;
  TraceNote n;
  n.kind = TraceNote::Kind::timer;
  n.local = key.local;
  n.remote = key.remote;
  n.fired = fired;
  out.trace.push_back(std::move(n));
}

void ListenTable::note_counter(const Listener& l, std::string_view name, size_t value,
                               Outbox& out) {
  if (!tracing_) return;
  TraceNote n;
  n.kind = TraceNote::Kind::counter;
  n.socket = l.id;
  n.local = SocketAddr{primary_, l.port};
  n.counter = std::string(name);
  n.value = static_cast<int64_t>(value);
  out.trace.push_back(std::move(n));
}

}  // namespace netsim::tcp
