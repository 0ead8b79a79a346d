// Congestion control behind a small interface (RFC 5681 slow start, congestion avoidance, fast
// retransmit/recovery; RFC 6582 NewReno partial ACKs). The connection detects duplicate ACKs,
// new ACKs and timeouts and asks the controller what the window is and whether to retransmit.
// Three algorithms: newreno (Linux's default without SACK), reno, none (receiver window only).
#pragma once

#include <cstdint>
#include <memory>

#include "protocols/tcp/profile.hpp"
#include "sim/seq.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// Every quantity is in bytes of sequence space; `mss` is the sender's effective MSS.
class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual CongestionAlgo algo() const = 0;
  virtual uint32_t cwnd() const = 0;
  virtual uint32_t ssthresh() const = 0;
  virtual bool in_recovery() const = 0;
  virtual void set_mss(uint32_t mss) = 0;

  // SND.UNA advanced to `ack` by `acked` bytes; `flight_before` is what was outstanding before
  // the ACK, `flight_after` after it. Returns true when the new first unacknowledged segment
  // must be retransmitted now (a NewReno partial ACK, RFC 6582 §3.2 step 5).
  virtual bool on_new_ack(SeqNum ack, uint32_t acked, uint32_t flight_before,
                          uint32_t flight_after) = 0;
  // The `count`-th consecutive duplicate ACK (RFC 5681 §2 definition) for SND.UNA = `ack`
  // while `flight` bytes are outstanding and SND.NXT is `snd_max`. Returns true when the first
  // unacknowledged segment must be fast-retransmitted now.
  virtual bool on_dup_ack(uint32_t count, SeqNum ack, SeqNum snd_max, uint32_t flight) = 0;
  // The retransmission timer expired. `first` is false for further expiries of the same loss
  // episode, which keep ssthresh (RFC 5681 §3.1, Linux tcp_enter_loss()).
  virtual void on_timeout(uint32_t flight, SeqNum snd_max, bool first) = 0;
  // Sending resumes after `idle` without anything in flight (RFC 5681 §4.1, tcp_cwnd_restart()).
  virtual void on_idle_restart(Duration idle, Duration rto) = 0;
};

std::unique_ptr<CongestionControl> make_congestion_control(CongestionAlgo algo, uint32_t mss,
                                                           uint32_t initial_cwnd_segments,
                                                           SeqNum iss,
                                                           uint32_t start_cwnd_segments = 0);

}  // namespace netsim::tcp
