// Linux-shaped congestion control (include/net/tcp.h struct tcp_congestion_ops): cwnd and
// ssthresh count segments, the algorithm is a static table of operations and its per-connection
// state lives inline in CaSock (icsk_ca_priv), so a connection pays for no allocation. CUBIC
// (tcp_cubic.c) and Reno (tcp_cong.c tcp_reno_*) implement it; the connection will call them.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocols/tcp/profile.hpp"
#include "sim/seq.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// include/uapi/linux/tcp.h enum tcp_ca_state (tcpi_ca_state values).
enum class CaState : uint8_t { open = 0, disorder = 1, cwr = 2, recovery = 3, loss = 4 };

// include/net/tcp.h enum tcp_ca_event.
enum class CaEvent : uint8_t { tx_start, cwnd_restart, complete_cwr, loss, ecn_no_ce, ecn_is_ce };

// tcp_metrics.c:tcp_init_metrics() leaves ssthresh at TCP_INFINITE_SSTHRESH.
inline constexpr uint32_t kInfiniteSsthresh = 0x7fffffff;
// include/net/tcp.h TCP_INIT_CWND.
inline constexpr uint32_t kInitCwnd = 10;

// One host's kernel clock: HZ (CONFIG_HZ, tunable `hz`: 100, 250, 300 or 1000; Debian's
// linux-image-6.12 has 250, at which every [M] figure in linux-tcp-facts*.md was taken), and
// where its jiffies stand: `uptime` jiffies past INITIAL_JIFFIES at time 0, ticking `phase`
// before each multiple of 1/HZ. Timers, CUBIC's epoch, the min-RTT filter, tcp_info's
// chronographs and keepalive read jiffies from here. Default (uptime 0, phase 0): jiffies are
// INITIAL_JIFFIES at time 0 and tick at 0, 1/HZ, ... (what every host has with timer_wheel 0);
// the timer wheel draws a phase and an uptime per host (timer_wheel.hpp).
// HZ 300 has no whole-ns jiffy: tick k is at ceil(k * 10^9 / HZ) ns, jiffies at t are
// floor(t * HZ / 10^9), exactly.
struct KernelClock {
  uint32_t hz = 250;
  uint64_t uptime = 0;
  Duration phase = Duration::zero();

  // include/linux/jiffies.h INITIAL_JIFFIES: (unsigned long)(unsigned int)(-300 * HZ): jiffies
  // start 300 s before the 32-bit wrap, so 0 is never a natural value (CUBIC uses
  // epoch_start == 0 as "no epoch").
  static constexpr uint64_t initial_jiffies(uint32_t hz) {
    return static_cast<uint32_t>(-300 * static_cast<int64_t>(hz));
  }
  // The unphased clock of each HZ, for connections without a host (unit tests); inline
  // below, as every jiffies reading of a connection without a timer wheel asks for it.
  static const KernelClock& unphased(uint32_t hz);
  // The same by the profile's `hz`: a table index, no switch (every jiffies reading of a
  // connection without a timer wheel comes here).
  static const KernelClock& unphased(KernelHz hz);

