// A connection's share of the host's TCP memory (tcp_memory.hpp) as net/core/sock.c keeps it:
// the pages it holds (sk_forward_alloc rounded with the queues), the allocation check with its
// pressure decisions (__sk_mem_raise_allocated()), and what pressure does to the socket.

#include <algorithm>

#include "protocols/tcp/sockopt.hpp"  // kSockMinSndbuf
#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {

// The bytes the socket is charged for: sk_wmem_queued + sk_rmem_alloc.
uint64_t Connection::Tcb::mem_held() const {
  return released ? 0 : wmem_queued() + rmem_alloc();
}

// Since 6.0 sk_mem_uncharge() reclaims at once (sk_mem_reclaim(): every whole free page of
// sk_forward_alloc goes back, __sk_mem_reduce_allocated()), so after any call a socket holds
// exactly its bytes rounded up to pages. Growth not checked by mem_schedule() (send(), whose
// unbounded queue Linux has no equivalent of) is charged as sk_forced_mem_schedule() does:
// added, with no pressure decision.
void Connection::Tcb::mem_sync(Instant now) {
  const auto target = static_cast<uint32_t>(mem_pages_of(mem_held()));
  if (target == mem_pages) return;  // the usual case: the queues moved within their pages
  if (target > mem_pages) {
    mem().add(target - mem_pages);
  } else {
    mem().reduce(now, mem_pages - target);
  }
  mem_pages = target;
}

// sk_mem_reclaim_final() when the socket is destroyed (tcp_v4_destroy_sock()).
void Connection::Tcb::mem_release() {
  mem().reduce(last_now, mem_pages);
  mem_pages = 0;
  mem().socket_removed();
}

// sk_wmem_schedule() / sk_rmem_schedule(): `size` more bytes fit in sk_forward_alloc, or
// __sk_mem_schedule() raises it by whole pages if __sk_mem_raise_allocated() agrees.
bool Connection::Tcb::mem_schedule(Instant now, uint64_t size, MemKind kind) {
  const int64_t forward = int64_t{mem_pages} * kPageSize - static_cast<int64_t>(mem_held());
  const int64_t delta = static_cast<int64_t>(size) - forward;
  if (delta <= 0) return true;
  const int64_t amt = mem_pages_of(static_cast<uint64_t>(delta));
  // __sk_mem_schedule(sk, delta, kind): the raise sees the shortfall, not the whole size, so
  // its "wmem_queued + size >= sndbuf" test below is on the shortfall too.
  if (!mem_raise(now, static_cast<uint64_t>(delta), amt, kind)) return false;
  mem_pages += static_cast<uint32_t>(amt);
  return true;
}

// __sk_mem_raise_allocated() (6.12, without memcg): under tcp_mem[0] always, leaving pressure;
// above tcp_mem[1] pressure begins; above tcp_mem[2] refused; in between a socket under
// tcp_rmem[0] / tcp_wmem[0] is granted, and under pressure one holding less than its fair
// share (tcp_mem[2] / tcp_sockets_allocated). A refused send allocation moderates sk_sndbuf and
// is still granted when the socket is at or over its (new) sndbuf ("Fail only if socket is
// _under_ its sndbuf"): the writer then blocks on the smaller buffer instead.
bool Connection::Tcb::mem_raise(Instant now, uint64_t size, int64_t amt, MemKind kind) {
  TcpMemory m = mem();
  m.add(amt);
  const int64_t allocated = m.allocated();
  if (allocated <= m.limit(0)) {
    m.leave_pressure(now);
    return true;
  }
  if (allocated > m.limit(1)) m.enter_pressure(now);
  if (allocated <= m.limit(2)) {
    // sk_get_rmem0() / sk_get_wmem0(): tcp_rmem[0] / tcp_wmem[0].
    const int64_t held =
        kind == MemKind::recv ? int64_t{rmem_alloc()} : static_cast<int64_t>(wmem_queued());
    if (held < (kind == MemKind::recv ? prof().rmem.min : prof().wmem.min)) return true;
    if (!m.under_pressure()) return true;
    const auto sockets = static_cast<int64_t>(std::max<uint64_t>(m.sockets(), 1));
    if (m.limit(2) > sockets * (int64_t{mem_pages} + amt)) return true;
  }
  // suppress_allocation:
  if (kind == MemKind::send) {
    moderate_sndbuf();
    if (wmem_queued() + size >= sk_sndbuf) return true;
  }
  m.sub(amt);
  return false;
}

