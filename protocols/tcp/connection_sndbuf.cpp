// The send buffer's size and accounting as Linux keeps them: sk_sndbuf from tcp_wmem, grown by
// tcp_sndbuf_expand() at ESTABLISHED and on ACKs while a writer waits (tcp_new_space()), and
// the bounded write that copies only what sk_stream_memory_free() allows (tcp_sendmsg_locked()).

#include <algorithm>

#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {

// tcp_send_mss() -> tcp_xmit_size_goal(): the skb size a write fills.
uint32_t Connection::Tcb::size_goal() const {
  return tcp_xmit_size_goal(current_mss(), max_snd_wnd);
}

// tp->rx_opt.mss_clamp: the peer's MSS option (TCP_MSS_DEFAULT without one), bounded by
// TCP_MAXSEG (tcp_parse_options()); before timestamps take their 12 bytes.
uint32_t Connection::Tcb::mss_clamp() const {
  return opts.maxseg != 0 ? std::min(peer_mss, opts.maxseg) : peer_mss;
}

// sk_wmem_queued: every queued byte (acknowledged bytes leave it, tcp_clean_rtx_queue() and
// tcp_trim_head() give back exactly the bytes) plus kSkbEmptyTruesize per skb: the write
// queue's unsent skbs (writes not yet cut into skbs, from send(), are counted as the size_goal
// skbs they become) and one per GSO piece sent (tso_fragment() allocates the split-off rest,
// tcp_grow_skb() frees an eaten one; RtxQueue::skbs()).
uint64_t Connection::Tcb::wmem_queued() const {
  const SeqNum cut = wq.empty() ? snd_nxt : seq_max(wq.back_end(), snd_nxt);
  uint64_t uncut = write_seq > cut ? static_cast<uint32_t>(write_seq - cut) : 0;
  uint64_t skbs = wq.size() + rtx.skbs();
  if (uncut > 0) {  // the size goal only when there is something to cut (usually nothing)
    const uint64_t goal = std::max<uint32_t>(size_goal(), 1);
    skbs += (uncut + goal - 1) / goal;
  }
  return sndbuf.size() + skbs * kSkbEmptyTruesize;
}

// tcp_init_buffer_space(): unless SO_SNDBUF locked it, the buffer is sized for the initial
// window at ESTABLISHED (87040 at MSS 1460: 2 * 10 * 4352).
void Connection::Tcb::sndbuf_init_expand() {
  if (opts.sndbuf != 0) return;  // SOCK_SNDBUF_LOCK
  uint32_t cwnd = std::max<uint32_t>(
      sack_path() && sca ? sca->sk.snd_cwnd : cwnd_bytes() / std::max<uint16_t>(mss, 1), 1);
  uint32_t reo = sca ? sca->loss.reordering() : 3;
  sk_sndbuf = sndbuf_expand(sk_sndbuf, std::max<uint32_t>(mss_clamp(), mss), cwnd, reo,
                            static_cast<uint32_t>(prof().wmem.max));
}

// tcp_check_space() -> tcp_new_space() after an ACK was processed and after new data left
// (tcp_event_new_data_sent(); not within a write, see write()): only once a writer found
// the buffer full (SOCK_NOSPACE). The buffer grows to the current window while the sender is
// not cwnd-limited (tcp_should_expand_sndbuf(): in_flight < cwnd), not locked and the host
// not short of TCP memory (connection_mem.cpp mem_may_expand_sndbuf()); the writer
// hears `writable` once a third of the buffer is free (sk_stream_write_space()).
void Connection::Tcb::check_space(Outbox& out) {
  if (!snd_nospace) return;
  if (opts.sndbuf == 0 && mem_may_expand_sndbuf()) {
    const uint32_t cwnd =
        sack_path() && sca ? sca->sk.snd_cwnd : cwnd_bytes() / std::max<uint16_t>(mss, 1);
    const uint32_t in_flight = sack_path() && sca ? lr().in_flight(packets_out()) : packets_out();
    if (in_flight < cwnd) {
      uint32_t reo = sca ? sca->loss.reordering() : 3;
      sk_sndbuf = sndbuf_expand(sk_sndbuf, std::max<uint32_t>(mss_clamp(), mss), cwnd, reo,
                                static_cast<uint32_t>(prof().wmem.max));
    }
  }
  write_space(out);
  if (!snd_nospace) chrono_stop_type(last_now, 3);  // TCP_CHRONO_SNDBUF_LIMITED
}

