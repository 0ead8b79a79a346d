// Linux congestion control on its own (tcp_cong.c, tcp_cubic.c): exact cwnd/ssthresh values
// for scripted ACK sequences, each worked out by hand from the kernel's integer formulas (the
// comments show the arithmetic). Times are virtual; HZ is 250 unless a test says otherwise.

#include <catch2/catch.hpp>

#include "protocols/tcp/ca_ops.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {

Instant at_ms(int64_t ms) {
  return Instant::zero() + Duration::milliseconds(ms);
}
Instant at_us(int64_t us) {
  return Instant::zero() + Duration::microseconds(us);
}

CaSock cubic_sock(CaEnv& env) {
  CaSock sk;
  env.now = at_ms(0);
  cubic_ops().init(sk, env);
  return sk;
}

}  // namespace

TEST_CASE("cubic_root: the table plus one Newton step, as tcp_cubic.c") {
  CHECK(cubic_root(27) == 3);  // (v[27] + 35) >> 6 = (190 + 35) >> 6
  CHECK(cubic_root(63) == 4);
  CHECK(cubic_root(1000) == 10);
  CHECK(cubic_root(1ULL << 30) == 1024);
  // The table's 0.2 % error survives the Newton step: cbrt(10^18) is 10^6.
  CHECK(cubic_root(1'000'000'000'000'000'000ULL) == 1'000'016);
}

TEST_CASE("Reno: slow start to ssthresh, then +1 per cwnd delivered, ssthresh = cwnd/2") {
  CaEnv env;
  CaSock sk;
  sk.is_cwnd_limited = true;
  const CongestionOps& reno = reno_ops();
  sk.snd_ssthresh = 14;
  reno.cong_avoid(sk, env, SeqNum(0), 6);  // 10 + 6 capped at 14, 2 left over for CA: cnt 2
  CHECK(sk.snd_cwnd == 14);
  CHECK(sk.snd_cwnd_cnt == 2);
  reno.cong_avoid(sk, env, SeqNum(0), 12);  // cnt 14 >= 14 -> cwnd 15, cnt 0
  CHECK(sk.snd_cwnd == 15);
  CHECK(sk.snd_cwnd_cnt == 0);
  CHECK(reno.ssthresh(sk) == 7);
  sk.snd_cwnd = 3;
  CHECK(reno.ssthresh(sk) == 2);
  sk.prior_cwnd = 15;
  CHECK(reno.undo_cwnd(sk) == 15);
}

TEST_CASE("Neither grows a window the sender does not use") {
  CaEnv env;
  CaSock sk;
  sk.max_packets_out = 5;  // slow start: limited only while cwnd < 2 * 5
  reno_ops().cong_avoid(sk, env, SeqNum(0), 3);
  CHECK(sk.snd_cwnd == 10);
  sk.max_packets_out = 6;
  reno_ops().cong_avoid(sk, env, SeqNum(0), 3);
  CHECK(sk.snd_cwnd == 13);
}

