// A ladder queue of event keys (Tang, Goh & Thng 2005, "Ladder Queue: An O(1) priority queue
// structure for large-scale discrete event simulation"), kept beside the radix heap so the two
// can be compared on the same workloads (bench_hold --queue=ladder, issue 16) and checked by the
// same reference-model test. Same members as RadixKeyQueue; the Simulator uses the radix heap.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/event_queue.hpp"

namespace netsim {

// Three tiers. Top: an unsorted vector of keys at or after top_start_ (a new far key costs one
// append). Rungs: each spreads a time range over buckets of one power-of-two width; rung 0 is
// made from Top, rung k+1 from the bucket of rung k that was too large to sort (more than
// kThreshold keys). Bottom: a sorted vector, served in order, holding every key before the lowest
// rung's current bucket. Keys move Top -> rung(s) -> Bottom in whole buckets, never sifting.
// Pop order is (time, seq): Bottom is sorted by the full key, and every tier holds only keys
// later than the tiers below it.
class LadderKeyQueue {
 public:
  void push(const EventKey& e);
  const EventKey& top() {
    if (head_ == bottom_.size()) refill();
    return bottom_[head_];
  }
  void pop() {
    --size_;
    ++head_;
  }
  // The smallest key if Bottom holds it, else null (see RadixKeyQueue::peek).
  const EventKey* peek() const { return head_ < bottom_.size() ? &bottom_[head_] : nullptr; }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // The keys a refill just sorted into Bottom (at most 256), once: the next keys to come out.
  std::span<const EventKey> take_soon() {
    if (!soon_ready_) return {};
    soon_ready_ = false;
    return {bottom_.data() + head_, std::min<size_t>(bottom_.size() - head_, 256)};
  }
  template <class Keep>
  void filter(Keep keep);
  std::vector<EventKey> take_all();

 private:
  static constexpr size_t kThreshold = 48;  // a bucket this small is sorted into Bottom
  static constexpr size_t kMaxRungs = 8;
  static constexpr size_t kMaxBuckets = size_t{1} << 16;

  struct Rung {
    uint64_t start = 0;  // time of bucket 0
    int shift = 0;       // buckets are 2^shift ns wide
    size_t cur = 0;      // the next bucket to take; those before it are empty
    size_t count = 0;    // keys in this rung
    std::vector<std::vector<EventKey>> buckets;
    uint64_t cur_start() const { return start + (uint64_t{cur} << shift); }
  };

  void into_bottom(const EventKey& e);
  void refill();
  // Spreads `keys` (every one in [lo, hi]) over a new lowest rung.
  void spawn(std::vector<EventKey>& keys, uint64_t lo, uint64_t hi);

  std::vector<EventKey> top_;
  uint64_t top_min_ = UINT64_MAX;
  uint64_t top_max_ = 0;
  uint64_t top_start_ = 0;   // keys at or after it go to Top
  std::vector<Rung> rungs_;  // rungs_[0..used_) are in use; the rest keep their storage
  size_t used_ = 0;
  std::vector<EventKey> bottom_;  // sorted; bottom_[head_..] are the keys left
  size_t head_ = 0;
  size_t size_ = 0;
  bool soon_ready_ = false;
};

template <class Keep>
void LadderKeyQueue::filter(Keep keep) {
  auto keep_only = [&keep](std::vector<EventKey>& v, size_t from) {
    size_t w = 0;
    for (size_t r = from; r < v.size(); ++r) {
      if (keep(v[r])) v[w++] = v[r];
    }
    v.resize(w);
    return w;
  };
  size_ = keep_only(bottom_, head_);
  head_ = 0;
  soon_ready_ = false;
  size_ += keep_only(top_, 0);
  for (size_t r = 0; r < used_; ++r) {
    Rung& g = rungs_[r];
    g.count = 0;
    for (auto& b : g.buckets)
      g.count += keep_only(b, 0);
    size_ += g.count;
  }
}

extern template class BasicEventQueue<LadderKeyQueue>;

}  // namespace netsim
