// The receiver's SACK blocks (protocols/tcp/sack_receiver.hpp): order on the wire, extension
// and coalescing, the option space limit, D-SACK cases of linux-tcp-facts-2.md §4.1, removal
// once rcv_nxt covers a block. Each case follows the kernel function named in it.

#include <catch2/catch.hpp>
#include <vector>

#include "protocols/tcp/sack_receiver.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {

SackBlock b(uint32_t s, uint32_t e) {
  return {SeqNum(s), SeqNum(e)};
}
std::vector<SackBlock> v(std::span<const SackBlock> s) {
  return {s.begin(), s.end()};
}
const SeqNum kRcvNxt(1001);

}  // namespace

TEST_CASE("SACK: new blocks enter slot 0, a touched block is extended and coalesced") {
  SackReceiver r;
  CHECK_FALSE(r.active());
  std::vector<SackBlock> ofo;
  r.on_ofo_segment(ofo, SeqNum(2001), SeqNum(3001), true, true, kRcvNxt, nullptr);
  ofo = {b(2001, 3001)};
  r.on_ofo_segment(ofo, SeqNum(4001), SeqNum(5001), true, true, kRcvNxt, nullptr);
  CHECK(v(r.blocks()) == std::vector{b(4001, 5001), b(2001, 3001)});
  // [3001, 4001) extends slot 0 to [3001, 5001), which then swallows [2001, 3001).
  ofo = {b(2001, 3001), b(4001, 5001)};
  r.on_ofo_segment(ofo, SeqNum(3001), SeqNum(4001), true, true, kRcvNxt, nullptr);
  CHECK(v(r.blocks()) == std::vector{b(2001, 5001)});
}

TEST_CASE("SACK: at most 4 blocks are held, 3 fit beside timestamps, most recent first") {
  SackReceiver r;
  std::vector<SackBlock> ofo;
  for (uint32_t i = 0; i < 5; ++i) {
    const uint32_t s = 2001 + i * 2000;
    r.on_ofo_segment(ofo, SeqNum(s), SeqNum(s + 1000), true, true, kRcvNxt, nullptr);
    ofo.push_back(b(s, s + 1000));
  }
  CHECK(v(r.blocks()) == std::vector{b(10001, 11001), b(8001, 9001), b(6001, 7001), b(4001, 5001)});
  // nop,nop,TS takes 12 of the 40 bytes: (28 - 4) / 8 = 3 blocks; without it 4.
  CHECK(v(r.take_option(12).view()) == std::vector{b(10001, 11001), b(8001, 9001), b(6001, 7001)});
  CHECK(r.take_option(0).count == 4);
  // Extending the block in slot 2 rotates it to slot 0 and flushes a compressed ACK.
  CHECK(r.on_ofo_segment(ofo, SeqNum(7001), SeqNum(7501), true, true, kRcvNxt, nullptr));
  CHECK(v(r.blocks()) == std::vector{b(6001, 7501), b(10001, 11001), b(8001, 9001), b(4001, 5001)});
}

TEST_CASE("D-SACK: a wholly old segment is reported first, once (TCPDSACKOldSent)") {
  SackReceiver r;
  SackSentMib mib;
  std::vector<SackBlock> ofo;
  r.on_ofo_segment(ofo, SeqNum(4001), SeqNum(5001), true, true, SeqNum(3001), &mib);
  ofo = {b(4001, 5001)};
  r.on_ofo_segment(ofo, SeqNum(6001), SeqNum(7001), true, true, SeqNum(3001), &mib);
  r.on_old_segment(SeqNum(1001), SeqNum(2001), SeqNum(3001), true, true, &mib);
  CHECK(mib.TCPDSACKOldSent == 1);
  CHECK(mib.DelayedACKLost == 1);
  SackOption opt = r.take_option(12);
  CHECK(opt.has_dsack);
  CHECK(v(opt.view()) == std::vector{b(1001, 2001), b(6001, 7001), b(4001, 5001)});
  opt = r.take_option(12);
  CHECK_FALSE(opt.has_dsack);
  CHECK(v(opt.view()) == std::vector{b(6001, 7001), b(4001, 5001)});
}

TEST_CASE("D-SACK: a segment straddling rcv_nxt reports seq..rcv_nxt") {
  SackReceiver r;
  r.on_old_segment(SeqNum(1501), SeqNum(2501), SeqNum(2001), true, true, nullptr);
  CHECK(v(r.take_option(12).view()) == std::vector{b(1501, 2001)});
  CHECK_FALSE(r.active());  // nothing held any more: released
}