// sk_stream_write_space(): once writeable, SOCK_NOSPACE is cleared and the writer woken.
void Connection::Tcb::write_space(Outbox& out) {
  if (!snd_nospace || !writeable()) return;
  snd_nospace = false;
  notify(AppNotice::Kind::writable, out);
}

// tcp.h:tcp_notsent_lowat(): the socket's TCP_NOTSENT_LOWAT, else the sysctl.
uint32_t Connection::Tcb::notsent_lowat() const {
  return opts.notsent_lowat != 0 ? opts.notsent_lowat : prof().notsent_lowat;
}

// __sk_stream_memory_free(): queued below sk_sndbuf, then tcp_stream_memory_free().
bool Connection::Tcb::stream_memory_free(bool wake) const {
  return wmem_queued() < sk_sndbuf && notsent_below_lowat(unsent_data(), wake, notsent_lowat());
}

// __sk_stream_is_writeable(sk, 1): a third of the buffer free and, with TCP_NOTSENT_LOWAT,
// fewer than half the mark's bytes unsent; tcp_poll()'s EPOLLOUT and sk_stream_write_space().
bool Connection::Tcb::writeable() const {
  return sndbuf_writeable(wmem_queued(), sk_sndbuf) &&
         notsent_below_lowat(unsent_data(), true, notsent_lowat());
}

