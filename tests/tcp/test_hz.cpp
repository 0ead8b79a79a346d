// The tunable `hz` (CONFIG_HZ 100, 250, 300, 1000) and the host's kernel clock: the jiffies
// arithmetic of include/linux/jiffies.h, then the RTO, the tail-loss probe, the delayed ACK and
// the timer wheel at HZ 100 and 1000, and the phased jiffies that tcp_info and CUBIC read with
// `timer_wheel: 1`. Every expected instant is worked out by hand in the comment beside it.

#include "protocols/tcp/rto.hpp"
#include "protocols/tcp/tcp_info.hpp"
#include "protocols/tcp/timer_wheel.hpp"
#include "test_conn_harness.hpp"

using namespace conntest;

namespace {

// Booted at 2^32 jiffies, a multiple of every level's granularity.
constexpr uint64_t kAligned = uint64_t{1} << 32;

Profile at_hz(KernelHz hz, Profile p = Profile::linux_default()) {
  p.hz = hz;
  return p;
}

// The linux data path with SACK and CUBIC, timestamps and window scaling off so the segments
// read as test_conn_loss_sack.cpp's.
Profile sack_profile(KernelHz hz) {
  Profile p = at_hz(hz);
  p.timestamps = false;
  p.window_scaling = false;
  return p;
}

// The harness's connection again, now on `wheel` (what a Stack with `timer_wheel: 1` gives).
void on_wheel(Harness& h, TimerWheel& wheel) {
  h.conn = std::make_unique<Connection>(1, ConnKey{kLocal, kRemote}, h.opts,
                                        ConnContext{&h.profile, &h.counters, &wheel});
}

std::vector<Duration> lone_segment_retransmissions(KernelHz hz) {
  Harness h(sack_profile(hz));
  established_sack(h, Duration::microseconds(51));
  const Instant sent = at(1000_ms);
  REQUIRE(h.send(sent, bytes(100)).size() == 1);
  std::vector<Duration> r;
  for (int i = 0; i < 6; ++i) {
    REQUIRE(h.fire().size() == 1);
    r.push_back(h.now - sent);
  }
  CHECK(h.counters.TCPLossProbes == 1);
  CHECK(h.counters.TCPTimeouts == 5);
  return r;
}

}  // namespace

TEST_CASE("KernelClock: INITIAL_JIFFIES, ticks and conversions at HZ 100, 300 and 1000") {
  // INITIAL_JIFFIES = (unsigned int)(-300 * HZ).
  CHECK(KernelClock{100}.jiffies(Instant::zero()) == 4294967296u - 30000u);
  CHECK(KernelClock{300}.jiffies(Instant::zero()) == 4294967296u - 90000u);
  CHECK(KernelClock{1000}.jiffies(Instant::zero()) == 4294967296u - 300000u);
  // HZ 100: 10 ms a jiffy; usecs_to_jiffies() rounds up, jiffies_to_usecs() is exact.
  const KernelClock& k100 = KernelClock::unphased(100);
  CHECK(k100.jiffies(at(19_ms)) - k100.jiffies(Instant::zero()) == 1);
  CHECK(k100.usecs_to_jiffies(200051) == 21);
  CHECK(k100.round_up(Duration::microseconds(200051)) == 210_ms);
  CHECK(k100.jiffies_to_usecs(1) == 10000);
  // HZ 300: no whole-ns jiffy. Tick 1 at ceil(10^9 / 300) = 3333334 ns, tick 3 at 10 ms; a
  // span of one jiffy converts back to one jiffy; usecs_to_jiffies(10001) = ceil(3.0003) = 4.
  const KernelClock& k300 = KernelClock::unphased(300);
  const uint32_t j0 = k300.jiffies(Instant::zero());
  CHECK(k300.jiffies(Instant::from_ns(3333333)) == j0);
  CHECK(k300.jiffies(Instant::from_ns(3333334)) == j0 + 1);
  CHECK(k300.tick(k300.boot_jiffies() + 3) == at(10_ms));
  CHECK(k300.span(1) == Duration::nanoseconds(3333334));
  CHECK(k300.to_jiffies(k300.span(61)) == 61);
  CHECK(k300.to_jiffies(10_ms) == 3);
  CHECK(k300.usecs_to_jiffies(10000) == 3);
  CHECK(k300.usecs_to_jiffies(10001) == 4);
  CHECK(k300.jiffies_to_usecs(1) == 3333);  // HZ_TO_USEC_NUM/DEN = 10000/3, rounded down
  // HZ 1000: 1 ms a jiffy.
  const KernelClock& k1000 = KernelClock::unphased(1000);
  CHECK(k1000.usecs_to_jiffies(200051) == 201);
  CHECK(k1000.to_jiffies(Duration::microseconds(40001)) == 41);
}

