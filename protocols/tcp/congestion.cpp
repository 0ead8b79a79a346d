// NewReno, Reno and "none" behind CongestionControl. Growth follows Linux's tcp_reno_cong_avoid()
// (slow start counts every acknowledged byte up to ssthresh, then one MSS per window of acked
// bytes); loss reactions follow RFC 5681 §3.1-3.2 and RFC 6582 §3.2.

#include "protocols/tcp/congestion.hpp"

#include <algorithm>
#include <limits>

namespace netsim::tcp {

namespace {

constexpr uint32_t kInfinite = std::numeric_limits<uint32_t>::max() / 2;

// Shared state and the parts Reno and NewReno have in common.
class Rfc5681 : public CongestionControl {
 public:
  // `iw`: the restart window (tcp_cwnd_restart()'s tcp_init_cwnd()); `start`: the first cwnd,
  // which tcp_init_transfer() may have cut to 1 after SYN retransmissions.
  Rfc5681(uint32_t mss, uint32_t iw, SeqNum iss, uint32_t start)
      : mss_(mss), iw_segments_(iw), cwnd_(start * mss), recover_(iss) {}

  uint32_t cwnd() const override { return cwnd_; }
  uint32_t ssthresh() const override { return ssthresh_; }
  bool in_recovery() const override { return in_recovery_; }
  void set_mss(uint32_t mss) override {
    mss_ = mss;
    cwnd_ = std::max(cwnd_, mss_);
  }

  bool on_new_ack(SeqNum ack, uint32_t acked, uint32_t flight_before,
                  uint32_t flight_after) override {
    if (in_recovery_) return on_recovery_ack(ack, acked, flight_after);
    grow(acked, flight_before);
    return false;
  }

  bool on_dup_ack(uint32_t count, SeqNum ack, SeqNum snd_max, uint32_t flight) override {
    if (in_recovery_) {
      // RFC 5681 §3.2 step 4: every further duplicate ACK means a segment left the network.
      cwnd_ += mss_;
      return false;
    }
    if (count != 3 || !may_enter_recovery(ack)) return false;
    // RFC 5681 §3.2 steps 2-3, equation (4).
    ssthresh_ = std::max(flight / 2, 2 * mss_);
    cwnd_ = ssthresh_ + 3 * mss_;
    recover_ = snd_max;
    in_recovery_ = true;
    bytes_acked_ = 0;
    return true;
  }

  void on_timeout(uint32_t flight, SeqNum snd_max, bool first) override {
    if (first) ssthresh_ = std::max(flight / 2, 2 * mss_);
    cwnd_ = mss_;        // RFC 5681 §3.1: the loss window is one segment
    recover_ = snd_max;  // RFC 6582 §4: no fast retransmit for data sent before the timeout
    in_recovery_ = false;
    bytes_acked_ = 0;
  }

  void on_idle_restart(Duration idle, Duration rto) override {
    // tcp_cwnd_restart(): ssthresh keeps 3/4 of the old window, cwnd halves per idle RTO
    // down to the initial window.
    uint32_t restart = std::min(iw_segments_ * mss_, cwnd_);
    ssthresh_ = std::max(ssthresh_, (cwnd_ >> 1) + (cwnd_ >> 2));
    uint32_t c = cwnd_;
    for (Duration d = idle - rto; d > Duration::zero() && c > restart; d -= rto)
      c >>= 1;
    cwnd_ = std::max(c, restart);
  }

 protected:
  virtual bool on_recovery_ack(SeqNum ack, uint32_t acked, uint32_t flight_after) = 0;
  virtual bool may_enter_recovery(SeqNum ack) const = 0;

  // Slow start and congestion avoidance, only while the window is what limits the sender
  // (Linux tcp_is_cwnd_limited(); RFC 7661's concern about growing an unused window).
  void grow(uint32_t acked, uint32_t flight_before) {
    if (cwnd_ < ssthresh_) {
      if (cwnd_ >= 2 * flight_before) return;
      uint32_t next = std::min(cwnd_ + acked, ssthresh_);
      acked -= next - cwnd_;
      cwnd_ = next;
      if (acked == 0) return;
    } else if (flight_before + mss_ <= cwnd_) {
      return;
    }
    bytes_acked_ += acked;
    while (bytes_acked_ >= cwnd_) {
      bytes_acked_ -= cwnd_;
      cwnd_ += mss_;
    }
  }

