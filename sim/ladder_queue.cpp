// The ladder queue's moves between tiers. Every tier keeps the invariant "all my keys are later
// than every key of the tiers below me", so taking from Bottom, then the lowest rung, then Top
// yields keys in time order; Bottom's sort by (time, seq) makes ties FIFO.
#include "sim/ladder_queue.hpp"

#include <bit>

namespace netsim {

void LadderKeyQueue::push(const EventKey& e) {
  ++size_;
  if (e.time >= top_start_) {
    top_.push_back(e);
    top_min_ = std::min(top_min_, e.time);
    top_max_ = std::max(top_max_, e.time);
    return;
  }
  // From the widest rung down: the first whose current bucket starts at or before e.
  for (size_t r = 0; r < used_; ++r) {
    Rung& g = rungs_[r];
    if (e.time >= g.cur_start()) {
      const size_t i = std::min<size_t>((e.time - g.start) >> g.shift, g.buckets.size() - 1);
      g.buckets[i].push_back(e);
      ++g.count;
      return;
    }
  }
  into_bottom(e);
}

// A key earlier than the lowest rung's current bucket: Bottom stays sorted. A new key has the
// largest seq so far, so most land at the end.
void LadderKeyQueue::into_bottom(const EventKey& e) {
  if (head_ == bottom_.size() || !(e < bottom_.back())) {
    bottom_.push_back(e);
  } else {
    const auto first = bottom_.begin() + static_cast<std::ptrdiff_t>(head_);
    bottom_.insert(std::upper_bound(first, bottom_.end(), e), e);
  }
}

void LadderKeyQueue::spawn(std::vector<EventKey>& keys, uint64_t lo, uint64_t hi) {
  if (used_ == rungs_.size()) rungs_.emplace_back();
  Rung& g = rungs_[used_++];
  // About one bucket per 4 keys, a power-of-two width, at most kMaxBuckets buckets.
  const uint64_t want = std::clamp<uint64_t>(keys.size() / 4, 1, kMaxBuckets);
  int shift = 0;
  while (((hi - lo) >> shift) >= want)  // then ((hi - lo) >> shift) + 1 <= want buckets
    ++shift;
  g.start = lo;
  g.shift = shift;
  g.cur = 0;
  g.count = keys.size();
  const size_t n = static_cast<size_t>(((hi - lo) >> shift) + 1);
  if (g.buckets.size() < n) g.buckets.resize(n);
  for (size_t i = n; i < g.buckets.size(); ++i)
    g.buckets[i].clear();
  g.buckets.resize(n);  // keeps the first n buckets' capacity for reuse
  for (const EventKey& e : keys)
    g.buckets[static_cast<size_t>((e.time - lo) >> shift)].push_back(e);
  keys.clear();
}

// Bottom is used up: takes the lowest rung's next non-empty bucket (or turns Top into rung 0
// when no rung has keys). A small bucket, or one of a single time, is sorted into Bottom; a
// large one becomes a new, finer rung. Requires a key somewhere.
void LadderKeyQueue::refill() {
  bottom_.clear();
  head_ = 0;
  for (;;) {
    while (used_ > 0 && rungs_[used_ - 1].count == 0)
      --used_;
    if (used_ == 0) {
      // Top becomes rung 0; later keys past its range go to the new Top.
      // (At the largest time, later keys of that time join Top: after the others, as seq says.)
      top_start_ = top_max_ == UINT64_MAX ? top_max_ : top_max_ + 1;
      if (top_min_ == top_max_ || top_.size() <= kThreshold) {
        bottom_.swap(top_);
      } else {
        spawn(top_, top_min_, top_max_);
        top_min_ = UINT64_MAX;
        top_max_ = 0;
        continue;
      }
      top_min_ = UINT64_MAX;
      top_max_ = 0;
      break;
    }
    Rung& g = rungs_[used_ - 1];
    while (g.buckets[g.cur].empty())
      ++g.cur;
    std::vector<EventKey>& b = g.buckets[g.cur];
    const uint64_t lo = g.cur_start();
    ++g.cur;
    g.count -= b.size();
    if (b.size() > kThreshold && used_ < kMaxRungs && g.shift > 0) {
      uint64_t hi = lo + (uint64_t{1} << g.shift) - 1;
      std::vector<EventKey> moving;
      moving.swap(b);
      spawn(moving, lo, hi);
      b.swap(moving);  // keeps the bucket's capacity
      continue;
    }
    bottom_.swap(b);
    break;
  }
  std::sort(bottom_.begin(), bottom_.end());
  soon_ready_ = true;
}

std::vector<EventKey> LadderKeyQueue::take_all() {
  std::vector<EventKey> all;
  all.reserve(size_);
  all.insert(all.end(), bottom_.begin() + static_cast<std::ptrdiff_t>(head_), bottom_.end());
  all.insert(all.end(), top_.begin(), top_.end());
  for (size_t r = 0; r < used_; ++r) {
    for (auto& b : rungs_[r].buckets) {
      all.insert(all.end(), b.begin(), b.end());
      b.clear();
    }
    rungs_[r].count = 0;
  }
  used_ = 0;
  top_.clear();
  bottom_.clear();
  head_ = 0;
  top_min_ = UINT64_MAX;
  top_max_ = 0;
  top_start_ = 0;
  size_ = 0;
  return all;
}

}  // namespace netsim