TEST_CASE("D-SACK: overlap with queued out-of-order data (TCPDSACKOfoSent)") {
  SackReceiver r;
  SackSentMib mib;
  std::vector<SackBlock> ofo{b(3001, 5001)};
  r.on_ofo_segment({}, SeqNum(3001), SeqNum(5001), true, true, kRcvNxt, &mib);
  SECTION("wholly present") {
    r.on_ofo_segment(ofo, SeqNum(3501), SeqNum(4001), true, true, kRcvNxt, &mib);
    CHECK(v(r.take_option(12).view()) == std::vector{b(3501, 4001), b(3001, 5001)});
  }
  SECTION("partly present") {
    r.on_ofo_segment(ofo, SeqNum(4501), SeqNum(6001), true, true, kRcvNxt, &mib);
    CHECK(v(r.take_option(12).view()) == std::vector{b(4501, 5001), b(3001, 6001)});
  }
  SECTION("covering queued data from the left") {
    r.on_ofo_segment(ofo, SeqNum(2001), SeqNum(4001), true, true, kRcvNxt, &mib);
    CHECK(v(r.take_option(12).view()) == std::vector{b(3001, 4001), b(2001, 5001)});
  }
  CHECK(mib.TCPDSACKOfoSent == 1);
}

TEST_CASE("D-SACK: the hole fill overlapping queued data (tcp_ofo_queue)") {
  SackReceiver r;
  r.on_ofo_segment({}, SeqNum(3001), SeqNum(5001), true, true, kRcvNxt, nullptr);
  // [1001, 3501) arrives in order: rcv_nxt 3501, then [3001, 5001) drains; 3001..3501 twice.
  std::vector<SackBlock> drained{b(3001, 5001)};
  r.on_ofo_drained(drained, SeqNum(3501), true, true, nullptr);
  r.remove_covered(SeqNum(5001), true);
  SackOption opt = r.take_option(12);
  CHECK(opt.has_dsack);
  CHECK(v(opt.view()) == std::vector{b(3001, 3501)});
}

TEST_CASE("SACK: blocks at or below rcv_nxt are removed, an empty queue clears all") {
  SackReceiver r;
  r.on_ofo_segment({}, SeqNum(2001), SeqNum(3001), true, true, kRcvNxt, nullptr);
  std::vector<SackBlock> ofo{b(2001, 3001)};
  r.on_ofo_segment(ofo, SeqNum(4001), SeqNum(5001), true, true, kRcvNxt, nullptr);
  r.remove_covered(SeqNum(3001), false);
  CHECK(v(r.blocks()) == std::vector{b(4001, 5001)});
  r.remove_covered(SeqNum(5001), true);
  CHECK(r.num_sacks() == 0);
  CHECK_FALSE(r.active());
}

TEST_CASE("Without SACK (or with tcp_dsack 0) nothing is held or sent") {
  SackReceiver r;
  r.on_ofo_segment({}, SeqNum(2001), SeqNum(3001), false, true, kRcvNxt, nullptr);
  r.on_old_segment(SeqNum(1), SeqNum(501), kRcvNxt, false, true, nullptr);
  CHECK_FALSE(r.active());
  r.on_old_segment(SeqNum(1), SeqNum(501), kRcvNxt, true, false, nullptr);
  CHECK_FALSE(r.dsack_pending());
}

TEST_CASE("packetdrill tcp_dsack_mult.pkt at component level (no timestamps: up to 4 blocks)") {
  SackReceiver r;
  auto seg = [&](std::vector<SackBlock> ofo, uint32_t s, uint32_t e) {
    r.on_ofo_segment(ofo, SeqNum(s), SeqNum(e), true, true, SeqNum(1), nullptr);
    return v(r.take_option(0).view());
  };
  CHECK(seg({}, 1001, 2001) == std::vector{b(1001, 2001)});
  CHECK(seg({b(1001, 2001)}, 2001, 3001) == std::vector{b(1001, 3001)});
  CHECK(seg({b(1001, 3001)}, 4001, 5001) == std::vector{b(4001, 5001), b(1001, 3001)});
  CHECK(seg({b(1001, 3001), b(4001, 5001)}, 7001, 8001) ==
        std::vector{b(7001, 8001), b(4001, 5001), b(1001, 3001)});
  // 1:6001 in order: rcv_nxt 6001, the queued [1001, 3001) and [4001, 5001) drain; the first
  // was received twice -> D-SACK 1001:3001 (the second does not touch it), then 7001:8001.
  std::vector<SackBlock> drained{b(1001, 3001), b(4001, 5001)};
  r.on_ofo_drained(drained, SeqNum(6001), true, true, nullptr);
  r.remove_covered(SeqNum(6001), false);
  CHECK(v(r.take_option(0).view()) == std::vector{b(1001, 3001), b(7001, 8001)});
  // 6001:8001 in order: D-SACK 7001:8001 alone.
  drained = {b(7001, 8001)};
  r.on_ofo_drained(drained, SeqNum(8001), true, true, nullptr);
  r.remove_covered(SeqNum(8001), true);
  CHECK(v(r.take_option(0).view()) == std::vector{b(7001, 8001)});
  // An old segment: D-SACK 1:1001.
  r.on_old_segment(SeqNum(1), SeqNum(1001), SeqNum(8001), true, true, nullptr);
  CHECK(v(r.take_option(0).view()) == std::vector{b(1, 1001)});
}