// tcp_sendmsg_locked() for a writer that does not wait. Its copy loop, one skb at a time:
// the tail skb is refilled up to size_goal WITHOUT a memory check (copy = size_goal -
// skb->len), a new skb only while sk_stream_memory_free() (new_segment:). Each skb filled to
// size_goal is pushed at once: "if (forced_push(tp)) { tcp_mark_push(); __tcp_push_pending_
// frames(sk, mss_now, TCP_NAGLE_PUSH); } else if (skb == tcp_send_head(sk)) tcp_push_one()".
// A push that sends only part of the tail (tso_fragment() at the cwnd quota or window edge)
// leaves its remainder as the tail with room again, which the loop refills: so while the
// congestion window keeps taking data, a write puts more than sk_sndbuf in flight (real Linux
// in slow start: several times tcp_wmem[2], docs/windows.md). What the loop took is returned
// (a partial count); nothing taken means EAGAIN. Running out of room sets SOCK_NOSPACE, and
// what was copied is pushed before the writer would sleep (wait_for_space: tcp_push()).
// SOCK_NOSPACE is set after that push, so its own tcp_check_space() does not wake the writer
// still in its call (sk_stream_wait_memory() sets it again before it sleeps or returns EAGAIN).
// A blocking writer goes on while stream_memory_free() holds after the push: it writes again.
// MSG_EOR and MSG_MORE act only when the call copies its last byte (tcp_sendmsg_locked()'s
// "if (!msg_data_left(msg))" and tcp_push() at out:); the push before sleeping drops MSG_MORE.
SendResult Connection::Tcb::write(Instant now, Payload data, Outbox& out, uint32_t flags,
                                  WriteSlice* slice) {
  if (SocketError e = send_check(); e != SocketError::none) return {0, e};
  // sk_stream_wait_connect(): outside ESTABLISHED and CLOSE_WAIT the writer waits for the
  // handshake (EAGAIN when it does not wait); nothing is queued before it completes.
  if (state == State::syn_sent || state == State::syn_received) return {};
  if (data.empty()) return {};
  const uint32_t goal = std::max<uint32_t>(size_goal(), 1);
  const uint64_t size = data.size();
  uint64_t copied = 0;
  const bool continued = slice != nullptr && slice->continued;  // copied before in this call
  while (copied < size) {
    sync_write_queue();  // earlier writes' bytes as skbs; drops the skbs sent in full
    const uint32_t room = wq.tail_room(snd_nxt, goal);
    // new_segment: "if (!sk_stream_memory_free(sk)) goto wait_for_space".
    if (room == 0 && !stream_memory_free(false)) break;
    const uint32_t take =
        static_cast<uint32_t>(std::min<uint64_t>(size - copied, room ? room : goal));
    // The socket lock's one hook (host_syscall.cpp, docs/windows.md): a write spanning time
    // stops before the skb its copy time has not reached; the driver flushes the backlog
    // every 16 new skbs ("if (process_backlog >= 16) sk_flush_backlog()") and calls again.
    if (slice != nullptr && slice->skbs-- == 0) {
      *slice = WriteSlice{0, slice->continued, true, take, room == 0};
      return {static_cast<uint32_t>(copied), SocketError::none};
    }
    // tcp_stream_alloc_skb()'s sk_wmem_schedule(truesize) for a new skb and the copy's
    // sk_wmem_schedule(copy), as one check (connection_mem.cpp): under memory pressure it
    // moderates sk_sndbuf; refused, the writer waits (wait_for_space).
    if (!mem_schedule(now, take + (room == 0 ? kSkbEmptyTruesize : 0), MemKind::send)) break;
    // tcp_add_write_queue_tail(): the first skb of an empty write queue starts TCP_CHRONO_BUSY.
    if (unsent_data() == 0) chrono_start_type(now, 1);
    const SeqNum from = write_seq;
    write_seq += take;
    sndbuf.append(take == size ? std::move(data) : data.slice(copied, take));
    const bool last = copied + take == size;
    const bool forced = wq.write(from, write_seq, snd_nxt, goal, max_snd_wnd, pushed_seq,
                                 copied == 0 && !continued, last, flags & kMsgModelled);
    copied += take;
    if (last) break;
    // The skb is full (skb->len == size_goal): the in-loop push, nagle off (TCP_NAGLE_PUSH).
    if (forced || wq.size() == 1) write_push(now, !forced, out);
  }
  const bool full = copied < size;
  if (copied == 0 && !continued) {
    snd_nospace = true;
    return {};
  }
  // wait_for_space: "if (copied) tcp_push(...)", which marks the tail skb (none when the
  // in-loop pushes sent everything: tcp_push() returns at once).
  if (full) {
    sync_write_queue();
    if (wq.mark_tail()) pushed_seq = write_seq;
  }
  nagle_push = false;
  const SeqNum nxt = snd_nxt;
  wq.more_push = !full && (flags & kMsgMore) != 0;  // tcp_push(): TCP_NAGLE_CORK
  if (!should_autocork(now)) transmit(now, out);    // connection_tsq.cpp
  wq.more_push = false;
  if (full) {
    snd_nospace = true;
    chrono_sndbuf_check(now, snd_nxt > nxt);  // the push of wait_for_space saw SOCK_NOSPACE
  }
  return {static_cast<uint32_t>(copied), SocketError::none};
}

// The pushes inside tcp_sendmsg_locked()'s loop, with TCP_NAGLE_PUSH: __tcp_push_pending_
// frames() sends what the windows allow; tcp_push_one() is tcp_write_xmit(push_one = 1),
// which stops after the first skb it sends, i.e. one GSO piece of the send head (the rest of
// a split skb stays queued, tso_fragment()), and sends no retransmissions.
void Connection::Tcb::write_push(Instant now, bool one, Outbox& out) {
  nagle_push = true;
  if (!one) {
    transmit(now, out);
  } else {
    const SeqNum nxt = snd_nxt;
    sync_write_queue();
    wq.piece_active = false;  // tcp_write_xmit() starts at the head skb
    uint32_t sent = 0;
    while ((sent == 0 || (wq.piece_active && snd_nxt < wq.piece_end)) && send_new_segment(now, out))
      ++sent;
    if (sack_path() && (sent > 0 || sca)) sack_after_write(now, sent);
    chrono_after_xmit(now, true, snd_nxt > nxt);
    check_probe_timer(now);
  }
  nagle_push = false;  // the flag is tcp_push_one()'s argument, not the socket's
}

}  // namespace netsim::tcp

