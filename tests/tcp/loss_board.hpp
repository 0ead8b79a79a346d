// The sender's scoreboard driven directly, shared by the loss-recovery tests: n one-MSS
// segments from sequence 1 (segment i sent at i * 10 µs), CUBIC, ACKs fed at virtual times.
#pragma once

#include <cstdint>
#include <vector>

#include "protocols/tcp/sack_scoreboard.hpp"

namespace lossboard {

using netsim::Duration;
using netsim::Instant;
using netsim::SeqNum;
using namespace netsim::tcp;

constexpr uint32_t kMss = 1000;

inline Instant at_us(int64_t us) {
  return Instant::zero() + Duration::microseconds(us);
}

struct LossBoard {
  std::vector<ScoreSeg> q;
  CaSock ca;
  LossConfig cfg;
  LossMib mib;
  LossRecovery lr;
  KernelClock clock;
  SeqNum snd_nxt;
  int64_t rtt_us = 20000;  // srtt and min_rtt

  explicit LossBoard(uint32_t n, uint8_t recovery = LossConfig{}.recovery) {
    cfg.recovery = recovery;
    for (uint32_t i = 0; i < n; ++i)
      q.push_back({SeqNum(1 + i * kMss), kMss, at_us(i * 10), at_us(i * 10)});
    ca.snd_cwnd = n;
    snd_nxt = SeqNum(1 + n * kMss);
    cubic_ops().init(ca, CaEnv{});
  }
  LossCtx ctx(int64_t now_us) {
    LossCtx c;
    c.now = at_us(now_us);
    c.snd_una = q.empty() ? snd_nxt : q.front().seq;
    c.snd_nxt = snd_nxt;
    c.mss = kMss;
    c.max_window = 65535;
    c.srtt_us8 = rtt_us * 8;
    c.min_rtt_us = rtt_us;
    c.rto = Duration::milliseconds(220);
    c.ca = &ca;
    c.ops = &cubic_ops();
    c.cfg = &cfg;
    c.mib = &mib;
    c.clock = clock;
    return c;
  }
  // Segments k..k+count-1 (0-based, from the first ever sent) as one SACK block [start, end).
  static SackBlock segs(uint32_t k, uint32_t count) {
    return {SeqNum(1 + k * kMss), SeqNum(1 + (k + count) * kMss)};
  }
  AckOut ack(int64_t now_us, uint32_t ack_seq, std::vector<SackBlock> sacks, uint32_t tsecr = 0) {
    AckIn in{SeqNum(ack_seq), sacks, false, tsecr};
    AckOut out = lr.on_ack(q, ctx(now_us), in);
    q.erase(q.begin(), q.begin() + out.newly_acked);
    return out;
  }
  uint32_t in_flight() const { return lr.in_flight(static_cast<uint32_t>(q.size())); }
  // Which segments (by first sequence number) carry the Lost bit.
  std::vector<uint32_t> lost() const {
    std::vector<uint32_t> v;
    for (const ScoreSeg& s : q)
      if ((s.sacked & kLost) != 0) v.push_back(s.seq.raw());
    return v;
  }
  // New data leaves while cwnd allows (tcp_write_xmit); returns how many segments went.
  uint32_t send_new(int64_t now_us, uint32_t max) {
    uint32_t n = 0;
    while (n < max && in_flight() < ca.snd_cwnd)
      push_one(now_us), ++n;
    lr.on_new_data_sent(ca, n);
    return n;
  }
  // n new segments regardless of cwnd (a test that sets the scene by hand).
  void push_new(int64_t now_us, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i)
      push_one(now_us);
    lr.on_new_data_sent(ca, n);
  }

 private:
  void push_one(int64_t now_us) {
    q.push_back({snd_nxt, kMss, at_us(now_us), at_us(now_us), 0, false, false, false, false, 0,
                 lr.delivered()});
    snd_nxt += kMss;
  }
};

}  // namespace lossboard
