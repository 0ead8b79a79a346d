// The retransmission timeout estimator of RFC 6298 with Linux's floor (tcp_rtt_estimator(),
// __tcp_set_rto(), tcp_bound_rto() in net/ipv4/tcp_input.c): RTO = SRTT + max(rto_min,
// 4*RTTVAR) rounded up to whole jiffies (icsk_rto is in jiffies), capped at rto_max, doubled on
// every expiry and re-derived on the next valid sample.
#pragma once

#include <cstdint>

#include "protocols/tcp/ca_ops.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

class RtoEstimator {
 public:
  RtoEstimator() = default;
  RtoEstimator(Duration initial, Duration min, Duration max)
      : rto_(initial), min_(min), max_(max) {}

  // A valid RTT measurement (Karn: never from a retransmitted segment). RFC 6298 2.2/2.3;
  // Linux resets the backoff only here (tcp_ack_update_rtt(): "only reset backoff on valid
  // RTT measurement").
  void sample(Duration rtt);
  // The RTO expired: exponential backoff (RFC 6298 5.5), capped at rto_max.
  void back_off();
  // Backoff count without doubling (linear SYN timeouts, tcp_retransmit_timer()).
  void count_backoff() { ++backoff_; }
  // tcp_init_metrics(): no RTT sample from the handshake -> TCP_TIMEOUT_FALLBACK (RFC 6298 5.7).
  void set_fallback(Duration rto) {
    rto_ = rto;
    backoff_ = 0;
  }

  Duration rto() const { return rto_; }
  uint32_t backoff() const { return backoff_; }
  bool has_sample() const { return has_sample_; }
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  // The RTO the estimator gives without any backoff (what a fresh sample would keep), in whole
  // jiffies of `clock_` (HZ lives in KernelClock only).
  Duration base_rto() const;

 private:
  Duration srtt_ = Duration::zero();
  Duration rttvar_ = Duration::zero();
  Duration rto_ = Duration::seconds(1);
  Duration min_ = Duration::milliseconds(200);
  Duration max_ = Duration::seconds(120);
  uint32_t backoff_ = 0;
  bool has_sample_ = false;
  KernelClock clock_;
};

// Linux tcp_model_timeout() (net/ipv4/tcp_timer.c): how long `boundary` retransmissions take
// when the RTO starts at `rto_base` and doubles up to `rto_max`:
// (2^(boundary+1) - 1) * rto_base while boundary <= log2(rto_max / rto_base), then rto_max per
// further retransmission. retries2 = 15 with 200 ms gives 924.6 s.
Duration model_timeout(int boundary, Duration rto_base, Duration rto_max);

}  // namespace netsim::tcp