namespace netsim::tcp {

namespace {
// enum tcp_chrono (include/linux/tcp.h).
constexpr uint8_t kChronoUnspec = 0, kChronoBusy = 1, kChronoRwnd = 2, kChronoSndbuf = 3;
}  // namespace

// tcp_output.c:tcp_chrono_set(): the time of the running chronograph goes to its total.
void Connection::Tcb::chrono_set(Instant now, uint8_t type) {
  SenderCa& c = sender();
  const uint32_t j = kclock().jiffies(now);
  if (c.chrono_type > kChronoUnspec) c.chrono_stat[c.chrono_type - 1] += j - c.chrono_start;
  c.chrono_start = j;
  c.chrono_type = type;
}

// tcp_chrono_start(): the most interesting condition wins (SNDBUF > RWND > BUSY).
void Connection::Tcb::chrono_start_type(Instant now, uint8_t type) {
  if (!sack_path()) return;  // the rfc9293 sender: no chronographs
  if (type > sender().chrono_type) chrono_set(now, type);
}

// tcp_chrono_stop(): with both queues empty nothing is timed; else a stopped current
// condition falls back to BUSY.
void Connection::Tcb::chrono_stop_type(Instant now, uint8_t type) {
  if (!sca) return;  // nothing was ever timed
  const bool fin_pending = fin_queued && !fin_sent();
  if (snd_una == snd_nxt && unsent_data() == 0 && !fin_pending) {
    chrono_set(now, kChronoUnspec);
  } else if (type == sca->chrono_type) {
    chrono_set(now, kChronoBusy);
  }
}

// tcp_cwnd_test() then tcp_snd_wnd_test() for the send head, as tcp_write_xmit() tries them:
// congestion window room but the segment beyond the peer's window.
bool Connection::Tcb::rwnd_limited_now() {
  const uint32_t unsent = unsent_data();
  const bool fin_pending = fin_queued && !fin_sent();
  if (unsent == 0 && !fin_pending) return false;
  const uint32_t len = std::min<uint32_t>(unsent, current_mss());
  const bool with_fin = fin_pending && len == unsent;
  if (snd_nxt + len + (with_fin ? 1u : 0u) <= snd_una + snd_wnd) return false;
  if (sack_path() && sca) return sack_cwnd_allows();
  return !cc || flight_size() == 0 || flight_size() + std::max<uint32_t>(len, 1) <= cc->cwnd();
}

// tcp_is_cwnd_limited() after tcp_cwnd_validate() (sack_after_write()); the byte-counted
// sender of `rfc9293` is limited once its flight fills cwnd.
bool Connection::Tcb::cwnd_limited_now() {
  if (sack_path() && sca) return tcp_is_cwnd_limited(sca->sk);
  return cc && flight_size() + mss > cc->cwnd();
}

// The end of tcp_write_xmit() (reached only with a send head: tcp_push_pending_frames()):
// RWND_LIMITED starts when the loop stopped at the peer's window and stops otherwise; and
// tcp_cwnd_validate()'s "starvation caused by insufficient sender buffer" (chrono_sndbuf_check()):
// data went out, the sender is not cwnd-limited, nothing is left unsent and a writer found the
// buffer full.
void Connection::Tcb::chrono_after_xmit(Instant now, bool had_unsent, bool sent) {
  if (!had_unsent) return;
  if (rwnd_limited_now()) {
    chrono_start_type(now, kChronoRwnd);
  } else {
    chrono_stop_type(now, kChronoRwnd);
  }
  chrono_sndbuf_check(now, sent);
}

void Connection::Tcb::chrono_sndbuf_check(Instant now, bool sent) {
  if (!sent || !snd_nospace || unsent_data() != 0 || cwnd_limited_now()) return;
  if (state == State::established || state == State::close_wait)
    chrono_start_type(now, kChronoSndbuf);
}

// tcp_clean_rtx_queue(): "if (!skb) tcp_chrono_stop(sk, TCP_CHRONO_BUSY)" once nothing is
// in flight, before the ACK's tcp_data_snd_check().
void Connection::Tcb::chrono_after_ack(Instant now) {
  if (sca && sca->chrono_type != kChronoUnspec && snd_una == snd_nxt)
    chrono_stop_type(now, kChronoBusy);
}

}  // namespace netsim::tcp