TEST_CASE("CUBIC after a loss at cwnd 100 with a 10 ms minimum RTT: K, origin and W(t)") {
  CaEnv env;
  CaSock sk = cubic_sock(env);
  env.now = at_ms(100);
  cubic_ops().pkts_acked(sk, env, {1, 10000, 0});
  CHECK(sk.priv.cubic.delay_min == 10000);
  sk.snd_cwnd = 100;
  // ssthresh = max(100 * 717 / 1024, 2) = 70; Wmax = cwnd (no earlier Wmax).
  sk.snd_ssthresh = cubic_ops().ssthresh(sk);
  CHECK(sk.snd_ssthresh == 70);
  CHECK(sk.priv.cubic.last_max_cwnd == 100);
  sk.snd_cwnd = 70;  // recovery ends at ssthresh
  sk.is_cwnd_limited = true;
  env.now = at_ms(5000);
  cubic_ops().cong_avoid(sk, env, SeqNum(0), 1);
  // K = cubic_root(2^40/410 * 30) = cubic_root(80452070310): fls 37 -> b = 11, shift 9,
  // x = (139 << 11) >> 6 = 4448, x = 2*4448 + a/(4448*4447) = 12963, 12963*341 >> 10 = 4316
  // (1/1024 s: 4.215 s; real-valued cbrt(30/0.4) = 4.217 s).
  CHECK(sk.priv.cubic.bic_k == 4316);
  CHECK(sk.priv.cubic.bic_origin_point == 100);
  // t = 0 + usecs_to_jiffies(10000) = 3 jiffies -> 3*1024/250 = 12; offs = 4304;
  // delta = 410 * 4304^3 >> 40 = 29; target 71 > 70: cnt = 70 / 1 = 70.
  CHECK(sk.priv.cubic.cnt == 70);
  CHECK(sk.snd_cwnd == 70);
  // One segment delivered per ms: the concave approach to Wmax, the plateau, then probing.
  const uint32_t expect[] = {86, 96, 100, 100, 100, 103};
  for (int sec = 1; sec <= 6; ++sec) {
    for (int ms = 1; ms <= 1000; ++ms) {
      env.now = at_ms(5000 + (sec - 1) * 1000 + ms);
      cubic_ops().cong_avoid(sk, env, SeqNum(0), 1);
    }
    INFO("second " << sec);
    CHECK(sk.snd_cwnd == expect[sec - 1]);
  }
  // Above the origin: the Reno shadow (one per 15*103/8 = 193 delivered) has reached 103.
  CHECK(sk.priv.cubic.tcp_cwnd == 103);
}

TEST_CASE("CUBIC fast convergence lowers Wmax when the window shrank since the last loss") {
  CaEnv env;
  CaSock sk = cubic_sock(env);
  sk.snd_cwnd = 100;
  cubic_ops().ssthresh(sk);
  sk.snd_cwnd = 90;
  // 90 < Wmax 100: Wmax = 90 * (1024 + 717) / 2048 = 76; ssthresh = 90 * 717 / 1024 = 63.
  CHECK(cubic_ops().ssthresh(sk) == 63);
  CHECK(sk.priv.cubic.last_max_cwnd == 76);
  sk.snd_cwnd = 2;
  CHECK(cubic_ops().ssthresh(sk) == 2);
  // An RTO (state Loss) forgets Wmax, min RTT and the epoch.
  sk.priv.cubic.delay_min = 5000;
  cubic_ops().set_state(sk, env, CaState::loss);
  CHECK(sk.priv.cubic.last_max_cwnd == 0);
  CHECK(sk.priv.cubic.delay_min == 0);
  CHECK(sk.priv.cubic.curr_rtt == ~0U);
}

TEST_CASE("CUBIC without a Wmax grows at least 5 % per RTT") {
  CaEnv env;
  CaSock sk = cubic_sock(env);
  sk.snd_cwnd = 50;
  sk.snd_ssthresh = 50;
  sk.is_cwnd_limited = true;
  env.now = at_ms(1000);
  cubic_ops().cong_avoid(sk, env, SeqNum(0), 1);
  // Wmax 0 <= cwnd: K = 0, origin 50, t = 1024*0/250 = 0: target 50, cnt = 100 * 50 -> 20.
  CHECK(sk.priv.cubic.bic_k == 0);
  CHECK(sk.priv.cubic.cnt == 20);
}

TEST_CASE("CUBIC HyStart: an ACK train longer than min RTT / 2 ends slow start") {
  CaEnv env;
  CaSock sk;
  sk.snd_cwnd = 16;
  env.snd_nxt = SeqNum(16);  // segments counted as sequence numbers
  sk.is_cwnd_limited = true;
  env.now = at_ms(0);
  cubic_ops().init(sk, env);
  // One ACK per segment every 0.5 ms, RTT 10 ms, two segments sent per ACK. Round 2 starts at
  // ACK 17 (18 ms, snd_una passes the 16 of round 1); unpaced threshold = 10000 >> 1 µs, so the
  // train exits once now - 18 ms > 5 ms: ACK 28 at 23.5 ms, cwnd 16 + 27 = 43.
  int exit_ack = 0;
  for (int k = 1; k < 40 && exit_ack == 0; ++k) {
    env.now = at_us(10000 + (k - 1) * 500);
    env.snd_una = SeqNum(static_cast<uint32_t>(k));
    cubic_ops().pkts_acked(sk, env, {1, 10000, 0});
    cubic_ops().cong_avoid(sk, env, env.snd_una, 1);
    env.snd_nxt += 2;
    if (sk.priv.cubic.found != 0) exit_ack = k;
  }
  CHECK(exit_ack == 28);
  CHECK(sk.snd_ssthresh == 43);
  CHECK(sk.snd_cwnd == 43);
}

