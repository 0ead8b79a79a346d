// The socket lock (docs/windows.md "The socket lock"): with the profile's `syscall_cost` or
// `copy_rate` set, a blocking send() and the read of arrived data span virtual time; the
// application owns the socket meanwhile (lock_sock()) and what arrives waits in its backlog.

#include <algorithm>
#include <utility>

#include "protocols/tcp/connection.hpp"
#include "protocols/tcp/host.hpp"
#include "protocols/tcp/tcp_info.hpp"

namespace netsim::tcp {

namespace {
// tcp_sendmsg_locked(): "if (unlikely(process_backlog >= 16)) { process_backlog = 0;
// if (sk_flush_backlog(sk)) goto restart; }" before each new skb.
constexpr uint32_t kSkbsPerFlush = 16;
}  // namespace

TcpHost::Lock* TcpHost::lock(SocketId s) {
  auto it = locks_.find(s);
  return it == locks_.end() ? nullptr : &it->second;
}

bool TcpHost::owned(SocketId s) const {
  auto it = locks_.find(s);
  return it != locks_.end() && it->second.owned();
}

// copy_rate is in MB/s: 1 byte per µs per MB/s, rounded up to the nanosecond.
Duration TcpHost::copy_time(uint64_t bytes) const {
  const uint64_t rate = stack_.profile().copy_rate;
  if (rate == 0) return Duration::zero();
  return Duration::nanoseconds(static_cast<int64_t>((bytes * 1000 + rate - 1) / rate));
}

// tcp_v4_rcv(): "if (!sock_owned_by_user(sk)) ret = tcp_v4_do_rcv(sk, skb); else if
// (tcp_add_backlog(sk, skb, &drop_reason)) goto discard_and_relse;". A damaged segment is
// left to the stack, which drops it as the checksum check before tcp_add_backlog() would.
bool TcpHost::backlogged(const Packet& p) {
  if (locks_.empty() || p.corrupted) return false;
  std::optional<SocketId> s = stack_.connection_for(p);
  Lock* l = s ? lock(*s) : nullptr;
  if (l == nullptr || !l->owned()) return false;
  const Connection* c = stack_.connection(*s);
  const TcpInfo info = tcp_info(*c, sim_.now());
  switch (l->backlog.add(p, backlog_limit(info.rcvbuf, info.sndbuf), info.rmem_alloc)) {
    case SocketBacklog::Added::coalesced:
      stack_.count(&Counters::TCPBacklogCoalesce);
      break;
    case SocketBacklog::Added::queued:
      break;
    case SocketBacklog::Added::dropped:
      stack_.count(&Counters::TCPBacklogDrop);
      network_.record_drop(node_, p, DropReason::queue_full,
                           "socket backlog full (tcp_add_backlog(): TCPBacklogDrop)");
      break;
  }
  return true;
}

// lock_sock(), then the syscall's own cost before tcp_sendmsg_locked() copies anything.
void TcpHost::start_write(SocketId s, Payload data, bool resumed, uint32_t flags) {
  Lock& l = locks_[s];
  l.writing = true;
  l.data = std::move(data);
  l.flags = flags;
  l.copied = 0;
  l.new_skbs = 0;
  l.result.reset();
  const Duration cost = resumed ? Duration::zero() : stack_.profile().syscall_cost;
  l.event = sim_.schedule_call_at<&TcpHost::write_step, 0u>(sim_.now() + cost, this, s);
}

std::optional<SendResult> TcpHost::take_write_result(SocketId s) {
  Lock* l = lock(s);
  if (l == nullptr || !l->result) return std::nullopt;
  std::optional<SendResult> r = std::exchange(l->result, std::nullopt);
  if (l->idle()) locks_.erase(s);
  return r;
}

// One step of tcp_sendmsg_locked()'s loop: copy `skbs` skbs (0: none, the first step), then
// learn what the next one takes. Before a new skb the backlog is flushed every 16 new skbs;
// the copy of the next skb takes its bytes' time, and the skb is queued (and pushed) when its
// copy is done.
void TcpHost::write_step(SocketId s, uint32_t skbs) {
  Lock* l = lock(s);
  if (l == nullptr || !l->writing) return;
  sync_tracing();
  WriteSlice slice{skbs, l->copied > 0};
  Outbox& out = take_outbox();
  const Payload rest = l->data.slice(l->copied, l->data.size() - l->copied);
  const SendResult r = stack_.write(sim_.now(), s, rest, out, l->flags, &slice);
  l->copied += r.accepted;
  submit(out);
  l = lock(s);
  if (l == nullptr) return;
  if (r.error != SocketError::none || !slice.paused) {
    finish_write(s, r.error);
    return;
  }
  if (slice.new_skb) {
    if (l->new_skbs >= kSkbsPerFlush) {
      l->new_skbs = 0;
      if (!l->backlog.empty()) {  // sk_flush_backlog() -> "goto restart": ask again
        flush_backlog(s);
        write_step(s, 0);
        return;
      }
    }
    ++l->new_skbs;
  }
  l->event =
      sim_.schedule_call_at<&TcpHost::write_step, 1u>(sim_.now() + copy_time(slice.next), this, s);
}

// The send() returns (tcp_sendmsg(): release_sock()); a write that copied something reports
// its count, not a later error (do_error: "if (copied) goto out"). The application hears it
// through on_writable and takes the result.
void TcpHost::finish_write(SocketId s, SocketError e) {
  release_sock(s, true);
  Lock* l = lock(s);
  if (l == nullptr) return;
  l->result = SendResult{static_cast<size_t>(l->copied), l->copied > 0 ? SocketError::none : e};
  l->data = Payload();
  Outbox& out = take_outbox();
  AppNotice n;
  n.kind = AppNotice::Kind::writable;
  n.socket = s;
  out.notices.push_back(std::move(n));
  submit(out);
}

// __release_sock(): each skb of the backlog through tcp_v4_do_rcv() in arrival order, again
// while more came; then tcp_release_cb() runs a timer that fired meanwhile (the write timer,
// the delayed ACK: TCP_WRITE_TIMER_DEFERRED, TCP_DELACK_TIMER_DEFERRED).
void TcpHost::flush_backlog(SocketId s) {
  for (Lock* l = lock(s); l != nullptr && !l->backlog.empty(); l = lock(s)) {
    for (const Packet& p : l->backlog.take()) {
      Outbox& out = take_outbox();
      stack_.on_packet(sim_.now(), p, out);
      submit(out);
    }
  }
  Lock* l = lock(s);
  if (l == nullptr || !l->timer_deferred) return;
  l->timer_deferred = false;
  Outbox& out = take_outbox();
  stack_.on_timer(sim_.now(), s, out);
  submit(out);
}

// release_sock(): the backlog, tcp_release_cb(), then the call (the writer's or the reader's)
// no longer owns the socket; data delivered meanwhile is the reader's next read.
void TcpHost::release_sock(SocketId s, bool writer) {
  flush_backlog(s);
  Lock* l = lock(s);
  if (l == nullptr) return;
  (writer ? l->writing : l->reading) = false;
  if (l->read_bytes > 0) readers_.push_back(s);
}

// Data handed to an auto-reading application: its read() copies it, after the call's cost,
// owning the socket meanwhile (tcp_recvmsg() under lock_sock()).
void TcpHost::note_read(SocketId s, size_t bytes) {
  Lock& l = locks_[s];
  if (l.read_bytes == 0 && !l.owned()) readers_.push_back(s);
  l.read_bytes += bytes;
}

// Each call copies at most the app's read size (Connection::auto_read_size()); what it leaves
// is the next call's, which starts after release_sock() (end_read()) and pays its own cost.
void TcpHost::start_reads() {
  std::vector<SocketId> ids = std::exchange(readers_, {});
  for (SocketId s : ids) {
    Lock* l = lock(s);
    if (l == nullptr || l->owned() || l->read_bytes == 0) continue;
    const Connection* c = stack_.connection(s);
    const uint64_t len = c != nullptr ? c->auto_read_size() : kAutoReadSize;
    l->reading = true;
    l->copying = std::min(l->read_bytes, len);
    l->read_bytes -= l->copying;
    const Duration span = stack_.profile().syscall_cost + copy_time(l->copying);
    l->event = sim_.schedule_call_at<&TcpHost::end_read>(sim_.now() + span, this, s);
  }
}

void TcpHost::end_read(SocketId s) {
  Lock* l = lock(s);
  if (l == nullptr || !l->reading) return;
  sync_tracing();
  Outbox& out = take_outbox();
  // tcp_recvmsg(): after the copy, before release_sock(); the bytes are read only now.
  stack_.cleanup_rbuf(sim_.now(), s, out, std::exchange(l->copying, 0));
  submit(out);
  release_sock(s, false);
  start_reads();
  l = lock(s);
  if (l != nullptr && l->idle()) locks_.erase(s);
}

// --- start_read(): a program's read() of the receive queue (auto_read off) ---------------------

bool TcpHost::reading(SocketId s) const {
  auto it = locks_.find(s);
  return it != locks_.end() && it->second.reading;
}

// tcp_recvmsg(): lock_sock(), the call's cost, then tcp_recvmsg_locked()'s loop.
void TcpHost::start_read(SocketId s, size_t max) {
  Lock& l = locks_[s];
  l.reading = true;
  l.read_left = max;
  l.read_parts.clear();
  l.read_result.reset();
  l.event = sim_.schedule_call_at<&TcpHost::read_step>(sim_.now() + stack_.profile().syscall_cost,
                                                       this, s);
}

// One pass of tcp_recvmsg_locked()'s loop: the skbs queued now, up to what the call may still
// take, copied at copy_rate. Nothing queued (the data went with a reset): the call returns.
void TcpHost::read_step(SocketId s) {
  Lock* l = lock(s);
  if (l == nullptr || !l->reading) return;
  const Connection* c = stack_.connection(s);
  const size_t n = c == nullptr ? 0 : std::min(l->read_left, c->readable());
  if (n == 0) {
    finish_read(s);
    return;
  }
  l->read_copy = n;  // in the Lock, so the event is a member call stored in place
  l->event = sim_.schedule_call_at<&TcpHost::read_copied>(sim_.now() + copy_time(n), this, s);
}

// The copy of `n` bytes is done: they leave the queue now (skb_copy_datagram_msg(), then
// tcp_eat_recv_skb(): the window sees the room after the copy, tcp_rcv_space_adjust() counts
// them). "if (copied >= target && !sk->sk_backlog.tail) break;" else __sk_flush_backlog() and
// the loop copies what it delivered, while len > 0.
void TcpHost::read_copied(SocketId s) {
  Lock* l = lock(s);
  if (l == nullptr || !l->reading) return;
  const size_t n = l->read_copy;
  sync_tracing();
  Outbox& out = take_outbox();
  Payload p = stack_.read(sim_.now(), s, n, out);
  submit(out);
  l = lock(s);
  if (l == nullptr) return;
  l->read_left -= std::min(l->read_left, p.size());
  if (!p.empty()) l->read_parts.push_back(std::move(p));
  if (l->read_left > 0 && !l->backlog.empty()) {
    flush_backlog(s);
    read_step(s);
    return;
  }
  finish_read(s);
}

// tcp_cleanup_rbuf(sk, copied), release_sock(); the program hears the return (on_data, no bytes)
// and takes the bytes with take_read_result().
void TcpHost::finish_read(SocketId s) {
  Lock* l = lock(s);
  if (l == nullptr) return;
  std::vector<Payload> parts = std::exchange(l->read_parts, {});
  sync_tracing();
  Outbox& out = take_outbox();
  stack_.cleanup_rbuf(sim_.now(), s, out);
  submit(out);
  release_sock(s, false);
  l = lock(s);
  if (l == nullptr) return;
  l->read_result = Payload::concat(parts);
  Outbox& done = take_outbox();
  AppNotice n;
  n.kind = AppNotice::Kind::data;
  n.socket = s;
  n.read_returned = true;
  done.notices.push_back(std::move(n));
  submit(done);
}

std::optional<Payload> TcpHost::take_read_result(SocketId s) {
  Lock* l = lock(s);
  if (l == nullptr || !l->read_result) return std::nullopt;
  std::optional<Payload> r = std::exchange(l->read_result, std::nullopt);
  if (l->idle()) locks_.erase(s);
  return r;
}

}  // namespace netsim::tcp
