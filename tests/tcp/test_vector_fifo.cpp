// VectorFifo (protocols/tcp/vector_fifo.hpp), the TX-completion queue of every connection on a
// finite link: FIFO order through its compaction, the consumed front cut off only once it is
// at least 32 elements and more than half the vector, storage kept for the next fill up to 256
// elements and given back above that.

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "protocols/tcp/vector_fifo.hpp"

using netsim::tcp::VectorFifo;

namespace {

// Counts the live objects, so that what the vector still holds (consumed ones included) shows.
struct Tracked {
  static inline int live = 0;
  int v = 0;
  explicit Tracked(int x) : v(x) { ++live; }
  Tracked(const Tracked& o) : v(o.v) { ++live; }
  Tracked(Tracked&& o) noexcept : v(o.v) { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) noexcept = default;
  ~Tracked() { --live; }
};

void fill(VectorFifo<Tracked>& q, int from, int to) {
  for (int i = from; i < to; ++i)
    q.push_back(Tracked(i));
}

// Pops `n`, checking they come in order from `first`.
void pop(VectorFifo<Tracked>& q, int first, int n) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(!q.empty());
    CHECK(q.front().v == first + i);
    q.pop_front();
  }
}

}  // namespace

TEST_CASE("VectorFifo cuts off the consumed front only past 32 and half the vector") {
  Tracked::live = 0;
  SECTION("33 of 40 consumed: the next push compacts, order kept") {
    VectorFifo<Tracked> q;
    fill(q, 0, 40);
    pop(q, 0, 33);
    CHECK(Tracked::live == 40);  // consumed elements stay until a compaction
    CHECK(q.size() == 7);
    q.push_back(Tracked(40));
    CHECK(Tracked::live == 8);
    CHECK(q.size() == 8);
    CHECK(q[0].v == 33);
    CHECK(q[7].v == 40);
    pop(q, 33, 8);
    CHECK(q.empty());
    CHECK(Tracked::live == 0);
  }
  // `consumed` of `n` popped, one more pushed: every element is still held.
  const auto no_compaction = [](int n, int consumed) {
    VectorFifo<Tracked> q;
    fill(q, 0, n);
    pop(q, 0, consumed);
    q.push_back(Tracked(n));
    CHECK(Tracked::live == n + 1);
    pop(q, consumed, n + 1 - consumed);
  };
  SECTION("31 consumed: below the minimum, no compaction") {
    no_compaction(40, 31);
  }
  SECTION("40 of 100 consumed: not more than half, no compaction") {
    no_compaction(100, 40);
  }
  CHECK(Tracked::live == 0);
}

TEST_CASE("VectorFifo keeps its storage up to 256 elements and gives a larger peak back") {
  SECTION("a fill of 200 keeps its room for the next one") {
    VectorFifo<int> q;
    for (int i = 0; i < 200; ++i)
      q.push_back(i);
    const size_t cap = q.capacity();
    CHECK(cap >= 200);
    CHECK(cap <= 256);
    for (int i = 0; i < 200; ++i)
      q.pop_front();
    CHECK(q.empty());
    CHECK(q.capacity() == cap);
    for (int i = 0; i < 200; ++i)
      q.push_back(i);
    CHECK(q.capacity() == cap);  // no new allocation
  }
  SECTION("a peak of 300 is released when the queue empties") {
    VectorFifo<int> q;
    for (int i = 0; i < 300; ++i)
      q.push_back(i);
    CHECK(q.capacity() > 256);
    for (int i = 0; i < 299; ++i)
      q.pop_front();
    CHECK(q.capacity() > 256);  // not yet empty
    CHECK(q.front() == 299);
    q.pop_front();
    CHECK(q.empty());
    CHECK(q.capacity() == 0);
  }
  SECTION("clear() releases it too, and keeps a small one") {
    VectorFifo<int> big, small;
    for (int i = 0; i < 300; ++i)
      big.push_back(i);
    big.clear();
    CHECK(big.empty());
    CHECK(big.capacity() == 0);
    for (int i = 0; i < 10; ++i)
      small.push_back(i);
    const size_t cap = small.capacity();
    small.clear();
    CHECK(small.empty());
    CHECK(small.capacity() == cap);
  }
}

// A queue that never empties (a steady depth of 10 through 10000 pushes and pops) still stays
// small: the compaction at 32 consumed bounds the vector at 42 elements.
TEST_CASE("VectorFifo at a steady depth never grows past the compaction bound") {
  VectorFifo<int> q;
  for (int i = 0; i < 10; ++i)
    q.push_back(i);
  size_t most = 0;
  for (int i = 10; i < 10010; ++i) {
    q.push_back(i);
    CHECK(q.front() == i - 10);
    q.pop_front();
    most = std::max(most, q.capacity());
  }
  CHECK(q.size() == 10);
  CHECK(most <= 64);
  CHECK(std::vector<int>(q.begin(), q.end()) ==
        std::vector<int>{10000, 10001, 10002, 10003, 10004, 10005, 10006, 10007, 10008, 10009});
}
