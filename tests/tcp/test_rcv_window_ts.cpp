// Window scale and receive window choice (protocols/tcp/rcv_window.hpp) and timestamp rules
// and option layouts (protocols/tcp/timestamps.hpp), against the values Linux 6.12 computes
// and linux-tcp-facts-2.md §1-§3 records from captures.

#include <catch2/catch.hpp>
#include <vector>

#include "protocols/tcp/rcv_window.hpp"
#include "protocols/tcp/timestamps.hpp"

using namespace netsim;
using namespace netsim::literals;
using namespace netsim::tcp;

namespace {

Instant at_ms(int64_t ms) {
  return Instant::zero() + Duration::milliseconds(ms);
}

std::vector<OptKind> kinds(const OptionLayout& l) {
  return {l.view().begin(), l.view().end()};
}

}  // namespace

TEST_CASE("SYN window 64240 and shift 7 from tcp_rmem 4096 131072 6291456") {
  RcvWindowConfig cfg;
  // 131072 * 128 / 256 = 65536 rounded down to 1460: 44 * 1460; ilog2(6291456) - 15 = 7.
  InitialWindow w = syn_window(cfg, 131072, false, 1460);
  CHECK(w.rcv_wnd == 64240);
  CHECK(w.rcv_wscale == 7);
  CHECK(w.window_clamp == 65535U << 7);
  cfg.rmem[2] = 33554432;  // the 6.18 host's 32 MiB: wscale 10
  CHECK(syn_window(cfg, 131072, false, 1460).rcv_wscale == 10);
  cfg.window_scaling = false;
  CHECK(syn_window(cfg, 131072, false, 1460).rcv_wscale == 0);
}

TEST_CASE("SO_RCVBUF before connect clamps the window and lowers the shift") {
  RcvWindowConfig cfg;
  // Full space 8192: 5 * 1460 = 7300; the shift is chosen for 8192: ilog2 13 - 15 < 0 -> 0.
  InitialWindow w = syn_window(cfg, 16384, true, 1460);
  CHECK(w.rcv_wnd == 7300);
  CHECK(w.rcv_wscale == 0);
  CHECK(w.window_clamp == 8192);
}

TEST_CASE("SYN-ACK window: 45 * 1448 = 65160 with timestamps, 64240 without") {
  RcvWindowConfig cfg;
  InitialWindow w = synack_window(cfg, 131072, false, 1460, true, true);
  CHECK(w.rcv_wnd == 65160);
  CHECK(w.rcv_wscale == 7);
  w = synack_window(cfg, 131072, false, 1460, false, false);
  CHECK(w.rcv_wnd == 64240);
  CHECK(w.rcv_wscale == 0);  // the SYN did not offer window scaling
  CHECK(w.window_clamp == 65535);
}

TEST_CASE("After the handshake: clamp 64088, rcv_ssthresh 64088, then 501 at shift 7") {
  RcvWindowConfig cfg;
  RcvWindow w = rcv_window_from(syn_window(cfg, 131072, false, 1460), SeqNum(1));
  init_buffer_space(w, cfg, 131072, 1448);
  CHECK(w.window_clamp == 64088);  // 65536 - advmss (tcp_app_win 31 reserves one segment)
  CHECK(w.rcv_ssthresh == 64088);
  CHECK(w.rcvq_space == 14480);
  RcvSpace sp;
  RcvWindow w10 = w;
  w10.rcv_wscale = 10;
  // The handshake ACK: min(65536, 64088) -> 64128 is below the SYN's promised 64240, which
  // tcp_select_window() keeps: align(64240, 128) = 64256 -> 502.
  SelectedWindow s = select_window(w, sp, SeqNum(1), cfg);
  CHECK(s.field == 502);
  CHECK(w.rcv_wnd == 64256);
  // Once a segment has been received and read the promise is below 64128: 501.
  s = select_window(w, sp, SeqNum(1 + 1448), cfg);
  CHECK(s.field == 501);
  CHECK(w.rcv_wnd == 64128);
  // At shift 10 both give align(.., 1024) = 64512 -> 63, as the 6.18 client showed.
  CHECK(select_window(w10, sp, SeqNum(1), cfg).field == 63);
}

TEST_CASE("The passive side keeps its SYN-ACK's 65160 at first: 510 at shift 7, 64 at shift 10") {
  RcvWindowConfig cfg;
  RcvWindow w = rcv_window_from(synack_window(cfg, 131072, false, 1460, true, true), SeqNum(1));
  init_buffer_space(w, cfg, 131072, 1448);
  RcvWindow w10 = w;
  w10.rcv_wscale = 10;
  RcvSpace sp;
  CHECK(select_window(w, sp, SeqNum(1), cfg).field == 510);   // align(65160, 128) = 65280
  CHECK(select_window(w10, sp, SeqNum(1), cfg).field == 64);  // align(65160, 1024) = 65536
}

