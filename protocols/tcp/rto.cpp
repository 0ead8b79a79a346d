// RFC 6298 RTO estimation in integer nanoseconds; see rto.hpp for the Linux details copied.

#include "protocols/tcp/rto.hpp"

#include <algorithm>

namespace netsim::tcp {

void RtoEstimator::sample(Duration rtt) {
  if (rtt < Duration::zero()) rtt = Duration::zero();
  if (!has_sample_) {
    // RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    has_sample_ = true;
  } else {
    // RFC 6298 2.3 with alpha = 1/8, beta = 1/4.
    Duration err = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (rttvar_ * 3 + err) / 4;
    srtt_ = (srtt_ * 7 + rtt) / 8;
  }
  rto_ = base_rto();
  backoff_ = 0;
}

Duration RtoEstimator::base_rto() const {
  if (!has_sample_) return rto_;
  // __tcp_set_rto(): usecs_to_jiffies((srtt_us >> 3) + rttvar_us), where Linux's rttvar (4 *
  // mdev) is floored at tcp_rto_min, so the RTO is at least srtt + 200 ms. icsk_rto is kept in
  // jiffies and usecs_to_jiffies() rounds up: at HZ 250 srtt 51 us gives 200.051 ms -> 51
  // jiffies = 204 ms (what `ss -i` shows as rto:204). tcp_bound_rto() caps it at TCP_RTO_MAX.
  const Duration var = std::max(rttvar_ * 4, min_);
  const uint64_t us = static_cast<uint64_t>(srtt_.ns() / 1000 + var.ns() / 1000);
  const Duration rto = clock_.jiffy() * static_cast<int64_t>(clock_.usecs_to_jiffies(us));
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
