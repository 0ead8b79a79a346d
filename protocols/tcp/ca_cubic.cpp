// CUBIC as Linux 6.12 runs it (net/ipv4/tcp_cubic.c, RFC 9438): the cubic window in integer
// arithmetic with time in 1/1024 s, fast convergence, the Reno-friendly region, HyStart (ACK
// train and delay) and the epoch shift after idle. Constants are the module defaults.

#include <algorithm>

#include "protocols/tcp/ca_ops.hpp"

namespace netsim::tcp {

namespace {

constexpr uint32_t kBetaScale = 1024;  // BICTCP_BETA_SCALE
constexpr uint32_t kBicHz = 10;        // BICTCP_HZ: time unit 2^-10 s
constexpr uint32_t kBeta = 717;        // beta
constexpr uint32_t kBicScale = 41;     // bic_scale
constexpr uint32_t kHystartLowWindow = 16;
constexpr uint32_t kHystartAckDeltaUs = 2000;
constexpr uint32_t kHystartMinSamples = 8;
constexpr uint32_t kHystartDelayMin = 4000;   // µs
constexpr uint32_t kHystartDelayMax = 16000;  // µs
// cubictcp_register(): the precomputed scale factors.
constexpr uint32_t kBetaScaleFriendly = 8 * (kBetaScale + kBeta) / 3 / (kBetaScale - kBeta);
constexpr uint32_t kCubeRttScale = kBicScale * 10;
constexpr uint64_t kCubeFactor = (1ULL << (10 + 3 * kBicHz)) / (kBicScale * 10);
static_assert(kBetaScaleFriendly == 15);
static_assert(kCubeFactor == 2681735677ULL);

// tcp_cubic.c:bictcp_reset(): clears everything before `unused`, and `found`.
void bictcp_reset(CubicState& ca) {
  const CubicState keep = ca;
  ca = CubicState{};
  ca.sample_cnt = keep.sample_cnt;
  ca.round_start = keep.round_start;
  ca.end_seq = keep.end_seq;
  ca.last_ack = keep.last_ack;
  ca.curr_rtt = keep.curr_rtt;
}

// tcp_cubic.c:bictcp_hystart_reset(): a new slow-start round starts now.
void bictcp_hystart_reset(CaSock& sk, const CaEnv& env) {
  CubicState& ca = sk.priv.cubic;
  ca.round_start = ca.last_ack = KernelClock::clock_us(env.now);
  ca.end_seq = env.snd_nxt;
  ca.curr_rtt = ~0U;
  ca.sample_cnt = 0;
}

// tcp_cubic.c:bictcp_update(): ca.cnt = delivered segments per +1 of cwnd.
void bictcp_update(CaSock& sk, const CaEnv& env, uint32_t cwnd, uint32_t acked) {
  CubicState& ca = sk.priv.cubic;
  const uint32_t now = env.jiffies();
  const uint32_t hz = env.clock.hz;
  ca.ack_cnt += acked;
  if (ca.last_cwnd == cwnd &&
      static_cast<int32_t>(now - ca.last_time) <= static_cast<int32_t>(hz / 32))
    return;
  // At most one recomputation per jiffy; a reduction zeroes epoch_start and forces one.
  if (!(ca.epoch_start != 0 && now == ca.last_time)) {
    ca.last_cwnd = cwnd;
    ca.last_time = now;
    if (ca.epoch_start == 0) {
      ca.epoch_start = now;
      ca.ack_cnt = acked;
      ca.tcp_cwnd = cwnd;
      if (ca.last_max_cwnd <= cwnd) {
        ca.bic_k = 0;
        ca.bic_origin_point = cwnd;
      } else {
        ca.bic_k = cubic_root(kCubeFactor * (ca.last_max_cwnd - cwnd));
        ca.bic_origin_point = ca.last_max_cwnd;
      }
    }
    // t = time since the epoch plus the minimum RTT, in 1/1024 s.
    uint64_t t = static_cast<uint32_t>(static_cast<int32_t>(now - ca.epoch_start));
    t += env.clock.usecs_to_jiffies(ca.delay_min);
    t <<= kBicHz;
    t /= hz;
    const uint64_t offs = t < ca.bic_k ? ca.bic_k - t : t - ca.bic_k;
    const auto delta =
        static_cast<uint32_t>((kCubeRttScale * offs * offs * offs) >> (10 + 3 * kBicHz));
    const uint32_t bic_target =
        t < ca.bic_k ? ca.bic_origin_point - delta : ca.bic_origin_point + delta;
    ca.cnt = bic_target > cwnd ? cwnd / (bic_target - cwnd) : 100 * cwnd;
    // No Wmax yet (bandwidth unknown): at least 5 % per RTT.
    if (ca.last_max_cwnd == 0 && ca.cnt > 20) ca.cnt = 20;
  }
  // Reno-friendly region (tcp_friendliness 1): a shadow Reno window gains one segment per
  // 15 * cwnd / 8 delivered; CUBIC is never slower than it.
  const uint32_t friendly = (cwnd * kBetaScaleFriendly) >> 3;
  while (ca.ack_cnt > friendly) {
    ca.ack_cnt -= friendly;
    ca.tcp_cwnd++;
  }
  if (ca.tcp_cwnd > cwnd) {
    const uint32_t max_cnt = cwnd / (ca.tcp_cwnd - cwnd);
    ca.cnt = std::min(ca.cnt, max_cnt);
  }
  // At most +1 per 2 delivered: 1.5x per RTT.
  ca.cnt = std::max(ca.cnt, 2U);
}

// tcp_cubic.c:hystart_ack_delay(): TSO/GRO cushion, at most 1 ms, 0 without a pacing rate.
uint32_t hystart_ack_delay(const CaEnv& env) {
  if (env.pacing_rate == 0) return 0;
  return static_cast<uint32_t>(
      std::min<uint64_t>(1000, uint64_t{env.gso_max_size} * 4 * 1'000'000 / env.pacing_rate));
}

// tcp_cubic.c:hystart_update(): leave slow start (ssthresh = cwnd) on a long ACK train or a
// rising round minimum RTT.
void hystart_update(CaSock& sk, const CaEnv& env, uint32_t delay) {
  CubicState& ca = sk.priv.cubic;
  if (env.snd_una > ca.end_seq) bictcp_hystart_reset(sk, env);
  if (sk.snd_cwnd < kHystartLowWindow) return;
  const uint32_t now = KernelClock::clock_us(env.now);
  if (static_cast<int32_t>(now - ca.last_ack) <= static_cast<int32_t>(kHystartAckDeltaUs)) {
    ca.last_ack = now;
    uint32_t threshold = ca.delay_min + hystart_ack_delay(env);
    if (!env.paced)  // unpaced: the train may be RTT/2 long
      threshold >>= 1;
    if (static_cast<int32_t>(now - ca.round_start) > static_cast<int32_t>(threshold)) {
      ca.found = 1;  // TCPHystartTrainDetect
      sk.snd_ssthresh = sk.snd_cwnd;
    }
  }
  if (ca.curr_rtt > delay) ca.curr_rtt = delay;
  if (ca.sample_cnt < kHystartMinSamples) {
    ca.sample_cnt++;
  } else if (ca.curr_rtt >
             ca.delay_min + std::clamp(ca.delay_min >> 3, kHystartDelayMin, kHystartDelayMax)) {
    ca.found = 1;  // TCPHystartDelayDetect
    sk.snd_ssthresh = sk.snd_cwnd;
  }
}

class CubicOps final : public CongestionOps {
 public:
  std::string_view name() const override { return "cubic"; }

