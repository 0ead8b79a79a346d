// TX completion and the two send-side behaviours that hang on it, as Linux 6.12 has them:
// autocorking (net/ipv4/tcp.c tcp_should_autocork(), tcp_push()) and TCP Small Queues
// (tcp_output.c tcp_small_queue_check(), tcp_wfree(), tcp_tsq_handler(), tcp_tsq_write()).
//
// Linux counts every skb __tcp_transmit_skb() hands to IP in sk_wmem_alloc until the device
// frees it. Here an skb is "handed over" when the connection emits its last wire segment and
// "completed" when the host's first hop has sent that segment's last bit; the driver (TcpHost)
// learns that instant from the network and reports it (Stack::tx_reports()). A connection whose
// first hop has infinite bandwidth gets no report and keeps no state: nothing changes there.
// docs/windows.md#tx-completion-autocorking-and-tcp-small-queues.

#include <algorithm>

#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {

namespace {
// sk_pacing_shift's default (sk_init(): sk->sk_pacing_shift = 10): TSQ allows ~1 ms of data.
constexpr unsigned kPacingShift = 10;
}  // namespace

// __tcp_transmit_skb(): "refcount_add(skb->truesize, &sk->sk_wmem_alloc)". The truesize rides
// on the skb's last wire segment (tcp_gso_segment() moves the destructor to the last segment,
// "The callback to TCP stack will be called at the time last frag is freed at TX completion").
// `head` is the skb's first sequence number, what skb_still_in_host_queue() asks about.
void Connection::Tcb::tx_tag(Packet& p, uint32_t truesize, SeqNum head) {
  if (!prof().autocorking && prof().limit_output_bytes == 0) return;  // nothing waits for it
  p.tx_truesize = truesize;
  p.tx_socket = id;
  if (!txc) return;  // not known to be on a finite link: the driver reports only a late one
  p.tx_counted = 1;
  txc->skbs.push_back(TxCompletion::Skb{kNever, truesize, head, true});
  txc->wmem_alloc += truesize;
}

// The driver's report for one tagged segment, in the order they were emitted: when its first
// hop sends its last bit. A segment dropped there (or sent at once) completes now (kfree_skb()
// runs tcp_wfree() too).
void Connection::Tcb::tx_reported(Instant now, const TxReport& r) {
  const uint32_t truesize = r.truesize;
  const Instant done = r.done;
  if (!r.counted) {
    // Emitted before this connection knew its first hop queues: counted from now on. The
    // skb's head is its data end less its bytes (its truesize less the empty skb's).
    if (done <= now) return;
    if (!txc) txc = std::make_unique<TxCompletion>();
    const SeqNum head = r.end - (truesize - kSkbEmptyTruesize);
    txc->skbs.push_back(TxCompletion::Skb{done, truesize, head, true});
    txc->reported = txc->skbs.size();
    txc->wmem_alloc += truesize;
    wmem_alloc(now);
    return;
  }
  if (!txc || txc->reported >= txc->skbs.size()) return;
  TxCompletion::Skb& s = txc->skbs[txc->reported++];
  if (done > now) {
    s.done = done;
  } else {
    txc->wmem_alloc -= s.truesize;
    s = TxCompletion::Skb{now, 0, SeqNum{}, false};
    if (txc->throttled) txc->kick = now;
  }
  // Completed skbs leave the front here, at every report, so the deque holds only the skbs in
  // the first hop's queue even when nothing else asks (tcp_limit_output_bytes 0 and no small
  // tail to autocork: the other callers of wmem_alloc() never run).
  wmem_alloc(now);
}

// refcount_read(&sk->sk_wmem_alloc) less its initial 1, at `now`: the completions that are due
// are taken off first.
uint64_t Connection::Tcb::wmem_alloc(Instant now) {
  if (!txc) return 0;
  while (txc->reported > 0 && txc->skbs.front().done <= now) {
    txc->wmem_alloc -= txc->skbs.front().truesize;
    txc->skbs.pop_front();
    --txc->reported;
  }
  return txc->wmem_alloc;
}

// tcp_push() -> tcp_should_autocork(): the tail skb is smaller than size_goal, autocorking is
// on, the retransmission queue is not empty, an earlier skb still holds more of sk_wmem_alloc
// than the tail's truesize ("refcount_read(&sk->sk_wmem_alloc) > skb->truesize", with the
// count's initial 1) and the tail may grow (no MSG_EOR). Then the push is skipped, and
// TSQ_THROTTLED makes the earlier skb's completion push instead (TCPAutoCorking once per
// throttled period: "avoid atomic op if TSQ_THROTTLED bit is already set").
bool Connection::Tcb::should_autocork(Instant now) {
  if (!txc || !prof().autocorking || rtx.empty()) return false;
  sync_write_queue();
  if (wq.empty() || wq.tail_eor()) return false;
  const uint32_t tail = wq.tail_len(snd_nxt);
  if (tail >= size_goal()) return false;
  if (1 + wmem_alloc(now) <= uint64_t{kSkbEmptyTruesize} + tail) return false;
  if (!txc->throttled) {
    ++ctx.counters->TCPAutoCorking;
    txc->throttled = true;
  }
  return true;
}

