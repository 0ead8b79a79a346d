// Where Linux puts PSH: the skbs tcp_sendmsg_locked() builds (size_goal, forced_push(), the
// end-of-write tcp_push()), tcp_grow_skb(), and the GSO sizing (tcp_xmit_size_goal(),
// tcp_tso_autosize()) that decides how many segments one PSH closes; and the windowed min RTT
// filter tcp_tso_autosize() and RACK read.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "protocols/tcp/msg_flags.hpp"
#include "protocols/tcp/win_minmax.hpp"
#include "protocols/tcp/write_queue.hpp"

using namespace netsim;
using namespace netsim::tcp;

namespace {
// The queue as "end[P]" items, the skb's relative end and its mark.
std::vector<std::string> dump(WriteQueue& q) {
  std::vector<std::string> v;
  while (SkbMark* s = q.head()) {
    v.push_back(std::to_string(s->end.raw()) + (s->psh ? "P" : ""));
    q.sent(s->end);
  }
  return v;
}
}  // namespace

TEST_CASE("size_goal is whole segments of half the peer's largest window, at most 64 KiB") {
  CHECK(tcp_xmit_size_goal(1000, 32896) == 16000);    // tcp_bound_to_half_wnd(): 16448
  CHECK(tcp_xmit_size_goal(1448, 65535) == 31856);    // 22 segments of 32767
  CHECK(tcp_xmit_size_goal(1448, 1 << 20) == 65160);  // 45 segments of 65215 (kGsoMaxSize)
  CHECK(tcp_xmit_size_goal(1448, 2000) == 1448);      // never below one segment
}

