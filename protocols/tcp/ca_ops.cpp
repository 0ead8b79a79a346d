// The generic half of Linux congestion control (net/ipv4/tcp_cong.c, tcp_output.c cwnd
// validation and restart after idle) and Reno, the algorithm every other one falls back on.

#include "protocols/tcp/ca_ops.hpp"

#include <algorithm>

namespace netsim::tcp {

namespace {

uint32_t rto_jiffies(const CaEnv& env, Duration rto) {
  return env.clock.usecs_to_jiffies(static_cast<uint64_t>(rto.ns() / 1000));
}

bool in_cwnd_reduction(const CaSock& sk) {
  // tcp.h:tcp_in_cwnd_reduction(): TCPF_CA_CWR | TCPF_CA_Recovery.
  return sk.ca_state == CaState::cwr || sk.ca_state == CaState::recovery;
}

class RenoOps final : public CongestionOps {
 public:
  std::string_view name() const override { return "reno"; }
  void init(CaSock&, const CaEnv&) const override {}
  // tcp_cong.c:tcp_reno_ssthresh(): half the window, at least 2.
  uint32_t ssthresh(CaSock& sk) const override { return std::max(sk.snd_cwnd >> 1U, 2U); }
  // tcp_cong.c:tcp_reno_cong_avoid().
  void cong_avoid(CaSock& sk, const CaEnv&, SeqNum, uint32_t acked) const override {
    if (!tcp_is_cwnd_limited(sk)) return;
    if (tcp_in_slow_start(sk)) {
      acked = tcp_slow_start(sk, acked);
      if (acked == 0) return;
    }
    tcp_cong_avoid_ai(sk, sk.snd_cwnd, acked);
  }
  void set_state(CaSock&, const CaEnv&, CaState) const override {}
  void cwnd_event(CaSock&, const CaEnv&, CaEvent) const override {}
  void pkts_acked(CaSock&, const CaEnv&, const AckSample&) const override {}
  // tcp_cong.c:tcp_reno_undo_cwnd().
  uint32_t undo_cwnd(CaSock& sk) const override { return std::max(sk.snd_cwnd, sk.prior_cwnd); }
};

}  // namespace

const CongestionOps& reno_ops() {
  static const RenoOps ops;
  return ops;
}

const CongestionOps* find_congestion_ops(std::string_view name) {
  if (name == "reno") return &reno_ops();
  if (name == "cubic") return &cubic_ops();
  return nullptr;
}

// tcp.h:tcp_in_slow_start().
bool tcp_in_slow_start(const CaSock& sk) {
  return sk.snd_cwnd < sk.snd_ssthresh;
}

// tcp.h:tcp_is_cwnd_limited(): limited in this window, or in slow start below twice the most
// ever outstanding.
bool tcp_is_cwnd_limited(const CaSock& sk) {
  if (sk.is_cwnd_limited) return true;
  if (tcp_in_slow_start(sk)) return sk.snd_cwnd < 2 * sk.max_packets_out;
  return false;
}

// tcp_cong.c:tcp_slow_start(): grow by the delivered count up to ssthresh, return the rest.
uint32_t tcp_slow_start(CaSock& sk, uint32_t acked) {
  const uint32_t cwnd = std::min(sk.snd_cwnd + acked, sk.snd_ssthresh);
  acked -= cwnd - sk.snd_cwnd;
  sk.snd_cwnd = std::min(cwnd, sk.snd_cwnd_clamp);
  return acked;
}

// tcp_cong.c:tcp_cong_avoid_ai(): +1 per w delivered segments, credits carried over.
void tcp_cong_avoid_ai(CaSock& sk, uint32_t w, uint32_t acked) {
  if (sk.snd_cwnd_cnt >= w) {
    sk.snd_cwnd_cnt = 0;
    sk.snd_cwnd += 1;
  }
  sk.snd_cwnd_cnt += acked;
  if (sk.snd_cwnd_cnt >= w) {
    const uint32_t delta = sk.snd_cwnd_cnt / w;
    sk.snd_cwnd_cnt -= delta * w;
    sk.snd_cwnd += delta;
  }
  sk.snd_cwnd = std::min(sk.snd_cwnd, sk.snd_cwnd_clamp);
}

// tcp.h:tcp_current_ssthresh(): outside a reduction, at least 3/4 of cwnd.
uint32_t tcp_current_ssthresh(const CaSock& sk) {
  if (in_cwnd_reduction(sk)) return sk.snd_ssthresh;
  return std::max(sk.snd_ssthresh, (sk.snd_cwnd >> 1) + (sk.snd_cwnd >> 2));
}

// tcp_output.c:tcp_cwnd_validate() with tcp_cwnd_application_limited() (RFC 2861). The
// socket is taken as not send-buffer limited (SOCK_NOSPACE clear).
bool tcp_cwnd_validate(CaSock& sk, const CaEnv& env, bool is_cwnd_limited, uint32_t packets_out,
                       SeqNum& usage_seq, Duration rto, bool slow_start_after_idle) {
  if (!(env.snd_una < usage_seq) || is_cwnd_limited ||
      (!sk.is_cwnd_limited && packets_out > sk.max_packets_out)) {
    sk.is_cwnd_limited = is_cwnd_limited;
    sk.max_packets_out = packets_out;
    usage_seq = env.snd_nxt;
  }
  const uint32_t now = env.jiffies();
  if (tcp_is_cwnd_limited(sk)) {
    sk.snd_cwnd_used = 0;
    sk.snd_cwnd_stamp = now;
    return false;
  }
  sk.snd_cwnd_used = std::max(sk.snd_cwnd_used, packets_out);
  if (!slow_start_after_idle ||
      static_cast<int32_t>(now - sk.snd_cwnd_stamp) < static_cast<int32_t>(rto_jiffies(env, rto)))
    return false;
  bool applied = false;
  if (sk.ca_state == CaState::open) {
    const uint32_t win_used = std::max(sk.snd_cwnd_used, kInitCwnd);
    if (win_used < sk.snd_cwnd) {
      sk.snd_ssthresh = tcp_current_ssthresh(sk);
      sk.snd_cwnd = (sk.snd_cwnd + win_used) >> 1;
      applied = true;
    }
    sk.snd_cwnd_used = 0;
  }
  sk.snd_cwnd_stamp = now;
  return applied;
}

// tcp.h:tcp_slow_start_after_idle_check() -> tcp_output.c:tcp_cwnd_restart(): halve cwnd per
// RTO idle beyond the first, never below min(IW, cwnd).
bool tcp_slow_start_after_idle_check(CaSock& sk, const CaEnv& env, const CongestionOps& ops,
                                     uint32_t packets_out, Duration rto,
                                     bool slow_start_after_idle) {
  if (!slow_start_after_idle || packets_out != 0) return false;
  const uint32_t now = env.jiffies();
  const auto rto_j = static_cast<int32_t>(rto_jiffies(env, rto));
  int32_t delta = static_cast<int32_t>(now - sk.lsndtime);
  if (delta <= rto_j) return false;
  ops.cwnd_event(sk, env, CaEvent::cwnd_restart);
  sk.snd_ssthresh = tcp_current_ssthresh(sk);
  uint32_t cwnd = sk.snd_cwnd;
  const uint32_t restart_cwnd = std::min(kInitCwnd, cwnd);
  while ((delta -= rto_j) > 0 && cwnd > restart_cwnd)
    cwnd >>= 1;
  sk.snd_cwnd = std::max(cwnd, restart_cwnd);
  sk.snd_cwnd_stamp = now;
  sk.snd_cwnd_used = 0;
  return true;
}

void tcp_event_data_sent(CaSock& sk, const CaEnv& env, const CongestionOps& ops,
                         uint32_t in_flight) {
  if (in_flight == 0) ops.cwnd_event(sk, env, CaEvent::tx_start);
  sk.lsndtime = env.jiffies();
}

uint64_t tcp_update_pacing_rate(const CaSock& sk, int64_t srtt_us8, uint32_t mss,
                                uint32_t packets_out, uint32_t ss_ratio, uint32_t ca_ratio) {
  uint64_t rate = uint64_t{mss} * ((1'000'000 / 100) << 3);
  rate *= sk.snd_cwnd < sk.snd_ssthresh / 2 ? ss_ratio : ca_ratio;
  rate *= std::max(sk.snd_cwnd, packets_out);
  if (srtt_us8 != 0) rate /= static_cast<uint64_t>(srtt_us8);
  return rate;
}

}  // namespace netsim::tcp
