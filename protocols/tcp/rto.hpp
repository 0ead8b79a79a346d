// The retransmission timeout estimator as Linux computes it (tcp_rtt_estimator(),
// __tcp_set_rto(), tcp_bound_rto() in net/ipv4/tcp_input.c): Jacobson's SRTT and mean deviation
// in µs, a per-RTT maximum of the deviation floored at rto_min (rttvar_us), RTO = SRTT + rttvar
// rounded up to whole jiffies (icsk_rto is in jiffies), capped at rto_max, doubled on every
// expiry and re-derived on the next valid sample.
#pragma once

#include <cstdint>

#include "protocols/tcp/ca_ops.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

class RtoEstimator {
 public:
  RtoEstimator() = default;
  RtoEstimator(Duration initial, Duration min, Duration max, uint32_t hz = 250)
      : rto_(initial), min_(min), max_(max), hz_(hz) {}

  // A valid RTT measurement (Karn: never from a retransmitted segment), with snd_una after the
  // ACK and snd_nxt: rttvar decays once per RTT, when snd_una passes the snd_nxt of the last
  // decay (rtt_seq). Linux resets the backoff only here (tcp_ack_update_rtt(): "only reset
  // backoff on valid RTT measurement").
  void sample(Duration rtt, SeqNum snd_una, SeqNum snd_nxt);
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
  // tp->srtt_us itself: 8 * SRTT in µs, which TLP, RACK and pacing read with its 3 extra bits.
  int64_t srtt_us8() const { return srtt_us8_; }
  // tcpi_rtt: srtt_us >> 3.
  Duration srtt() const { return Duration::microseconds(srtt_us8_ >> 3); }
  // tcpi_rttvar: the mean deviation, mdev_us >> 2 (not the RTO's rttvar_us).
  Duration rttvar() const { return Duration::microseconds(mdev_us_ >> 2); }
  // rttvar_us: the variance term of the RTO, at least rto_min.
  Duration rto_var() const { return Duration::microseconds(rttvar_us_); }
  // The RTO the estimator gives without any backoff (what a fresh sample would keep), in whole
  // jiffies of HZ `hz_` (the host's clock; the phase plays no part in a length of time).
  Duration base_rto() const;

 private:
  // struct tcp_sock fields, in µs: srtt_us is 8 * SRTT, mdev_us 4 * the mean deviation.
  int64_t srtt_us8_ = 0;
  int64_t mdev_us_ = 0;
  int64_t mdev_max_us_ = 0;
  int64_t rttvar_us_ = 0;
  Duration rto_ = Duration::seconds(1);
  Duration min_ = Duration::milliseconds(200);
  Duration max_ = Duration::seconds(120);
  // The 4-byte fields together: 72 bytes, not 80 (one per connection).
  SeqNum rtt_seq_;
  uint32_t backoff_ = 0;
  uint32_t hz_ = 250;
  bool has_sample_ = false;
};

// Linux tcp_model_timeout() (net/ipv4/tcp_timer.c): how long `boundary` retransmissions take
// when the RTO starts at `rto_base` and doubles up to `rto_max`:
// (2^(boundary+1) - 1) * rto_base while boundary <= log2(rto_max / rto_base), then rto_max per
// further retransmission. retries2 = 15 with 200 ms gives 924.6 s.
Duration model_timeout(int boundary, Duration rto_base, Duration rto_max);

}  // namespace netsim::tcp
