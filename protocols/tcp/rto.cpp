// Linux's RTO estimator in integer µs and jiffies; see rto.hpp for the kernel functions copied.

#include "protocols/tcp/rto.hpp"

#include <algorithm>

namespace netsim::tcp {

// tcp_rtt_estimator() line by line (Jacobson, SIGCOMM '88, with Linux's changes): the error
// moves SRTT by 1/8; the mean deviation moves by 1/4, or by 1/32 when the sample is below SRTT
// (an Eifel-like damping: a falling RTT must not raise the RTO). rttvar_us follows the largest
// deviation seen in this RTT at once, and decays by 1/4 towards it once per RTT.
void RtoEstimator::sample(Duration rtt, SeqNum snd_una, SeqNum snd_nxt) {
  int64_t m = std::max<int64_t>(rtt.ns() / 1000, 0);  // mrtt_us
  const int64_t rto_min_us = min_.ns() / 1000;        // tcp_rto_min_us()
  int64_t srtt = srtt_us8_;
  if (srtt != 0) {
    m -= srtt >> 3;  // m is now the error in the RTT estimate
    srtt += m;       // rtt = 7/8 rtt + 1/8 new
    if (m < 0) {
      m = -m - (mdev_us_ >> 2);
      if (m > 0) m >>= 3;
    } else {
      m -= mdev_us_ >> 2;
    }
    mdev_us_ += m;  // mdev = 3/4 mdev + 1/4 new
    if (mdev_us_ > mdev_max_us_) {
      mdev_max_us_ = mdev_us_;
      if (mdev_max_us_ > rttvar_us_) rttvar_us_ = mdev_max_us_;
    }
    if (snd_una > rtt_seq_) {  // after(tp->snd_una, tp->rtt_seq): one RTT has passed
      if (mdev_max_us_ < rttvar_us_) rttvar_us_ -= (rttvar_us_ - mdev_max_us_) >> 2;
      rtt_seq_ = snd_nxt;
      mdev_max_us_ = rto_min_us;
    }
  } else {
    srtt = m << 3;      // the first measurement is the RTT
    mdev_us_ = m << 1;  // "make sure rto = 3*rtt"
    rttvar_us_ = std::max(mdev_us_, rto_min_us);
    mdev_max_us_ = rttvar_us_;
    rtt_seq_ = snd_nxt;
    has_sample_ = true;
  }
  srtt_us8_ = std::max<int64_t>(1, srtt);
  rto_ = base_rto();
  backoff_ = 0;
}

Duration RtoEstimator::base_rto() const {
  if (!has_sample_) return rto_;
  // __tcp_set_rto(): usecs_to_jiffies((srtt_us >> 3) + rttvar_us); rttvar_us is never below
  // tcp_rto_min, so the RTO is at least srtt + 200 ms. icsk_rto is kept in jiffies and
  // usecs_to_jiffies() rounds up: at HZ 250 srtt 51 us gives 200.051 ms -> 51 jiffies = 204 ms
  // (what `ss -i` shows as rto:204); at HZ 1000 the same is 201 ms, at HZ 100 210 ms.
  // tcp_bound_rto() caps it at TCP_RTO_MAX.
  const uint64_t us = static_cast<uint64_t>((srtt_us8_ >> 3) + rttvar_us_);
  const KernelClock& clock = KernelClock::unphased(hz_);
  const Duration rto = clock.span(clock.usecs_to_jiffies(us));
  return std::min(rto, max_);
}

void RtoEstimator::back_off() {
  ++backoff_;
  // tcp_retransmit_timer(): icsk_rto = min(icsk_rto << 1, TCP_RTO_MAX), doubling whole jiffies
  // (204 -> 408 -> 816 ms at HZ 250).
  rto_ = std::min(rto_ * 2, max_);
}

Duration model_timeout(int boundary, Duration rto_base, Duration rto_max) {
  if (boundary < 0) boundary = 0;
  // linear_backoff_thresh = ilog2(TCP_RTO_MAX / rto_base)
  int thresh = 0;
  for (int64_t q = rto_max / rto_base; q > 1; q >>= 1)
    ++thresh;
  if (boundary <= thresh) return rto_base * ((int64_t{2} << boundary) - 1);
  return rto_base * ((int64_t{2} << thresh) - 1) + rto_max * (boundary - thresh);
}

}  // namespace netsim::tcp