TEST_CASE("The offered right edge never moves left, zero is wanted, then reached") {
  RcvWindowConfig cfg;
  RcvWindow w = rcv_window_from(syn_window(cfg, 131072, false, 1460), SeqNum(1));
  init_buffer_space(w, cfg, 131072, 1448);
  RcvSpace sp;
  select_window(w, sp, SeqNum(1), cfg);  // 64256 offered at rcv_nxt 1
  // 10 segments arrived and sit unread (100000 bytes of truesize): free = 31072 / 2 = 15536 <
  // 64088 / 2, rounded down to 15488 - less than the 49776 still promised: keep the edge.
  sp.rmem_alloc = 100000;
  SelectedWindow s = select_window(w, sp, SeqNum(1 + 14480), cfg);
  CHECK(s.field == 389);  // align(49776, 128) = 49792 >> 7
  CHECK_FALSE(s.want_zero);
  // Nearly full: free 1036 -> 1024 < 65536 / 16: zero wanted, the edge (35312 away) kept.
  sp.rmem_alloc = 129000;
  s = select_window(w, sp, SeqNum(1 + 28960), cfg);
  CHECK(s.want_zero);
  CHECK(s.field == 276);  // align(35312, 128) = 35328 >> 7
  // The sender filled the edge: the window reaches 0 on the wire.
  const SeqNum edge = w.rcv_wup + w.rcv_wnd;
  s = select_window(w, sp, edge, cfg);
  CHECK(s.field == 0);
  CHECK(s.to_zero);
  sp.rmem_alloc = 0;  // the application read everything
  s = select_window(w, sp, edge, cfg);
  CHECK(s.from_zero);
  CHECK(s.field == 501);
}

TEST_CASE("Unscaled windows stay a multiple of the MSS, re-rounded only when off by one MSS") {
  RcvWindowConfig cfg;
  cfg.window_scaling = false;
  RcvWindow w = rcv_window_from(syn_window(cfg, 131072, false, 1460), SeqNum(1));
  w.window_clamp = 65535;
  RcvSpace sp;
  sp.rcv_mss = 1460;
  CHECK(compute_window(w, sp) == 64240);  // free 65536 capped by rcv_ssthresh 64240: kept
  sp.rmem_alloc = 5072;  // free (131072 - 5072) / 2 = 63000: rounddown to 43 * 1460
  CHECK(compute_window(w, sp) == 62780);
}

TEST_CASE("tcp_grow_window: rcv_ssthresh grows by max(2 * advmss, 2 * len) while there is room") {
  RcvWindowConfig cfg;
  RcvWindow w = rcv_window_from(syn_window(cfg, 131072, false, 1460), SeqNum(1));
  init_buffer_space(w, cfg, 131072, 1448);
  RcvSpace sp;
  CHECK_FALSE(grow_window(w, cfg, sp, 1448, 2304, 1448));  // clamp reached: no room
  w.window_clamp = 200000;
  sp.rcvbuf = 400000;
  CHECK(grow_window(w, cfg, sp, 1448, 2304, 1448));  // 2304 / 2 <= 1448: + 2 * advmss
  CHECK(w.rcv_ssthresh == 64088 + 2896);
  // A 100-byte segment in a 4096-byte buffer: halved 5 times until 64 <= 100: + 2 * rcv_mss.
  CHECK(grow_window(w, cfg, sp, 100, 4096, 1448));
  CHECK(w.rcv_ssthresh == 64088 + 2896 + 1072);
}