TEST_CASE("GSO packets hold about 1 ms at the pacing rate, at least tcp_min_tso_segs") {
  // 100 ms path, cwnd 10 x 1000 B, slow start: 200 kB/s -> 195 B per ms -> the minimum, 2.
  CHECK(tcp_tso_segs(200'000, 100'000, 1000) == 2);
  // No ACK yet (sk_pacing_rate ~0): the GSO maximum, 65215 / 1448.
  CHECK(tcp_tso_segs(0, 0, 1448) == 45);
  // 1 Gbit/s: 122070 B per ms, capped at 65215.
  CHECK(tcp_tso_segs(125'000'000, 100'000, 1448) == 45);
  // 100 Mbit/s on a 1 ms path: 12207 B + 65215 >> 1 = 44814 B -> 30 segments.
  CHECK(tcp_tso_segs(12'500'000, 1000, 1448) == 30);
}

TEST_CASE("A write is cut at size_goal, forced_push marks an skb past half the window") {
  WriteQueue q;
  SeqNum pushed(1);
  // max_window 20000: forced_push() once more than 10000 bytes were written since the mark.
  q.write(SeqNum(1), SeqNum(30001), SeqNum(1), 8000, 20000, pushed);
  CHECK(pushed == SeqNum(30001));
  CHECK(dump(q) == std::vector<std::string>{"8001", "16001P", "24001", "30001P"});
}

TEST_CASE("A write appended to the previous write's tail skb takes its PSH away") {
  WriteQueue q;
  SeqNum pushed(1);
  q.write(SeqNum(1), SeqNum(501), SeqNum(1), 1000, 20000, pushed);
  CHECK(q.marked_at(SeqNum(501)));
  q.write(SeqNum(501), SeqNum(2501), SeqNum(1), 1000, 20000, pushed);
  CHECK_FALSE(q.marked_at(SeqNum(501)));
  CHECK(dump(q) == std::vector<std::string>{"1001", "2001", "2501P"});
}

TEST_CASE("tcp_grow_skb tops the head up from the next skb and eats it when emptied") {
  WriteQueue q;
  SeqNum pushed(1);
  q.write(SeqNum(1), SeqNum(4001), SeqNum(1), 1000, 100000, pushed);  // 1001 2001 3001 4001P
  q.sent(SeqNum(501));  // half of the first skb went: its remainder is the head
  q.grow_head(300);
  REQUIRE(q.head() != nullptr);
  CHECK(q.head()->end == SeqNum(1301));
  CHECK_FALSE(q.head()->psh);
  q.grow_head(5000);  // takes the rest of 2001 only: one next skb per call
  CHECK(q.head()->end == SeqNum(2001));
  q.sent(SeqNum(2001));
  q.grow_head(1000);
  q.grow_head(1000);
  CHECK(q.head()->end == SeqNum(4001));
  CHECK(q.head()->psh);  // tcp_eat_one_skb(): the eaten skb's flags join
  CHECK(q.next() == nullptr);
}

// The sent skbs are skipped, not erased one by one (WriteQueue::sent() is O(1) amortised): a
// long queue sent piecemeal, with the front compacted on the way, keeps every boundary, mark,
// tail room and the eaten-skb merge of tcp_grow_skb().
TEST_CASE("A long write queue sent one skb at a time keeps its boundaries and marks") {
  WriteQueue q;
  SeqNum pushed(1);
  // 200 skbs of 1000; max_window 20000: forced_push() marks every 11th skb.
  q.write(SeqNum(1), SeqNum(200001), SeqNum(1), 1000, 20000, pushed);
  REQUIRE(q.size() == 200);
  size_t marks = 0;
  for (uint32_t i = 1; i <= 150; ++i) {
    SkbMark* h = q.head();
    REQUIRE(h != nullptr);
    CHECK(h->end == SeqNum(1 + 1000 * i));
    marks += h->psh ? 1 : 0;
    q.sent(SeqNum(1 + 1000 * i));
    CHECK(q.size() == 200 - i);
  }
  CHECK(marks == 150 / 11);
  CHECK(q.head()->end == SeqNum(151001));
  CHECK(q.marked_at(SeqNum(200001)));
  CHECK(q.tail_room(SeqNum(150001), 2000) == 1000);  // the tail skb holds 1000 of 2000
  q.grow_head(1000);                                 // eats skb 152001 into the head
  CHECK(q.head()->end == SeqNum(152001));
  CHECK(q.next()->end == SeqNum(153001));
  CHECK(q.size() == 49);
  q.sent(SeqNum(200001));
  CHECK(q.empty());
  CHECK(q.head() == nullptr);
}

// lib/win_minmax.c as tcp_update_rtt_min() runs it: window 300 s = 75000 jiffies at HZ 250.
TEST_CASE("The min RTT is a 300 s windowed minimum: an aged minimum gives way to later samples") {
  WinMinmax m;
  m.reset(0, ~0u);
  const uint32_t win = 300 * 250;
  CHECK(m.running_min(win, 0, 100) == 100);
  CHECK(m.running_min(win, 1000, 150) == 100);
  CHECK(m.running_min(win, 20000, 150) == 100);   // a quarter passed: 150 is the 2nd choice
  CHECK(m.running_min(win, 75001, 200) == 150);   // 100 aged out: the 2nd choice takes over
  CHECK(m.running_min(win, 80000, 90) == 90);     // a new minimum resets the filter
  CHECK(m.running_min(win, 200000, 300) == 300);  // nothing left in the window: reset
}

TEST_CASE("MSG_MORE leaves the tail unmarked unless forced_push(), MSG_EOR closes the skb") {
  WriteQueue q;
  SeqNum pushed(1);
  q.write(SeqNum(1), SeqNum(501), SeqNum(1), 8000, 20000, pushed, true, true, kMsgMore);
  CHECK_FALSE(q.marked_at(SeqNum(501)));
  CHECK(pushed == SeqNum(1));
  // 10001 bytes since the last mark: forced_push() marks the tail despite MSG_MORE.
  q.write(SeqNum(501), SeqNum(10502), SeqNum(1), 8000, 20000, pushed, true, true, kMsgMore);
  CHECK(q.marked_at(SeqNum(10502)));
  CHECK(pushed == SeqNum(10502));
  // MSG_EOR: the tail has room (8000 - 2501) but takes nothing more; the next write is a new skb.
  q.write(SeqNum(10502), SeqNum(10602), SeqNum(1), 8000, 20000, pushed, true, true, kMsgEor);
  CHECK(q.tail_room(SeqNum(1), 8000) == 0);
  q.write(SeqNum(10602), SeqNum(10702), SeqNum(1), 8000, 20000, pushed);
  CHECK(dump(q) == std::vector<std::string>{"8001", "10602P", "10702P"});
}

TEST_CASE("tcp_grow_skb does not top up a record end, eating a next skb takes its eor") {
  WriteQueue q;
  SeqNum pushed(1);
  q.write(SeqNum(1), SeqNum(101), SeqNum(1), 8000, 20000, pushed, true, true, kMsgEor);
  q.write(SeqNum(101), SeqNum(201), SeqNum(1), 8000, 20000, pushed, true, true, kMsgEor);
  q.write(SeqNum(201), SeqNum(301), SeqNum(1), 8000, 20000, pushed);
  bool last = true;
  CHECK(q.first_segment(SeqNum(1), 1000, last) == 100);
  CHECK_FALSE(last);
  q.grow_head(900);
  CHECK(q.size() == 3);
  q.sent(SeqNum(101));
  // Not a record's end: the head grows from the next skb; here 50 bytes are already sent.
  WriteQueue r;
  SeqNum p2(1);
  r.write(SeqNum(1), SeqNum(101), SeqNum(1), 100, 20000, p2);
  r.write(SeqNum(101), SeqNum(151), SeqNum(1), 100, 20000, p2, true, true, kMsgEor);
  r.write(SeqNum(151), SeqNum(181), SeqNum(1), 100, 20000, p2);
  CHECK(r.first_segment(SeqNum(51), 1000, last) == 100);  // 50 + the whole next skb
  CHECK_FALSE(last);                                      // a third skb follows
  r.grow_head(950);
  CHECK(r.size() == 2);
  CHECK(r.head()->eor);  // tcp_eat_one_skb(): the eaten skb's eor
  CHECK(r.first_segment(SeqNum(51), 1000, last) == 100);
  CHECK_FALSE(last);
}
