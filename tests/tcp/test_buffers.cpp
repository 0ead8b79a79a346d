// The connection's memory: the send buffer (shared chunks, no copy within one write), the
// retransmission queue (Karn bookkeeping on ACK), and the receive buffer with out-of-order
// reassembly and the FIN position.

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocols/tcp/reassembly.hpp"
#include "protocols/tcp/send_buffer.hpp"

using namespace netsim;
using namespace netsim::literals;
using namespace netsim::tcp;

namespace {
Payload text(std::string_view s) {
  return Payload::from_string(s);
}
std::string str(const Payload& p) {
  return std::string(p.as_string_view());
}
}  // namespace

TEST_CASE("SendBuffer reads across writes and shares storage within one") {
  SendBuffer b;
  Payload big = text("0123456789");
  b.append(big);
  b.append(text("abcdef"));
  CHECK(b.size() == 16);
  Payload in_one = b.read(2, 5);
  CHECK(str(in_one) == "23456");
  CHECK(in_one.data() == big.data() + 2);  // no copy
  CHECK(str(b.read(8, 4)) == "89ab");
  b.consume(9);
  CHECK(b.size() == 7);
  CHECK(str(b.read(0, 7)) == "9abcdef");
  b.consume(7);
  CHECK(b.empty());
  CHECK(b.chunk_count() == 0);
}

// sk_wmem_queued's skb count: one per GSO piece sent (skb_start on its first segment);
// tcp_clean_rtx_queue() frees an skb once all of it is acknowledged, a partly acknowledged one
// is trimmed (tcp_trim_head()) and still counts.
TEST_CASE("RtxQueue counts the skbs its segments stand for through partial ACKs") {
  RtxQueue q;
  Instant t0 = Instant::zero();
  for (uint32_t i = 0; i < 5; ++i) {
    SentSegment s{.seq = SeqNum(100 + 10 * i), .len = 10, .first_sent = t0, .last_sent = t0};
    s.skb_start = i == 0 || i == 3;  // two pieces: [100, 130) and [130, 150)
    q.push(s);
  }
  CHECK(q.skbs() == 2);
  q.acknowledge(SeqNum(115));  // inside the first piece: trimmed, both stay
  CHECK(q.skbs() == 2);
  CHECK(q.front().skb_start);
  q.acknowledge(SeqNum(130));  // the first piece in full
  CHECK(q.skbs() == 1);
  q.acknowledge(SeqNum(140));  // the second piece's head
  CHECK(q.skbs() == 1);
  CHECK(q.front().skb_start);
  q.acknowledge(SeqNum(150));
  CHECK(q.skbs() == 0);
  q.push(SentSegment{.seq = SeqNum(150), .len = 10, .first_sent = t0, .last_sent = t0});
  CHECK(q.skbs() == 0);  // not an skb start (a segment of a piece)
}

// tcp_fragment() after the MSS dropped (a SACK option, TCP_MAXSEG, PMTU): both halves get
// tcp_set_skb_tso_segs(skb, mss_now), so the split-off rest is cut at the current MSS too, its
// last segment keeping the skb's PSH; an skb whose head was re-cut earlier and whose rest was
// not is re-cut as well.
TEST_CASE("RtxQueue re-cuts both halves of a fragmented skb at the current MSS") {
  auto cuts = [](const RtxQueue& q) {
    std::vector<std::string> v;
    for (size_t k = 0; k < q.size(); ++k) {
      const SentSegment& s = q.at(k);
      v.push_back(fmt::format("{}{}:{}{}", s.skb_start ? "|" : "", s.seq.raw(), s.end().raw(),
                              s.psh ? " P" : ""));
    }
    return v;
  };
  const Instant t0 = Instant::zero();
  RtxQueue q;
  for (uint32_t i = 0; i < 5; ++i) {  // one skb of five 10-byte segments, PSH at its end
    SentSegment s{.seq = SeqNum(100 + 10 * i), .len = 10, .first_sent = t0, .last_sent = t0};
    s.skb_start = i == 0;
    s.psh = i == 4;
    q.push(s);
  }
  CHECK(q.recut(0, 5, 8, 8) == 1);  // the MSS is now 8: one 8-byte segment goes
  CHECK(cuts(q) == std::vector<std::string>{"|100:108", "|108:116", "116:124", "124:132", "132:140",
                                            "140:148", "148:150 P"});
  CHECK(q.skbs() == 2);
  // The rest's head re-cut at 6 (a larger SACK option): its first 6 bytes, and the rest at 6.
  CHECK(q.recut(1, 7, 6, 6) == 1);
  CHECK(cuts(q) == std::vector<std::string>{"|100:108", "|108:114", "|114:120", "120:126",
                                            "126:132", "132:138", "138:144", "144:150 P"});
  CHECK(q.skbs() == 3);
  // Already cut at 6: only the boundary is new (tcp_fragment() at a segment's edge).
  CHECK(q.recut(2, 8, 6, 12) == 2);
  CHECK(q.skbs() == 4);
  CHECK(cuts(q)[4] == "|126:132");
}