// tcp_small_queue_check(skb, factor) before tcp_write_xmit() transmits an skb of `skb_len`
// bytes (factor 0), or tcp_xmit_retransmit_queue() retransmits one (factor 1: the limit
// doubled, "limit <<= factor"): the limit is max(2 * truesize, pacing rate >> sk_pacing_shift),
// capped by tcp_limit_output_bytes (sk_pacing_status is SK_PACING_NONE: no fq qdisc, no BBR). Above
// it the skb waits for a TX completion (TSQ_THROTTLED), unless the retransmission queue holds at
// most one skb ("No need to wait for TX completion to call us back").
bool Connection::Tcb::small_queue_holds(Instant now, uint32_t skb_len, unsigned factor) {
  if (!txc || prof().limit_output_bytes == 0) return false;
  const uint64_t truesize = uint64_t{kSkbEmptyTruesize} + skb_len;
  // sk_pacing_rate: ~0 until tcp_update_pacing_rate() first ran (0 here).
  const uint64_t rate = sca && sca->pacing_rate != 0 ? sca->pacing_rate : ~uint64_t{0};
  uint64_t limit = std::max(2 * truesize, rate >> kPacingShift);
  limit = std::min<uint64_t>(limit, prof().limit_output_bytes) << factor;
  if (1 + wmem_alloc(now) <= limit) return false;
  if (rtx.skbs() <= 1) return false;  // tcp_rtx_queue_empty_or_single_skb()
  txc->throttled = true;
  return true;
}

// __tcp_retransmit_skb() -> skb_still_in_host_queue(): the skb starting at `head` was handed
// over and its first hop has not sent it yet (skb_fclone_busy(): its clone is still queued).
// The retransmission is refused (-EBUSY) and counted (TCPSpuriousRtxHostQueues);
// TSQ_THROTTLED makes the TX completion run tcp_tsq_write(), which retries the lost ones.
// Only an skb's original head is recognised: a tail tcp_fragment() cut off is a new skb.
bool Connection::Tcb::still_in_host_queue(Instant now, SeqNum head) {
  if (!txc) return false;
  wmem_alloc(now);  // the completions that are due leave first
  for (const TxCompletion::Skb& s : txc->skbs) {
    if (!s.known || s.head != head || (s.done != kNever && s.done <= now)) continue;
    txc->throttled = true;
    ++ctx.counters->TCPSpuriousRtxHostQueues;
    return true;
  }
  return false;
}

// tcp_clean_rtx_queue() -> tcp_trim_head(): an skb acknowledged in part stays the same skb
// (skb_unclone_keeptruesize() gives it its own data, its fast clone stays busy until that
// clone's TX completion), so skb_still_in_host_queue() still knows it under its new head: on a
// first hop slower than the round trip, the rest of a GSO skb whose first segment was acked
// can still be queued.
void Connection::Tcb::tx_retag(SeqNum from, SeqNum to) {
  if (!txc) return;
  for (size_t i = 0; i < txc->skbs.size(); ++i) {
    TxCompletion::Skb& s = txc->skbs[i];
    if (s.known && s.head == from) s.head = to;
  }
}

// When a throttled connection wants to run: at its next TX completion (the earliest reported
// skb), or now after a drop.
Instant Connection::Tcb::tsq_at() const {
  if (!txc || !txc->throttled) return kNever;
  const Instant next = txc->reported > 0 ? txc->skbs.front().done : kNever;
  return std::min(txc->kick, next);
}

// tcp_wfree() of a throttled socket: TSQ_THROTTLED cleared, the tasklet's tcp_tsq_handler() ->
// tcp_tsq_write(): in the states that send data, the lost segments and then tcp_write_xmit()
// with the socket's own nonagle (TCP_NODELAY, TCP_CORK), which sends what autocorking held.
void Connection::Tcb::on_tx_completion(Instant now, Outbox& out) {
  wmem_alloc(now);
  txc->kick = kNever;
  txc->throttled = false;
  transmit(now, out);  // returns at once outside ESTABLISHED, FIN_WAIT_1, CLOSING,
                       // CLOSE_WAIT and LAST_ACK, as tcp_tsq_write() does
}

}  // namespace netsim::tcp