TEST_CASE("TSval: milliseconds of departure plus the connection's offset, mod 2^32") {
  TsClock c{1000};
  CHECK(c.tsval(at_ms(600)) == 1600);
  CHECK(c.tsval(Instant::zero() + 600'999_us) == 1600);
  TsClock w{0xFFFFFF00u};
  CHECK(w.tsval(at_ms(0x200)) == 0x100);
}

TEST_CASE("ts_recent: only segments at or before rcv_wup that pass PAWS update it") {
  TsRecent r{1000, 5};
  r.replace(1010, SeqNum(101), SeqNum(101), at_ms(6000));
  CHECK(r.ts_recent == 1010);
  CHECK(r.ts_recent_stamp == 6);
  r.replace(1020, SeqNum(201), SeqNum(101), at_ms(6100));  // beyond rcv_wup: out of order
  CHECK(r.ts_recent == 1010);
  r.replace(1005, SeqNum(101), SeqNum(101), at_ms(6200));  // older: fails PAWS window 0
  CHECK(r.ts_recent == 1010);
}

TEST_CASE("PAWS: older than ts_recent by more than 1 is dropped, with Linux's exemptions") {
  TsRecent r{1000, 100};
  PawsSegment data{998, SeqNum(5001), SeqNum(6001), SeqNum(1), true, false, false};
  const Instant now = at_ms(100'500);
  CHECK(paws_discard(r, data, SeqNum(5001), SeqNum(1), 200_ms, 250, now));
  data.tsval = 999;  // TCP_PAWS_WINDOW 1
  CHECK_FALSE(paws_discard(r, data, SeqNum(5001), SeqNum(1), 200_ms, 250, now));
  // A pure duplicate ACK within RTO (50 jiffies) * 1200 / HZ = 240 ticks is a disordered ACK.
  PawsSegment dup{900, SeqNum(5001), SeqNum(5001), SeqNum(1), true, false, false};
  CHECK_FALSE(paws_discard(r, dup, SeqNum(5001), SeqNum(1), 200_ms, 250, now));
  dup.tsval = 700;
  CHECK(paws_discard(r, dup, SeqNum(5001), SeqNum(1), 200_ms, 250, now));
  dup.rst = true;
  CHECK_FALSE(paws_discard(r, dup, SeqNum(5001), SeqNum(1), 200_ms, 250, now));
  // ts_recent stored 2147 s ago or more is no longer trusted (TCP_PAWS_WRAP).
  data.tsval = 1;
  CHECK(paws_discard(r, data, SeqNum(5001), SeqNum(1), 200_ms, 250, at_ms(2'246'999)));
  CHECK_FALSE(paws_discard(r, data, SeqNum(5001), SeqNum(1), 200_ms, 250, at_ms(2'247'000)));
  TsRecent zero{0, 100};
  CHECK_FALSE(paws_discard(zero, PawsSegment{0xF0000000u, SeqNum(1), SeqNum(2), SeqNum(1)},
                           SeqNum(1), SeqNum(1), 200_ms, 250, now));
}

TEST_CASE("RTT from TSecr: whole milliseconds, 0 counted as 1") {
  TsClock c{5};
  CHECK(rtt_from_tsecr(c, Instant::zero() + 1'000'400_us, 955) == 50_ms);
  CHECK(rtt_from_tsecr(c, Instant::zero() + 1'000'400_us, 1005) == 1_ms);
  CHECK_FALSE(rtt_from_tsecr(c, at_ms(1000), 1006));  // an echo from the future
}

TEST_CASE("SYN and SYN-ACK option layouts for every combination offered (facts §1 table)") {
  using K = OptKind;
  const OptionLayout all = handshake_options(true, true, true);
  CHECK(kinds(all) == std::vector{K::mss, K::sack_perm, K::ts, K::nop, K::wscale});
  CHECK(all.bytes == 20);
  CHECK(kinds(handshake_options(true, true, false)) == std::vector{K::mss, K::sack_perm, K::ts});
  CHECK(kinds(handshake_options(true, false, true)) ==
        std::vector{K::mss, K::nop, K::nop, K::ts, K::nop, K::wscale});
  CHECK(kinds(handshake_options(true, false, false)) == std::vector{K::mss, K::nop, K::nop, K::ts});
  CHECK(kinds(handshake_options(false, true, true)) ==
        std::vector{K::mss, K::nop, K::nop, K::sack_perm, K::nop, K::wscale});
  CHECK(kinds(handshake_options(false, true, false)) ==
        std::vector{K::mss, K::nop, K::nop, K::sack_perm});
  CHECK(kinds(handshake_options(false, false, true)) == std::vector{K::mss, K::nop, K::wscale});
  CHECK(kinds(handshake_options(false, false, false)) == std::vector{K::mss});
  // Option bytes in the table's order (TS+SACK+WS, TS+SACK, TS+WS, TS, SACK+WS, SACK, WS, none).
  const uint8_t bytes[] = {20, 16, 20, 16, 12, 8, 8, 4};
  size_t i = 0;
  for (bool ts : {true, false})
    for (bool sack : {true, false})
      for (bool ws : {true, false})
        CHECK(handshake_options(ts, sack, ws).bytes == bytes[i++]);
}

TEST_CASE("Option bytes: the SYN's 20 bytes and an established segment's TS + 3 SACK blocks") {
  OptionValues v;
  v.tsval = 0x01020304;
  const OptionBytes syn = encode_options(handshake_options(true, true, true), v);
  const std::vector<uint8_t> want{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2,
                                  3, 4, 0,    0,    0, 0, 1, 3,  3, 7};
  CHECK(std::vector<uint8_t>(syn.data.begin(), syn.data.begin() + syn.len) == want);
  const SackBlock blocks[] = {
      {SeqNum(1001), SeqNum(2001)}, {SeqNum(3001), SeqNum(4001)}, {SeqNum(5001), SeqNum(6001)}};
  v.sacks = blocks;
  const OptionLayout est = established_options(true, 3);
  CHECK(est.bytes == 40);
  const OptionBytes e = encode_options(est, v);
  CHECK(e.len == 40);
  CHECK(e.data[12] == 1);
  CHECK(e.data[13] == 1);
  CHECK(e.data[14] == 5);
  CHECK(e.data[15] == 26);
  CHECK(e.data[19] == 0xe9);  // 1001 = 0x3e9
}