TEST_CASE("CUBIC HyStart: a round minimum RTT above min RTT + 4 ms ends slow start") {
  CaEnv env;
  CaSock sk;
  sk.snd_cwnd = 16;
  env.snd_nxt = SeqNum(16);
  sk.is_cwnd_limited = true;
  env.now = at_ms(0);
  cubic_ops().init(sk, env);
  // ACKs 3 ms apart (no train); the first RTT is 10 ms, the rest 15 ms > 10 + clamp(10/8, 4,
  // 16) ms. Round 2 starts at ACK 17; 8 samples (ACKs 17..24), then ACK 25 exits at 16 + 24.
  int exit_ack = 0;
  for (int k = 1; k < 40 && exit_ack == 0; ++k) {
    env.now = at_us(10000 + (k - 1) * 3000);
    env.snd_una = SeqNum(static_cast<uint32_t>(k));
    cubic_ops().pkts_acked(sk, env, {1, k == 1 ? 10000 : 15000, 0});
    cubic_ops().cong_avoid(sk, env, env.snd_una, 1);
    env.snd_nxt += 2;
    if (sk.priv.cubic.found != 0) exit_ack = k;
  }
  CHECK(exit_ack == 25);
  CHECK(sk.snd_ssthresh == 40);
}

TEST_CASE("CUBIC shifts its epoch by the idle time when transmission restarts") {
  CaEnv env;
  CaSock sk = cubic_sock(env);
  env.now = at_ms(1000);
  sk.priv.cubic.epoch_start = env.jiffies();
  const uint32_t epoch = sk.priv.cubic.epoch_start;
  tcp_event_data_sent(sk, env, cubic_ops(), 3);  // lsndtime = 1000 ms, no event (3 in flight)
  CHECK(sk.priv.cubic.epoch_start == epoch);
  env.now = at_ms(3000);  // 2 s idle = 500 jiffies at HZ 250
  tcp_event_data_sent(sk, env, cubic_ops(), 0);
  CHECK(sk.priv.cubic.epoch_start == epoch + 500);
  CHECK(sk.lsndtime == env.jiffies());
}

TEST_CASE("Restart after idle: ssthresh >= 3/4 cwnd, cwnd halved per RTO idle, floor IW") {
  CaEnv env;
  CaSock sk;
  env.now = at_ms(0);
  sk.lsndtime = env.jiffies();
  sk.snd_cwnd = 80;
  sk.snd_ssthresh = 50;
  env.now = at_ms(500);  // 125 jiffies; RTO 200 ms = 50 jiffies: 75 > 0 -> 40, 25 > 0 -> 20
  CHECK(tcp_slow_start_after_idle_check(sk, env, reno_ops(), 0, Duration::milliseconds(200), true));
  CHECK(sk.snd_ssthresh == 60);
  CHECK(sk.snd_cwnd == 20);
  sk.lsndtime = env.jiffies();
  env.now = at_ms(700);  // exactly one RTO idle: not more than it
  CHECK_FALSE(
      tcp_slow_start_after_idle_check(sk, env, reno_ops(), 0, Duration::milliseconds(200), true));
  CHECK(sk.snd_cwnd == 20);
}

TEST_CASE("KernelClock: jiffies from INITIAL_JIFFIES, usecs rounded up") {
  KernelClock hz250;
  CHECK(hz250.jiffies(Instant::zero()) == static_cast<uint32_t>(-75000));
  CHECK(hz250.usecs_to_jiffies(10000) == 3);
  CHECK(hz250.round_up(Duration::microseconds(200102)) == Duration::milliseconds(204));
  KernelClock hz1000{1000};
  CHECK(hz1000.usecs_to_jiffies(10000) == 10);
  CHECK(hz1000.round_up(Duration::microseconds(200102)) == Duration::milliseconds(201));
}