  // The 64-bit jiffies at time 0 (boot plus uptime).
  uint64_t boot_jiffies() const { return initial_jiffies(hz) + uptime; }
  // One jiffy, truncated to whole ns (exact for HZ 100, 250, 1000).
  Duration jiffy() const { return Duration::nanoseconds(1'000'000'000 / hz); }
  // The 64-bit `jiffies` at `now`, and the 32-bit tcp_jiffies32 the TCP code stores.
  uint64_t jiffies64(Instant now) const {
    return boot_jiffies() + static_cast<uint64_t>(ticks(now.ns() + phase.ns()));
  }
  uint32_t jiffies(Instant now) const { return static_cast<uint32_t>(jiffies64(now)); }
  // The instant jiffies becomes `j`.
  Instant tick(uint64_t j) const {
    return Instant::from_ns(span_ns(static_cast<int64_t>(j - boot_jiffies())) - phase.ns());
  }
  // `j` jiffies as a span of time (timeouts armed in jiffies), rounded up to whole ns.
  Duration span(uint64_t j) const {
    return Duration::nanoseconds(span_ns(static_cast<int64_t>(j)));
  }
  // usecs_to_jiffies(): rounds up (_usecs_to_jiffies(), or the MUL32/SHR32 form at HZ 300).
  uint32_t usecs_to_jiffies(uint64_t us) const {
    return static_cast<uint32_t>((us / 1'000'000) * hz +
                                 ((us % 1'000'000) * hz + 999'999) / 1'000'000);
  }
  // A timeout in whole jiffies, rounded up as msecs_to_jiffies()/usecs_to_jiffies(): the fewest
  // jiffies whose span() covers `d`, so span(j) gives j back at HZ 300 too; 0 for none.
  uint64_t to_jiffies(Duration d) const {
    if (d.ns() <= 0) return 0;
    return static_cast<uint64_t>(ticks(d.ns() - 1)) + 1;
  }
  // A µs interval rounded up to whole jiffies (how every TCP timer is armed).
  Duration round_up(Duration d) const { return span(to_jiffies(d)); }
  // jiffies_to_usecs() rounds down ((j * HZ_TO_USEC_NUM) / HZ_TO_USEC_DEN at HZ 300);
  // jiffies_to_msecs() rounds up there (DIV_ROUND_UP(j * HZ_TO_MSEC_NUM, HZ_TO_MSEC_DEN),
  // kernel/time/time.c) and is exact at HZ 100, 250 and 1000.
  uint64_t jiffies_to_usecs(uint64_t j) const { return j * 1'000'000 / hz; }
  uint64_t jiffies_to_msecs(uint64_t j) const { return (j * 1'000 + hz - 1) / hz; }
  // tcp_mstamp in µs (tcp_clock_us()), truncated to 32 bits as CUBIC's bictcp_clock_us().
  static uint32_t clock_us(Instant now) { return static_cast<uint32_t>(now.ns() / 1000); }

 private:
  static constexpr int64_t kNs = 1'000'000'000;
  // At HZ 100, 250 and 1000 a jiffy is a whole number of ns (10^9 / HZ), so floor(ns * HZ /
  // 10^9) = floor(ns / jiffy) and ceil(k * 10^9 / HZ) = k * jiffy: a division by a constant and
  // a multiplication where the general forms below divide by HZ twice. The same values.
  static constexpr int64_t floor_div(int64_t a, int64_t b) {  // b > 0
    const int64_t q = a / b;
    return a % b < 0 ? q - 1 : q;
  }
  // floor(ns * HZ / 10^9) without overflow.
  int64_t ticks(int64_t ns) const {
    switch (hz) {
      case 1000:
        return floor_div(ns, kNs / 1000);
      case 250:
        return floor_div(ns, kNs / 250);
      case 100:
        return floor_div(ns, kNs / 100);
      default:
        break;
    }
    int64_t q = ns / kNs, r = ns % kNs;
    if (r < 0) {
      --q;
      r += kNs;
    }
    return q * hz + r * hz / kNs;
  }
  // ceil(k * 10^9 / HZ) without overflow.
  int64_t span_ns(int64_t k) const {
    switch (hz) {
      case 1000:
        return k * (kNs / 1000);
      case 250:
        return k * (kNs / 250);
      case 100:
        return k * (kNs / 100);
      default:
        break;
    }
    const int64_t h = hz;
    int64_t q = k / h, r = k % h;
    if (r < 0) {
      --q;
      r += h;
    }
    return q * kNs + (r * kNs + h - 1) / h;
  }
};

// Constants, not function-local statics: no initialisation guard to test on each call.
inline constexpr KernelClock kUnphasedClocks[] = {{100}, {250}, {300}, {1000}};
inline const KernelClock& KernelClock::unphased(uint32_t hz) {
  switch (hz) {
    case 100:
      return kUnphasedClocks[0];
    case 300:
      return kUnphasedClocks[2];
    case 1000:
      return kUnphasedClocks[3];
    default:
      return kUnphasedClocks[1];
  }
}
static_assert(kUnphasedClocks[static_cast<uint8_t>(KernelHz::hz100)].hz == 100 &&
              kUnphasedClocks[static_cast<uint8_t>(KernelHz::hz250)].hz == 250 &&
              kUnphasedClocks[static_cast<uint8_t>(KernelHz::hz300)].hz == 300 &&
              kUnphasedClocks[static_cast<uint8_t>(KernelHz::hz1000)].hz == 1000);
inline const KernelClock& KernelClock::unphased(KernelHz hz) {
  return kUnphasedClocks[static_cast<uint8_t>(hz)];
}

// struct bictcp (tcp_cubic.c): CUBIC's per-connection state, 64 bytes.
struct CubicState {
  uint32_t cnt = 0;
  uint32_t last_max_cwnd = 0;
  uint32_t last_cwnd = 0;
  uint32_t last_time = 0;
  uint32_t bic_origin_point = 0;
  uint32_t bic_k = 0;
  uint32_t delay_min = 0;
  uint32_t epoch_start = 0;
  uint32_t ack_cnt = 0;
  uint32_t tcp_cwnd = 0;
  uint16_t unused = 0;
  uint8_t sample_cnt = 0;
  uint8_t found = 0;
  uint32_t round_start = 0;
  SeqNum end_seq;
  uint32_t last_ack = 0;
  uint32_t curr_rtt = 0;
};

// What the algorithm reads of the moment and of the rest of the socket, built by the caller
// for each call and never stored: the clock, snd_una/snd_nxt, pacing.
struct CaEnv {
  Instant now;  // tcp_mstamp
  SeqNum snd_una;
  SeqNum snd_nxt;
  KernelClock clock;
  // sk_pacing_status != SK_PACING_NONE (sch_fq or internal pacing); CUBIC over fq_codel: false.
  bool paced = false;
  uint64_t pacing_rate = 0;  // bytes per second, sk_pacing_rate
  uint32_t gso_max_size = 65536;

  uint32_t jiffies() const { return clock.jiffies(now); }
};

// The tcp_sock/inet_connection_sock fields congestion control keeps per connection (100
// bytes, the algorithm's private part included): what a Tcb will hold inline.
struct CaSock {
  uint32_t snd_cwnd = kInitCwnd;
  uint32_t snd_ssthresh = kInfiniteSsthresh;
  uint32_t snd_cwnd_cnt = 0;
  uint32_t snd_cwnd_clamp = ~0u;  // tcp.c:tcp_init_sock()
  uint32_t prior_cwnd = 0;
  uint32_t max_packets_out = 0;
  uint32_t snd_cwnd_used = 0;
  uint32_t snd_cwnd_stamp = 0;  // jiffies
  uint32_t lsndtime = 0;        // jiffies of the last data sent
  CaState ca_state = CaState::open;
  bool is_cwnd_limited = false;
  union {
    CubicState cubic;
  } priv{};
};

// struct ack_sample: rtt_us < 0 when the ACK gave no RTT sample.
struct AckSample {
  uint32_t pkts_acked = 0;
  int32_t rtt_us = -1;
  uint32_t in_flight = 0;
};

// struct tcp_congestion_ops, the hooks the data path calls (tcp_input.c/tcp_output.c).
class CongestionOps {
 public:
  virtual std::string_view name() const = 0;
  virtual void init(CaSock& sk, const CaEnv& env) const = 0;
  // Returns the new ssthresh on a loss (tcp_init_cwnd_reduction(), tcp_enter_loss()).
  virtual uint32_t ssthresh(CaSock& sk) const = 0;
  // An ACK advanced snd_una to `ack` and delivered `acked` segments (tcp_cong_avoid()).
  virtual void cong_avoid(CaSock& sk, const CaEnv& env, SeqNum ack, uint32_t acked) const = 0;
  virtual void set_state(CaSock& sk, const CaEnv& env, CaState new_state) const = 0;
  virtual void cwnd_event(CaSock& sk, const CaEnv& env, CaEvent ev) const = 0;
  virtual void pkts_acked(CaSock& sk, const CaEnv& env, const AckSample& sample) const = 0;
  // The cwnd to restore when a reduction is undone (tcp_undo_cwnd_reduction()).
  virtual uint32_t undo_cwnd(CaSock& sk) const = 0;

 protected:
  ~CongestionOps() = default;
};

const CongestionOps& reno_ops();
const CongestionOps& cubic_ops();
// "cubic", "reno"; nullptr for another name.
const CongestionOps* find_congestion_ops(std::string_view name);

// tcp_cong.c and tcp.h helpers shared by the algorithms.
bool tcp_in_slow_start(const CaSock& sk);
bool tcp_is_cwnd_limited(const CaSock& sk);
uint32_t tcp_slow_start(CaSock& sk, uint32_t acked);
void tcp_cong_avoid_ai(CaSock& sk, uint32_t w, uint32_t acked);
uint32_t tcp_current_ssthresh(const CaSock& sk);

// tcp_output.c:tcp_cwnd_validate(): called after a transmit with whether cwnd limited it;
// `packets_out` is the count now outstanding and `rto` the current RTO. Returns true when it
// applied tcp_cwnd_application_limited() (RFC 2861 decay).
bool tcp_cwnd_validate(CaSock& sk, const CaEnv& env, bool is_cwnd_limited, uint32_t packets_out,
                       SeqNum& usage_seq, Duration rto, bool slow_start_after_idle);
// tcp.h:tcp_slow_start_after_idle_check() + tcp_output.c:tcp_cwnd_restart(): new data is about
// to leave with nothing outstanding. Returns true when the restart window was applied.
bool tcp_slow_start_after_idle_check(CaSock& sk, const CaEnv& env, const CongestionOps& ops,
                                     uint32_t packets_out, Duration rto,
                                     bool slow_start_after_idle);
// tcp_output.c:tcp_event_data_sent(): data left with `in_flight` segments outstanding before
// it; CA_EVENT_TX_START when that was 0, then lsndtime = now.
void tcp_event_data_sent(CaSock& sk, const CaEnv& env, const CongestionOps& ops,
                         uint32_t in_flight);

// tcp_input.c:tcp_update_pacing_rate(), run at the end of every ACK (tcp_cong_control): mss *
// max(cwnd, packets_out) / srtt, x2 while cwnd < ssthresh / 2 (tcp_pacing_ss_ratio 200), else
// x1.2 (tcp_pacing_ca_ratio 120), in bytes per second. It sizes HyStart's ACK-train cushion
// even when nothing paces the socket. `srtt_us8` is tp->srtt_us (8 x µs); the socket's rate
// starts at ~0 (unlimited) until the first ACK.
uint64_t tcp_update_pacing_rate(const CaSock& sk, int64_t srtt_us8, uint32_t mss,
                                uint32_t packets_out, uint32_t ss_ratio = 200,
                                uint32_t ca_ratio = 120);

// tcp_cubic.c:cubic_root(): table lookup plus one Newton-Raphson step.
uint32_t cubic_root(uint64_t a);

}  // namespace netsim::tcp