TEST_CASE("RtxQueue acknowledges whole and partial segments and reports Karn's facts") {
  RtxQueue q;
  Instant t0 = Instant::zero();
  q.push(SentSegment{SeqNum(100), 10, t0, t0, 0, false});
  q.push(SentSegment{SeqNum(110), 10, t0 + 1_ms, t0 + 1_ms, 1, false});
  q.push(SentSegment{SeqNum(120), 11, t0 + 2_ms, t0 + 2_ms, 0, true});
  CHECK(q.find(SeqNum(115)) == 1);
  CHECK(q.find(SeqNum(131)) == 3);
  auto r = q.acknowledge(SeqNum(110));
  CHECK(r.oldest_sent == t0);
  CHECK_FALSE(r.any_retransmitted);
  r = q.acknowledge(SeqNum(125));
  CHECK(r.any_retransmitted);
  CHECK(q.size() == 1);
  CHECK(q.front().seq == SeqNum(125));
  CHECK(q.front().len == 6);
  CHECK(q.front().data_len() == 5);
  CHECK_FALSE(q.any_retransmitted());
  q.acknowledge(SeqNum(131));
  CHECK(q.empty());
}

TEST_CASE("ReceiveBuffer reassembles out-of-order pieces, first arrival wins on overlap") {
  ReceiveBuffer b;
  SeqNum nxt(1000);
  b.insert(SeqNum(1005), text("fghij"), nxt);
  b.insert(SeqNum(1003), text("DEFGH"), nxt);  // overlaps the held piece: only "DE" is new
  b.insert(SeqNum(1012), text("mn"), nxt);
  CHECK(b.out_of_order_bytes() == 9);
  CHECK(b.out_of_order_segments() == 3);
  std::string why;
  CHECK(b.check(nxt, SeqNum(2000), &why));
  std::vector<Payload> got;
  b.take_in_order(nxt, got);
  CHECK(got.empty());
  nxt = SeqNum(1003);
  b.take_in_order(nxt, got);
  CHECK(nxt == SeqNum(1010));
  REQUIRE(got.size() == 2);
  CHECK(str(got[0]) + str(got[1]) == "DEfghij");
  CHECK(b.out_of_order_segments() == 1);
}

TEST_CASE("ReceiveBuffer keeps the FIN's place and drops data beyond it") {
  ReceiveBuffer b;
  SeqNum nxt(0);
  b.insert(SeqNum(20), text("0123456789"), nxt);
  b.set_fin(SeqNum(25));
  CHECK(b.out_of_order_bytes() == 5);
  b.insert(SeqNum(40), text("late"), nxt);
  CHECK(b.out_of_order_bytes() == 5);
  b.set_fin(SeqNum(22));  // a second, different FIN is ignored
  CHECK(b.fin() == SeqNum(25));
  std::string why;
  CHECK(b.check(nxt, SeqNum(100), &why));
  b.clear_out_of_order();
  CHECK_FALSE(b.has_out_of_order());
}

TEST_CASE("ReceiveBuffer hands out unread bytes in order, in slices or copies") {
  ReceiveBuffer b;
  b.push_readable(text("hello "));
  b.push_readable(text("world"));
  CHECK(b.readable() == 11);
  CHECK(str(b.read(3)) == "hel");
  CHECK(str(b.read(5)) == "lo wo");
  CHECK(str(b.read(100)) == "rld");
  CHECK(b.readable() == 0);
  CHECK(b.read(10).empty());
}