  // tcp_cubic.c:cubictcp_init().
  void init(CaSock& sk, const CaEnv& env) const override {
    sk.priv.cubic = CubicState{};
    bictcp_hystart_reset(sk, env);
  }

  // tcp_cubic.c:cubictcp_recalc_ssthresh(): end the epoch, remember Wmax (lowered further by
  // fast convergence when the window shrank since the last loss), cut to 717/1024.
  uint32_t ssthresh(CaSock& sk) const override {
    CubicState& ca = sk.priv.cubic;
    ca.epoch_start = 0;
    if (sk.snd_cwnd < ca.last_max_cwnd)
      ca.last_max_cwnd = (sk.snd_cwnd * (kBetaScale + kBeta)) / (2 * kBetaScale);
    else
      ca.last_max_cwnd = sk.snd_cwnd;
    return std::max((sk.snd_cwnd * kBeta) / kBetaScale, 2U);
  }

  // tcp_cubic.c:cubictcp_cong_avoid().
  void cong_avoid(CaSock& sk, const CaEnv& env, SeqNum, uint32_t acked) const override {
    if (!tcp_is_cwnd_limited(sk)) return;
    if (tcp_in_slow_start(sk)) {
      acked = tcp_slow_start(sk, acked);
      if (acked == 0) return;
    }
    bictcp_update(sk, env, sk.snd_cwnd, acked);
    tcp_cong_avoid_ai(sk, sk.priv.cubic.cnt, acked);
  }