  uint32_t mss_;
  uint32_t iw_segments_;
  uint32_t cwnd_;
  uint32_t ssthresh_ = kInfinite;
  uint32_t bytes_acked_ = 0;
  SeqNum recover_;
  bool in_recovery_ = false;
};

class NewReno final : public Rfc5681 {
 public:
  using Rfc5681::Rfc5681;
  CongestionAlgo algo() const override { return CongestionAlgo::newreno; }

 protected:
  // RFC 6582 §3.2 step 2: fast retransmit only when the ACK covers everything that was
  // outstanding when the previous recovery or timeout began (avoids repeated reductions).
  bool may_enter_recovery(SeqNum ack) const override { return ack >= recover_; }

  bool on_recovery_ack(SeqNum ack, uint32_t acked, uint32_t flight_after) override {
    if (ack >= recover_) {
      // Full ACK, step 3 option (1): cwnd = min(ssthresh, FlightSize + SMSS).
      cwnd_ = std::min(ssthresh_, std::max(flight_after, mss_) + mss_);
      in_recovery_ = false;
      return false;
    }
    // Partial ACK, step 5: retransmit the next hole, deflate by the newly acked amount and
    // add back one SMSS when at least one SMSS was acknowledged.
    cwnd_ = cwnd_ > acked ? cwnd_ - acked : 0;
    if (acked >= mss_) cwnd_ += mss_;
    cwnd_ = std::max(cwnd_, mss_);
    return true;
  }
};

class Reno final : public Rfc5681 {
 public:
  using Rfc5681::Rfc5681;
  CongestionAlgo algo() const override { return CongestionAlgo::reno; }

 protected:
  bool may_enter_recovery(SeqNum) const override { return true; }
  // RFC 5681 §3.2 step 6: the first new ACK ends recovery; further holes wait for three more
  // duplicate ACKs or the timer.
  bool on_recovery_ack(SeqNum, uint32_t, uint32_t) override {
    cwnd_ = ssthresh_;
    in_recovery_ = false;
    return false;
  }
};

// No congestion control: the receiver's window alone limits the sender. Loss recovery still
// happens (fast retransmit on three duplicate ACKs, NewReno-style partial ACKs), but no
// window is ever reduced.
class NoCongestionControl final : public CongestionControl {
 public:
  explicit NoCongestionControl(SeqNum iss) : recover_(iss) {}
  CongestionAlgo algo() const override { return CongestionAlgo::none; }
  uint32_t cwnd() const override { return kInfinite; }
  uint32_t ssthresh() const override { return kInfinite; }
  bool in_recovery() const override { return in_recovery_; }
  void set_mss(uint32_t) override {}
  bool on_new_ack(SeqNum ack, uint32_t, uint32_t, uint32_t) override {
    if (!in_recovery_) return false;
    if (ack >= recover_) {
      in_recovery_ = false;
      return false;
    }
    return true;
  }
  bool on_dup_ack(uint32_t count, SeqNum ack, SeqNum snd_max, uint32_t) override {
    if (in_recovery_ || count != 3 || ack < recover_) return false;
    recover_ = snd_max;
    in_recovery_ = true;
    return true;
  }
  void on_timeout(uint32_t, SeqNum snd_max, bool) override {
    recover_ = snd_max;
    in_recovery_ = false;
  }
  void on_idle_restart(Duration, Duration) override {}

 private:
  SeqNum recover_;
  bool in_recovery_ = false;
};

}  // namespace

std::unique_ptr<CongestionControl> make_congestion_control(CongestionAlgo algo, uint32_t mss,
                                                           uint32_t initial_cwnd_segments,
                                                           SeqNum iss,
                                                           uint32_t start_cwnd_segments) {
  uint32_t iw = std::max<uint32_t>(initial_cwnd_segments, 1);
  uint32_t start = start_cwnd_segments != 0 ? start_cwnd_segments : iw;
  switch (algo) {
    case CongestionAlgo::newreno:
    case CongestionAlgo::cubic:  // without SACK: Linux's tcp_is_reno() recovery, as NewReno
      return std::make_unique<NewReno>(mss, iw, iss, start);
    case CongestionAlgo::reno:
      return std::make_unique<Reno>(mss, iw, iss, start);
    case CongestionAlgo::none:
      return std::make_unique<NoCongestionControl>(iss);
  }
  return std::make_unique<NewReno>(mss, iw, iss, start);
}

}  // namespace netsim::tcp