// sk_stream_moderate_sndbuf(): unless SO_SNDBUF locked it, the buffer drops to half of what
// is queued (never below SOCK_MIN_SNDBUF), so the writer waits until ACKs free it.
void Connection::Tcb::moderate_sndbuf() {
  if (opts.sndbuf != 0) return;  // SOCK_SNDBUF_LOCK
  const uint64_t val = std::min<uint64_t>(sk_sndbuf, wmem_queued() >> 1);
  sk_sndbuf = static_cast<uint32_t>(std::max<uint64_t>(val, kSockMinSndbuf));
}

// tcp.h:tcp_adjust_rcv_ssthresh(): the window's growth limit drops to 4 segments (no
// SO_RESERVE_MEM, so sk_unused_reserved_mem() is 0).
void Connection::Tcb::adjust_rcv_ssthresh() {
  rcv_ssthresh = std::min(rcv_ssthresh, 4 * advmss());
}

// tcp_under_memory_pressure().
bool Connection::Tcb::mem_pressure() const {
  return mem().under_pressure();
}

// tcp_should_expand_sndbuf(): no growth under pressure, nor while the host holds tcp_mem[0]
// or more ("soft global TCP memory pressure").
bool Connection::Tcb::mem_may_expand_sndbuf() const {
  return !mem().under_pressure() && mem().allocated() < mem().limit(0);
}

// tcp_clamp_window(): the receive buffer may grow to what the queues hold only without
// pressure and under tcp_mem[0].
bool Connection::Tcb::mem_may_grow_rcvbuf() const {
  return mem_may_expand_sndbuf();
}

// tcp_out_of_memory(): more than SOCK_MIN_SNDBUF queued to send while the host is over
// tcp_mem[2].
bool Connection::Tcb::out_of_memory() const {
  return wmem_queued() > kSockMinSndbuf && mem().allocated() > mem().limit(2);
}

// tcp_close(): "if (sk->sk_state != TCP_CLOSE) { if (tcp_check_oom(sk, 0)) {" the orphan is
// closed at once with a RST (tcp_send_active_reset(), SK_RST_REASON_TCP_ABORT_ON_MEMORY) and
// TCPAbortOnMemory; the kernel logs "out of memory -- consider tuning tcp_mem".
bool Connection::Tcb::close_on_oom(Instant now, Outbox& out) {
  if (state == State::closed) return false;
  mem_sync(now);
  if (!out_of_memory()) return false;
  ++ctx.counters->TCPAbortOnMemory;
  send_active_rst(now, out);
  enter_closed(now, StateCause::close, SocketError::none, out);
  return true;
}

// tcp_timer.c:tcp_out_of_resources() for an orphan, on the retransmission timer
// (tcp_write_timeout()) and the probe timer (tcp_probe_timer()): over tcp_mem[2] with more
// than SOCK_MIN_SNDBUF queued (tcp_check_oom()) the orphan is done (tcp_done()), with a RST
// when asked or when it sent within TCP_TIMEWAIT_LEN or the window is closed with nothing in
// flight; TCPAbortOnMemory. (The too-many-orphans half of tcp_check_oom() is not modelled.)
bool Connection::Tcb::orphan_out_of_resources(Instant now, bool do_reset, StateCause cause,
                                              Outbox& out) {
  if (!orphaned) return false;
  mem_sync(now);
  if (!out_of_memory()) return false;
  if (now - last_send <= prof().time_wait || (snd_wnd == 0 && packets_out() == 0)) do_reset = true;
  if (do_reset) send_active_rst(now, out);
  ++ctx.counters->TCPAbortOnMemory;
  enter_closed(now, cause, SocketError::none, out);
  return true;
}

}  // namespace netsim::tcp