  // tcp_cubic.c:cubictcp_state(): an RTO forgets everything.
  void set_state(CaSock& sk, const CaEnv& env, CaState new_state) const override {
    if (new_state == CaState::loss) {
      bictcp_reset(sk.priv.cubic);
      bictcp_hystart_reset(sk, env);
    }
  }

  // tcp_cubic.c:cubictcp_cwnd_event(): shift the epoch by the idle time so the curve resumes
  // where it left off.
  void cwnd_event(CaSock& sk, const CaEnv& env, CaEvent ev) const override {
    if (ev != CaEvent::tx_start) return;
    CubicState& ca = sk.priv.cubic;
    const uint32_t now = env.jiffies();
    const auto delta = static_cast<int32_t>(now - sk.lsndtime);
    if (ca.epoch_start != 0 && delta > 0) {
      ca.epoch_start += static_cast<uint32_t>(delta);
      if (static_cast<int32_t>(ca.epoch_start - now) > 0) ca.epoch_start = now;
    }
  }

  // tcp_cubic.c:cubictcp_acked(): track the minimum RTT and run HyStart.
  void pkts_acked(CaSock& sk, const CaEnv& env, const AckSample& sample) const override {
    CubicState& ca = sk.priv.cubic;
    if (sample.rtt_us < 0) return;
    // Delay samples right after a reduction (within 1 s of the epoch start) are discarded.
    if (ca.epoch_start != 0 &&
        static_cast<int32_t>(env.jiffies() - ca.epoch_start) < static_cast<int32_t>(env.clock.hz))
      return;
    const uint32_t delay = sample.rtt_us == 0 ? 1 : static_cast<uint32_t>(sample.rtt_us);
    if (ca.delay_min == 0 || ca.delay_min > delay) ca.delay_min = delay;
    if (ca.found == 0 && tcp_in_slow_start(sk)) hystart_update(sk, env, delay);
  }

  // tcp_cubic.c uses tcp_cong.c:tcp_reno_undo_cwnd().
  uint32_t undo_cwnd(CaSock& sk) const override { return std::max(sk.snd_cwnd, sk.prior_cwnd); }
};

// fls64(): 1-based index of the highest set bit, 0 for 0.
uint32_t fls64(uint64_t a) {
  return a == 0 ? 0 : 64 - static_cast<uint32_t>(__builtin_clzll(a));
}

}  // namespace

const CongestionOps& cubic_ops() {
  static const CubicOps ops;
  return ops;
}

// tcp_cubic.c:cubic_root(): v[x] = cbrt(x << 18) - 1 refined by hand (Willy Tarreau's table),
// then x = (2x + a / x^2) / 3 once, the division by 3 as * 341 >> 10.
uint32_t cubic_root(uint64_t a) {
  static constexpr uint8_t v[] = {
      0,   54,  54,  54,  118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156,
      157, 161, 164, 168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199,
      200, 202, 204, 206, 209, 211, 213, 215, 217, 219, 221, 222, 224, 225, 227, 229,
      231, 232, 234, 236, 237, 239, 240, 242, 244, 245, 246, 248, 250, 251, 252, 254,
  };
  uint32_t b = fls64(a);
  if (b < 7) return (static_cast<uint32_t>(v[static_cast<uint32_t>(a)]) + 35) >> 6;
  b = ((b * 84) >> 8) - 1;
  const auto shift = static_cast<uint32_t>(a >> (b * 3));
  uint32_t x = static_cast<uint32_t>((static_cast<uint32_t>(v[shift]) + 10) << b) >> 6;
  x = 2 * x + static_cast<uint32_t>(a / (uint64_t{x} * uint64_t{x - 1}));
  x = (x * 341) >> 10;
  return x;
}

}  // namespace netsim::tcp
