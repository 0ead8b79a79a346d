// tcp_info() reads the Tcb as Linux's tcp_get_info() reads the socket (net/ipv4/tcp.c): times
// in µs or ms, the congestion window and ssthresh in segments of the send MSS.
#include "protocols/tcp/tcp_info.hpp"

#include <algorithm>

#include "protocols/tcp/tcb.hpp"

namespace netsim::tcp {
namespace {

uint32_t usec(Duration d) {
  return static_cast<uint32_t>(std::clamp<int64_t>(d.ns() / 1000, 0, UINT32_MAX));
}

// jiffies_to_msecs(now - stamp); 0 for a stamp never set or in the future.
uint32_t msec_since(Instant now, Instant stamp) {
  if (stamp == kNever || stamp > now) return 0;
  return static_cast<uint32_t>(std::min<int64_t>((now - stamp).ns() / 1'000'000, UINT32_MAX));
}

}  // namespace

uint8_t linux_state_number(State s) {
  switch (s) {
    case State::established:
      return 1;
    case State::syn_sent:
      return 2;
    case State::syn_received:
      return 3;
    case State::fin_wait_1:
      return 4;
    case State::fin_wait_2:
      return 5;
    case State::time_wait:
      return 6;
    case State::closed:
      return 7;
    case State::close_wait:
      return 8;
    case State::last_ack:
      return 9;
    case State::listen:
      return 10;
    case State::closing:
      return 11;
  }
  return 7;
}

// tcp_get_info_chrono_stats(): each chronograph's jiffies, the running one up to now, in µs
// (USEC_PER_SEC / HZ each); busy_time is their sum. (A template: Connection::Tcb is private.)
template <class Tcb>
static void fill_chrono_stats(TcpInfo& i, const Tcb& t, Instant now) {
  const KernelClock clock;
  const uint64_t us_per_jiffy = 1'000'000 / clock.hz;
  uint64_t stats[3] = {};
  for (uint8_t k = 0; k < 3 && t.sca; ++k) {
    uint64_t j = t.sca->chrono_stat[k];
    if (t.sca->chrono_type == k + 1) j += clock.jiffies(now) - t.sca->chrono_start;
    stats[k] = j * us_per_jiffy;
  }
  i.busy_time = stats[0] + stats[1] + stats[2];
  i.rwnd_limited = stats[1];
  i.sndbuf_limited = stats[2];
}

TcpInfo tcp_info(const Connection& c, Instant now) {
  const Connection::Tcb& t = *c.tcb_;
  TcpInfo i;
  i.state = linux_state_number(t.state);
  // tcp_set_ca_state(): Loss from an RTO until SND.UNA passes its high mark, Recovery during
  // fast recovery, Disorder while duplicate ACKs arrive below the threshold.
  // With SACK the sender keeps Linux's own icsk_ca_state (connection_sack.cpp).
  bool in_loss = t.loss_high > t.snd_una;
  bool in_recovery = t.cc && t.cc->in_recovery();
  i.ca_state = in_loss ? 4 : in_recovery ? 3 : t.dupacks > 0 ? 1 : 0;
  if (t.sca) {
    i.ca_state = static_cast<uint8_t>(t.sca->sk.ca_state);
    i.sacked = t.sca->loss.sacked_out();
    i.lost = t.sca->loss.lost_out();
    i.reordering = t.sca->loss.reordering();
  }
  i.retransmits = static_cast<uint8_t>(std::min<uint32_t>(t.retransmits, 255));
  bool probing = t.persist_at != kNever;
  i.probes =
      static_cast<uint8_t>(std::min<uint32_t>(probing ? t.persist_probes : t.ka_probes, 255));
  i.backoff =
      static_cast<uint8_t>(std::min<uint32_t>(probing ? t.persist_backoff : t.rto.backoff(), 255));
  i.options = static_cast<uint8_t>((t.ts_ok ? 1 : 0) | (t.sack_ok ? 2 : 0) |
                                   (t.snd_wscale || t.rcv_wscale ? 4 : 0));
  i.snd_wscale = t.snd_wscale;
  i.rcv_wscale = t.rcv_wscale;
  i.rto = usec(t.rto.rto());
  i.ato = usec(t.ato);
  i.snd_mss = t.mss;
  i.rcv_mss = t.rcv_mss;
  i.unacked = static_cast<uint32_t>(t.rtx.size());
  if (t.sca) {
    i.retrans = t.sca->loss.retrans_out();
  } else {
    for (size_t k = 0; k < t.rtx.size(); ++k) {
      if (t.rtx.at(k).retransmits > 0) ++i.retrans;
    }
  }
  i.last_data_sent = msec_since(now, t.last_send);
  i.last_data_recv = msec_since(now, t.lrcvtime);
  i.last_ack_recv = msec_since(now, t.last_rcv);
  i.rtt = usec(t.rto.srtt());
  i.rttvar = usec(t.rto.rttvar());
  if (t.mss > 0) {
    i.snd_cwnd = t.cwnd_bytes() / t.mss;
    uint32_t ss = t.ssthresh_bytes();
    // The controller's "infinite" is half of UINT32_MAX bytes; Linux reports 0x7fffffff.
    if (ss < UINT32_MAX / 2) i.snd_ssthresh = ss / t.mss;
  }
  i.advmss = static_cast<uint32_t>(t.prof().mss - (t.ts_ok ? 12 : 0));
  i.total_retrans = static_cast<uint32_t>(t.stats.retransmits);
  i.snd_wnd = t.snd_wnd;
  // tcp_get_info(): tp->rcv_wnd, the size of the last window offered (from rcv_wup).
  i.rcv_wnd = t.synchronized() ? static_cast<uint32_t>(std::max(t.rcv_adv - t.rcv_wup, 0)) : 0;
  i.rcv_ssthresh = t.rcv_ssthresh;
  i.rcv_rtt = t.drs ? t.drs->rtt_us8 >> 3 : 0;
  // rcvq_space.space: tcp_init_buffer_space()'s min(rcv_ssthresh, rcv_wnd, 10 * advmss) until
  // the first data makes the DRS state.
  if (t.drs)
    i.rcv_space = t.drs->space;
  else if (t.synchronized())
    i.rcv_space = std::min({t.rcv_ssthresh, i.rcv_wnd, 10 * t.advmss()});
  i.bytes_acked = t.stats.bytes_sent;
  i.bytes_received = t.stats.bytes_received;
  // tcp_get_info(): max_t(int, 0, write_seq - snd_nxt).
  i.notsent_bytes = t.write_seq > t.snd_nxt ? static_cast<uint32_t>(t.write_seq - t.snd_nxt) : 0;
  fill_chrono_stats(i, t, now);
  i.sndbuf = t.sk_sndbuf;
  i.wmem_queued = t.wmem_queued();
  i.rcvbuf = t.rcv_space();
  i.rmem_alloc = t.rmem_alloc();
  i.snd_nxt = t.snd_nxt;
  i.rcv_nxt = t.rcv_nxt;
  return i;
}

std::vector<std::pair<std::string_view, int64_t>> TcpInfo::fields() const {
  return {{"tcpi_state", state},
          {"tcpi_ca_state", ca_state},
          {"tcpi_retransmits", retransmits},
          {"tcpi_probes", probes},
          {"tcpi_backoff", backoff},
          {"tcpi_options", options},
          {"tcpi_snd_wscale", snd_wscale},
          {"tcpi_rcv_wscale", rcv_wscale},
          {"tcpi_rto", rto},
          {"tcpi_ato", ato},
          {"tcpi_snd_mss", snd_mss},
          {"tcpi_rcv_mss", rcv_mss},
          {"tcpi_unacked", unacked},
          {"tcpi_sacked", sacked},
          {"tcpi_lost", lost},
          {"tcpi_retrans", retrans},
          {"tcpi_last_data_sent", last_data_sent},
          {"tcpi_last_data_recv", last_data_recv},
          {"tcpi_last_ack_recv", last_ack_recv},
          {"tcpi_rcv_ssthresh", rcv_ssthresh},
          {"tcpi_rtt", rtt},
          {"tcpi_rttvar", rttvar},
          {"tcpi_snd_ssthresh", snd_ssthresh},
          {"tcpi_snd_cwnd", snd_cwnd},
          {"tcpi_advmss", advmss},
          {"tcpi_total_retrans", total_retrans},
          {"tcpi_reordering", reordering},
          {"tcpi_rcv_rtt", rcv_rtt},
          {"tcpi_rcv_space", rcv_space},
          {"tcpi_snd_wnd", snd_wnd},
          {"tcpi_rcv_wnd", rcv_wnd},
          {"tcpi_bytes_acked", static_cast<int64_t>(bytes_acked)},
          {"tcpi_bytes_received", static_cast<int64_t>(bytes_received)},
          {"tcpi_notsent_bytes", notsent_bytes},
          {"tcpi_busy_time", static_cast<int64_t>(busy_time)},
          {"tcpi_rwnd_limited", static_cast<int64_t>(rwnd_limited)},
          {"tcpi_sndbuf_limited", static_cast<int64_t>(sndbuf_limited)}};
}

}  // namespace netsim::tcp