TEST_CASE("packetdrill slow-start-app-limited(-9-packets-out).pkt at component level") {
  // IW10, one write of 9 or 10 MSS at 200 ms, ACKs of 2 MSS from 305 ms every 5 ms.
  for (const uint32_t sent : {10u, 9u}) {
    CaEnv env;
    CaSock sk;
    env.now = at_ms(200);
    env.snd_una = SeqNum(1);
    env.snd_nxt = SeqNum(1 + sent * 1000);
    cubic_ops().init(sk, env);
    SeqNum usage_seq(1);
    // tcp_write_xmit(): cwnd-limited when in_flight >= cwnd after the burst.
    tcp_cwnd_validate(sk, env, sent >= sk.snd_cwnd, sent, usage_seq, Duration::seconds(1), false);
    const uint32_t acks[] = {2001, 4001, 6001, 8001, 1 + sent * 1000};
    const uint32_t want10[] = {12, 14, 16, 18, 20};
    const uint32_t want9[] = {12, 14, 16, 18, 18};  // not limited: cwnd < 2 * 9 stops at 18
    for (int i = 0; i < 5; ++i) {
      env.now = at_ms(305 + 5 * i);
      const uint32_t acked = (acks[i] - env.snd_una.raw()) / 1000;
      env.snd_una = SeqNum(acks[i]);
      cubic_ops().pkts_acked(sk, env, {acked, static_cast<int32_t>(105000 + 5000 * i), 0});
      cubic_ops().cong_avoid(sk, env, env.snd_una, acked);
      INFO("sent " << sent << " ack " << acks[i]);
      CHECK(sk.snd_cwnd == (sent == 10 ? want10[i] : want9[i]));
    }
  }
}

TEST_CASE(
    "Pacing rate: 2 x cwnd * mss / srtt in slow start, 1.2 x after (tcp_update_pacing_rate)") {
  CaSock sk;
  // 1448 * 10 / 10 ms = 1,448,000 B/s; x2 while cwnd < ssthresh / 2.
  CHECK(tcp_update_pacing_rate(sk, 10000 * 8, 1448, 10) == 2'896'000);
  sk.snd_ssthresh = 15;
  CHECK(tcp_update_pacing_rate(sk, 10000 * 8, 1448, 10) == 1'737'600);
  CHECK(tcp_update_pacing_rate(sk, 10000 * 8, 1448, 20) == 3'475'200);  // max(cwnd, packets_out)
}

TEST_CASE("CUBIC HyStart: with a pacing rate the ACK train gets min(1 ms, 4 GSO / rate) more") {
  CaEnv env;
  CaSock sk;
  sk.snd_cwnd = 16;
  sk.is_cwnd_limited = true;
  env.snd_nxt = SeqNum(16);
  env.now = at_ms(0);
  env.pacing_rate = 2'896'000;  // 65536 * 4 s / rate = 90 ms: the cushion is 1 ms
  cubic_ops().init(sk, env);
  // Unpaced: threshold = (10000 + 1000) >> 1 = 5500 µs; round 2 starts at ACK 17 (18 ms), so
  // ACK 29 (24 ms) is the first beyond it; cwnd 16 + 28 = 44.
  int exit_ack = 0;
  for (int k = 1; k < 40 && exit_ack == 0; ++k) {
    env.now = at_us(10000 + (k - 1) * 500);
    env.snd_una = SeqNum(static_cast<uint32_t>(k));
    cubic_ops().pkts_acked(sk, env, {1, 10000, 0});
    cubic_ops().cong_avoid(sk, env, env.snd_una, 1);
    env.snd_nxt += 2;
    if (sk.priv.cubic.found != 0) exit_ack = k;
  }
  CHECK(exit_ack == 29);
  CHECK(sk.snd_ssthresh == 44);
}