// include/linux/jiffies.h: a jiffy is 10^9 / HZ ns; jiffies at an instant round down, a span
// of jiffies rounds up to whole ns. Reference values from exact 128-bit arithmetic, against the
// clock's short forms at HZ 100, 250 and 1000 (a whole-ns jiffy) and its general one at 300,
// on both sides of every jiffy boundary near the test values, negative offsets included
// (tick() of a jiffy before boot).
TEST_CASE("KernelClock: jiffies round down and spans round up exactly at every HZ") {
  const auto floor_div = [](__int128 a, __int128 b) {
    const __int128 q = a / b;
    return a % b < 0 ? q - 1 : q;
  };
  for (uint32_t hz : {100u, 250u, 300u, 1000u}) {
    INFO("HZ " << hz);
    const KernelClock& k = KernelClock::unphased(hz);
    Rng rng(hz, "jiffies");
    for (int i = 0; i < 500; ++i) {
      const auto base = static_cast<int64_t>(rng.uniform_int(0, uint64_t{1} << 50));
      const auto j = static_cast<int64_t>(floor_div(__int128{base} * hz, 1'000'000'000));
      const int64_t edge = static_cast<int64_t>(-floor_div(-__int128{j} * 1'000'000'000, hz));
      for (int64_t ns : {base, -base, edge - 1, edge, edge + 1}) {
        const auto want = static_cast<int64_t>(floor_div(__int128{ns} * hz, 1'000'000'000));
        CHECK(static_cast<int64_t>(k.jiffies64(Instant::from_ns(ns)) - k.boot_jiffies()) == want);
        const __int128 covering =
            ns <= 0 ? 0 : floor_div((__int128{ns} - 1) * hz, 1'000'000'000) + 1;
        CHECK(k.to_jiffies(Duration::nanoseconds(ns)) == static_cast<uint64_t>(covering));
      }
      for (int64_t n : {j, -j, j % 100000, -(j % 100000)}) {
        const __int128 span = -floor_div(-__int128{n} * 1'000'000'000, hz);  // ceil
        CHECK(k.span(static_cast<uint64_t>(n)).ns() == static_cast<int64_t>(span));
      }
    }
  }
}

TEST_CASE("__tcp_set_rto() rounds SRTT + rttvar up to the HZ's jiffies") {
  // One sample of 51 µs: srtt 51, rttvar_us = max(2 * 51, rto_min) = 200000 µs; RTO =
  // usecs_to_jiffies(200051): 21 jiffies at HZ 100 = 210 ms, 51 at 250 = 204 ms, 61 at 300 =
  // 203.333334 ms (ceil(61 * 10^9 / 300) ns), 201 at 1000 = 201 ms.
  const std::pair<uint32_t, Duration> rows[] = {
      {100, 210_ms}, {250, 204_ms}, {300, Duration::nanoseconds(203333334)}, {1000, 201_ms}};
  for (const auto& [hz, rto] : rows) {
    INFO("HZ " << hz);
    RtoEstimator e(1_s, 200_ms, 120_s, hz);
    e.sample(Duration::microseconds(51), SeqNum(1), SeqNum(2));
    CHECK(e.rto() == rto);
    e.back_off();  // icsk_rto << 1: whole jiffies doubled
    CHECK(e.rto() == rto * 2);
  }
}

// The lone lost segment of test_conn_loss_sack.cpp (srtt 51 µs) at other HZ: PTO = 2·srtt +
// rto_min = 200.102 ms, capped by the RTO of usecs_to_jiffies(200.051 ms); then the RTO doubles
// in whole jiffies. HZ 1000: 201 jiffies for both, 201 ms; HZ 100: 21 jiffies, 210 ms.
TEST_CASE("A lone lost segment: the probe and the RTO backoff at HZ 1000 and HZ 100") {
  CHECK(lone_segment_retransmissions(KernelHz::hz1000) ==
        std::vector<Duration>{201_ms, 402_ms, 804_ms, 1608_ms, 3216_ms, 6432_ms});
  CHECK(lone_segment_retransmissions(KernelHz::hz100) ==
        std::vector<Duration>{210_ms, 420_ms, 840_ms, 1680_ms, 3360_ms, 6720_ms});
}

// Ten segments at 100 ms on a 20 ms path, ACKs of the first eight at 120 ms: PTO = 2·srtt + 2 ms
// (TCP_TIMEOUT_MIN_US, two out) = 42 ms, rounded up: 42 jiffies = 42 ms at HZ 1000 (probe at
// 162 ms), 11 jiffies = 44 ms at HZ 250 (164 ms), 5 jiffies = 50 ms at HZ 100 (170 ms).
TEST_CASE("TLP after an ACK: 2·SRTT + 2 ms rounded up to the HZ's jiffies") {
  const std::pair<KernelHz, Instant> rows[] = {
      {KernelHz::hz1000, at(162_ms)}, {KernelHz::hz250, at(164_ms)}, {KernelHz::hz100, at(170_ms)}};
  for (const auto& [hz, probe] : rows) {
    INFO("HZ " << hz_value(hz));
    Harness h(sack_profile(hz));
    established_sack(h, 20_ms);
    CHECK(h.send(at(100_ms), bytes(10 * 1460)).size() == 10);
    for (uint32_t k = 2; k <= 8; k += 2)
      CHECK(h.recv(at(120_ms), ACK, kPeerIss + 1, kIss + 1 + k * 1460).empty());
    CHECK(h.deadline() == probe);
    CHECK(h.fire() == Lines{"P. seq 14141:15601 ack 5001 win 64240 rtx 1"});
  }
}

// TCP_DELACK_MIN is HZ/25 jiffies, 40 ms at every HZ; on the wheel the timer runs on a tick.
// HZ 1000, phase 0.5 ms (ticks at 0.5, 1.5, ... ms): data at 1000 ms, jiffies = boot + 1000;
// expires = boot + 1040, level 0, bucket boot + 1041, whose tick is at 1040.5 ms.
// HZ 100, phase 3 ms (ticks at 7, 17, ... ms): jiffies = boot + 100 at 1000 ms; expires
// boot + 104, bucket boot + 105, tick at 1050 - 3 = 1047 ms.
TEST_CASE("The delayed ACK on the wheel at HZ 1000 and HZ 100") {
  const struct {
    KernelHz hz;
    Duration phase;
    Instant ack;
  } rows[] = {{KernelHz::hz1000, Duration::microseconds(500), Instant::from_ns(1'040'500'000)},
              {KernelHz::hz100, 3_ms, at(1047_ms)},
              {KernelHz::hz250, Duration::zero(), at(1044_ms)}};  // 250 + 10 + 1 jiffies
  for (const auto& r : rows) {
    INFO("HZ " << hz_value(r.hz));
    Profile p = at_hz(r.hz);
    p.quickacks = 0;
    p.timestamps = false;
    p.window_scaling = false;
    p.sack = false;
    Harness h(p);
    TimerWheel wheel(KernelClock::unphased(hz_value(r.hz)), kAligned, r.phase);
    on_wheel(h, wheel);
    REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 64240 mss 1460"});
    REQUIRE(h.recv(at(10_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 64240"});
    CHECK(h.recv(at(1000_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "abc").empty());
    CHECK(h.deadline() == r.ack);
    CHECK(h.fire() == Lines{". seq 1001 ack 5004 win 64237"});
  }
}

// The wheel's levels by HZ (LVL_DEPTH 8 at HZ 100, 9 above) and its granularity in time.
TEST_CASE("TimerWheel at HZ 1000 and HZ 100: a 1 s SYN timer and its backoff") {
  // HZ 1000: 1000 jiffies is level 2 (504 <= 1000 < 4032, 64 jiffies = 64 ms a bucket):
  // (1000 >> 6) + 1 = 16, 16 * 64 = 1024 -> 1.024 s. Re-armed from the handler (clk = 1025) for
  // 2 s: expires 3024, delta 1999, level 2: (3024 >> 6) + 1 = 48, 48 * 64 = 3072 -> 3.072 s.
  TimerWheel w1000(KernelClock::unphased(1000), kAligned, Duration::zero());
  const Instant first = w1000.arm(at(0_ms), 1_s);
  CHECK(first == at(1024_ms));
  w1000.running = true;
  CHECK(w1000.arm(first, 2_s) == at(3072_ms));
  // HZ 100: 100 jiffies is level 1 (8 jiffies = 80 ms a bucket): (100 >> 3) + 1 = 13, 104 ->
  // 1.04 s; re-armed with clk = 105: expires 304, delta 199, level 1: (304 >> 3) + 1 = 39,
  // 312 -> 3.12 s.
  TimerWheel w100(KernelClock::unphased(100), kAligned, Duration::zero());
  const Instant f100 = w100.arm(at(0_ms), 1_s);
  CHECK(f100 == at(1040_ms));
  w100.running = true;
  CHECK(w100.arm(f100, 2_s) == at(3120_ms));
  // TIME_WAIT (60 s) at HZ 1000: 60000 jiffies is level 4 (32256 <= delta < 258048, 4096
  // jiffies a bucket): (60000 >> 12) + 1 = 15, 15 * 4096 = 61440 -> 61.44 s.
  w1000.running = false;
  CHECK(w1000.arm(at(0_ms), 60_s) == at(61440_ms));
  // HZ 100 has no ninth level: 2^21 jiffies a bucket at level 7, WHEEL_TIMEOUT_CUTOFF 63 << 21.
  CHECK(calc_wheel_index(kAligned + 200000000, kAligned, 100).level == 7);
  CHECK(calc_wheel_index(kAligned + 200000000, kAligned, 1000).level == 8);
}

TEST_CASE("A host's wheel draws its phase below one jiffy of its HZ") {
  for (uint32_t hz : {100u, 250u, 300u, 1000u}) {
    INFO("HZ " << hz);
    const TimerWheel w = TimerWheel::for_host(KernelClock::unphased(hz), Rng(7, "host"));
    CHECK(w.clock().hz == hz);
    CHECK(w.phase() < KernelClock::unphased(hz).span(1));
    CHECK(w.boot_jiffies() - KernelClock::initial_jiffies(hz) < (uint64_t{1} << 24));
    // The clock the host's connections read is the wheel's: jiffies advance at its phase.
    CHECK(w.clock().tick(w.jiffies(at(5_s)) + 1) > at(5_s));
    CHECK(w.clock().tick(w.jiffies(at(5_s))) <= at(5_s));
  }
}

// With `timer_wheel: 1` tcp_info's chronographs count the host's phased jiffies
// (tcp_get_info_chrono_stats(): tcp_jiffies32 - chrono_start): HZ 250, ticks 3 ms early
// (phase 3 ms): a write at 20 ms starts BUSY at jiffy (20 + 3) / 4 = 5; at 30 ms jiffies are
// (30 + 3) / 4 = 8: 3 jiffies = 12000 µs, where unphased jiffies (5 -> 7) give 8000 µs.
TEST_CASE("tcp_info's busy_time counts the host's phased jiffies on the wheel") {
  Harness plain;
  established(plain);
  plain.write(at(20_ms), 1000);
  CHECK(tcp_info(plain.c(), at(30_ms)).busy_time == 8000);

  Harness h;
  TimerWheel wheel(KernelClock{}, kAligned, 3_ms);
  on_wheel(h, wheel);
  established(h);
  h.write(at(20_ms), 1000);
  CHECK(tcp_info(h.c(), at(30_ms)).busy_time == 12000);
}

// CUBIC and the generic congestion code read jiffies through CaEnv's clock: the host's.
TEST_CASE("CaEnv's jiffies are the host clock's, uptime and phase included") {
  const TimerWheel w(KernelClock::unphased(1000), kAligned + 12345, Duration::microseconds(250));
  CaEnv env;
  env.clock = w.clock();
  env.now = at(10_ms);
  // (10 ms + 0.25 ms) / 1 ms = 10 ticks past boot.
  CHECK(env.jiffies() == static_cast<uint32_t>(kAligned + 12345 + 10));
  env.now = Instant::from_ns(10'750'000);
  CHECK(env.jiffies() == static_cast<uint32_t>(kAligned + 12345 + 11));
}

// tcp_get_info(): tcpi_last_data_sent = jiffies_to_msecs(tcp_jiffies32 - lsndtime), whole
// jiffies of the host's clock. Data sent at 20 ms, asked at 75 ms (55 ms later): HZ 100 counts
// jiffies 2 -> 7 = 50 ms, HZ 250 5 -> 18 = 52 ms, HZ 1000 20 -> 75 = 55 ms; HZ 300 6 -> 22 =
// 16 jiffies, which jiffies_to_msecs() rounds up: DIV_ROUND_UP(16 * 10, 3) = 54 ms (53.3).
TEST_CASE("tcpi_last_data_sent is whole jiffies of the HZ") {
  const std::pair<KernelHz, uint32_t> rows[] = {
      {KernelHz::hz100, 50}, {KernelHz::hz250, 52}, {KernelHz::hz300, 54}, {KernelHz::hz1000, 55}};
  for (const auto& [hz, ms] : rows) {
    INFO("HZ " << hz_value(hz));
    Harness h(at_hz(hz));
    established(h);
    h.write(at(20_ms), 100);
    CHECK(tcp_info(h.c(), at(75_ms)).last_data_sent == ms);
  }
}

// tcp_event_data_recv() adapts icsk_ack.ato in jiffies: m = now - lrcvtime in jiffies; m <=
// TCP_ATO_MIN/2 -> ato/2 + TCP_ATO_MIN/2, m < ato -> ato/2 + m; the delayed-ACK timer doubles it
// (tcp_delack_timer_handler()). RTT 300 ms (so SRTT does not bound the delay): a segment at
// 1000 ms (ato = TCP_ATO_MIN, 40 ms), its ACK at 1040 ms (ato doubled: 80 ms), the next segment
// at 1075 ms:
//   HZ 100:  m = 107 - 100 = 7 j < 8: ato = 4 + 7 = 11 j = 110 ms -> ACK at 1185 ms;
//   HZ 250:  m = 268 - 250 = 18 j < 20: 10 + 18 = 28 j = 112 ms -> 1187 ms;
//   HZ 1000: m = 75 j < 80: 40 + 75 = 115 j -> 1190 ms.
TEST_CASE("The delayed-ACK timeout adapts in jiffies of the HZ") {
  const std::pair<KernelHz, Instant> rows[] = {{KernelHz::hz100, at(1185_ms)},
                                               {KernelHz::hz250, at(1187_ms)},
                                               {KernelHz::hz1000, at(1190_ms)}};
  for (const auto& [hz, ack] : rows) {
    INFO("HZ " << hz_value(hz));
    Profile p = at_hz(hz);
    p.quickacks = 0;
    p.timestamps = false;
    p.window_scaling = false;
    p.sack = false;
    Harness h(p);
    REQUIRE(h.connect(at(0_ms)) == Lines{"S seq 1000 win 64240 mss 1460"});
    REQUIRE(h.recv(at(300_ms), syn_ack()) == Lines{". seq 1001 ack 5001 win 64240"});
    CHECK(h.recv(at(1000_ms), PSH | ACK, kPeerIss + 1, kIss + 1, 65535, "abc").empty());
    CHECK(h.deadline() == at(1040_ms));
    CHECK(h.fire() == Lines{". seq 1001 ack 5004 win 64237"});
    CHECK(h.recv(at(1075_ms), PSH | ACK, kPeerIss + 4, kIss + 1, 65535, "def").empty());
    CHECK(h.deadline() == ack);
    CHECK(h.fire() == Lines{". seq 1001 ack 5007 win 64234"});
  }
}
