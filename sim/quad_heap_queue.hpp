// A 4-ary implicit min-heap of 16-byte event keys, kept beside the radix heap so the two (and
// the ladder queue) can be compared on the same workloads (bench_hold --queue=quad, issue 16) and
// checked by the same reference-model test. Same members as RadixKeyQueue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

#include "sim/event_queue.hpp"

namespace netsim {

// The four children of a node are 64 contiguous bytes starting on a cache-line boundary (the
// root is stored at index 3 of a 64-byte-aligned array), so choosing the smallest child costs
// one cache line, and a pop touches one line per level: log4(N) lines. Pop moves the hole at
// the root down to a leaf along the smaller children and then lifts the former last key from
// there (Wegener's bottom-up heapsort): the last key almost always belongs near the bottom, so
// this saves the comparison with it at every level.
class QuadHeapKeyQueue {
 public:
  QuadHeapKeyQueue() = default;
  QuadHeapKeyQueue(const QuadHeapKeyQueue&) = delete;
  QuadHeapKeyQueue& operator=(const QuadHeapKeyQueue&) = delete;
  ~QuadHeapKeyQueue() { ::operator delete (a_, std::align_val_t{64}); }

  void push(const EventKey& e) {
    if (n_ == cap_) [[unlikely]]
      grow();
    size_t i = n_++;
    while (i > 0) {
      const size_t parent = (i - 1) / 4;
      if (!(e < at(parent))) break;
      at(i) = at(parent);
      i = parent;
    }
    at(i) = e;
  }
  const EventKey& top() { return at(0); }
  void pop() {
    const EventKey last = at(--n_);
    if (n_ > 0) sift_from_root(last);
  }
  const EventKey* peek() const { return n_ > 0 ? &a_[kOffset] : nullptr; }
  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; }
  // No batch is known in advance here: the caller prefetches only the next key's slot.
  std::span<const EventKey> take_soon() { return {}; }
  template <class Keep>
  void filter(Keep keep);
  std::vector<EventKey> take_all();

 private:
  static constexpr size_t kOffset = 3;  // logical index i lives at a_[i + 3]
  EventKey& at(size_t i) { return a_[i + kOffset]; }
  void sift_from_root(const EventKey& last);
  [[gnu::noinline]] void grow();

  EventKey* a_ = nullptr;
  size_t n_ = 0;
  size_t cap_ = 0;  // logical capacity
};

// Bottom-up: the hole goes down to a leaf along the smaller children, then `last` rises from
// there to its place (a key drawn after the others usually belongs near the bottom).
inline void QuadHeapKeyQueue::sift_from_root(const EventKey& last) {
  size_t i = 0;
  for (;;) {
    const size_t c = 4 * i + 1;
    if (c + 3 < n_) [[likely]] {
      const size_t a = at(c + 1) < at(c) ? c + 1 : c;
      const size_t b = at(c + 3) < at(c + 2) ? c + 3 : c + 2;
      const size_t best = at(b) < at(a) ? b : a;
      at(i) = at(best);
      i = best;
      continue;
    }
    if (c < n_) {  // a last node with one to three children
      size_t best = c;
      for (size_t k = c + 1; k < n_; ++k)
        if (at(k) < at(best)) best = k;
      at(i) = at(best);
      i = best;
    }
    break;
  }
  while (i > 0) {
    const size_t parent = (i - 1) / 4;
    if (!(last < at(parent))) break;
    at(i) = at(parent);
    i = parent;
  }
  at(i) = last;
}

template <class Keep>
void QuadHeapKeyQueue::filter(Keep keep) {
  std::vector<EventKey> kept;
  for (size_t i = 0; i < n_; ++i) {
    if (keep(at(i))) kept.push_back(at(i));
  }
  n_ = 0;
  for (const EventKey& e : kept)
    push(e);
}

extern template class BasicEventQueue<QuadHeapKeyQueue>;

}  // namespace netsim
