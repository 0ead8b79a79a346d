// Linux-shaped congestion control (include/net/tcp.h struct tcp_congestion_ops): cwnd and
// ssthresh count segments, the algorithm is a static table of operations and its per-connection
// state lives inline in CaSock (icsk_ca_priv), so a connection pays for no allocation. CUBIC
// (tcp_cubic.c) and Reno (tcp_cong.c tcp_reno_*) implement it; the connection will call them.
#pragma once

#include <cstdint>
#include <string_view>

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

// Kernel clock granularity. Timers and CUBIC's epoch run in jiffies; HZ is a kernel build
// option. Default 250: Debian's linux-image-6.12 config (CONFIG_HZ=250) and every [M] figure in
// linux-tcp-facts*.md (e.g. the TLP at 204 ms = 51 jiffies) were taken at 250.
struct KernelClock {
  uint32_t hz = 250;

  Duration jiffy() const { return Duration::nanoseconds(1'000'000'000 / hz); }
  // include/linux/jiffies.h INITIAL_JIFFIES: jiffies start 300 s before wrap, so 0 is never a
  // natural value (CUBIC uses epoch_start == 0 as "no epoch").
  uint32_t jiffies(Instant now) const {
    return static_cast<uint32_t>(-300 * static_cast<int64_t>(hz)) +
           static_cast<uint32_t>(now.ns() / jiffy().ns());
  }
  // usecs_to_jiffies(): rounds up.
  uint32_t usecs_to_jiffies(uint64_t us) const {
    const uint64_t per = 1'000'000 / hz;
    return static_cast<uint32_t>((us + per - 1) / per);
  }
  // A µs interval rounded up to whole jiffies (how every TCP timer is armed).
  Duration round_up(Duration d) const {
    const int64_t j = jiffy().ns();
    return Duration::nanoseconds((d.ns() + j - 1) / j * j);
  }
  // tcp_mstamp in µs (tcp_clock_us()), truncated to 32 bits as CUBIC's bictcp_clock_us().
  static uint32_t clock_us(Instant now) { return static_cast<uint32_t>(now.ns() / 1000); }
};

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
