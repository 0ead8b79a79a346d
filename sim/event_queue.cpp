// The radix heap of keys and the cold paths of the event queue (cancel, reschedule, compaction,
// the invoker table). Order is (time, insertion) without insertion numbers: every bucket and run
// keep the keys of one time in insertion order, runs are sorted stably by time, and the early
// heap numbers its own arrivals; nothing depends on addresses or container capacity. The hold-model
// benchmark (bench/) drove the design.
#include "sim/event_queue.hpp"

#include <algorithm>
#include <bit>
#include <mutex>
#include <stdexcept>

namespace netsim {
namespace {
// Time order only. Equal times keep the order they have in a bucket or the run, which is
// insertion order (see refill): the radix heap never reads a key's second word.
bool earlier_time(const EventKey& a, const EventKey& b) {
  return a.time < b.time;
}
}  // namespace

void RadixKeyQueue::push_early(const EventKey& e) {
  early_.push_back(EarlyKey{e, early_order_++});
  std::push_heap(early_.begin(), early_.end(), later);
}

void RadixKeyQueue::pop_early() {
  std::pop_heap(early_.begin(), early_.end(), later);
  early_.pop_back();
}

// A key within the run's time range: the run stays sorted. A new key is the latest inserted so
// far, so it goes after every key at its time; most land at the end. A run that grows past
// kRunMax keys (events scheduled into its range faster than it drains, as a busy TCP run does)
// gives its later half back to the buckets, so an insertion never moves more than kRunMax keys.
void RadixKeyQueue::into_run(const EventKey& e) {
  const auto first = run_.begin() + static_cast<std::ptrdiff_t>(head_);
  // A new key is the latest inserted: after every key of its time.
  if (first == run_.end() || e.time >= run_.back().time) {
    run_.push_back(e);
  } else {
    run_.insert(std::upper_bound(first, run_.end(), e, earlier_time), e);
  }
  constexpr size_t kRunMax = kSortMax;
  if (run_.size() - head_ <= kRunMax) return;
  // Cut between two times, so the run still holds every key up to its new end.
  const auto mid = run_.begin() + static_cast<std::ptrdiff_t>(head_ + kRunMax / 2);
  const uint64_t end = (mid - 1)->time;
  const auto out = std::upper_bound(mid, run_.end(), end,
                                    [](uint64_t t, const EventKey& k) { return t < k.time; });
  if (out == run_.end()) return;  // one time from mid on: new keys there append at the end
  run_end_ = end;
  // The keys given back are later than the new end and earlier than every bucketed key, and
  // in (time, insertion) order: each bucket stays in insertion order among keys of one time.
  for (auto it = out; it != run_.end(); ++it)
    place(*it);
  run_.erase(out, run_.end());
}

// Takes bucket `index` (b), which refill found to be the lowest non-empty one; true if the run
// now holds keys.
template <class Bucket>
bool RadixKeyQueue::take_bucket(Bucket& b, size_t index) {
  const int digit = static_cast<int>(index) / kRadix;
  const size_t n = count(b);
  if (n <= kSortMax || digit == 0) {
    soon_ready_ = n <= kSortMax;  // a larger one would flush what it fetched
    // Every key of this bucket, and every later one in its range, goes into the run.
    if constexpr (std::is_same_v<Bucket, std::vector<EventKey>>) {
      run_.swap(b);
      release(b);
    } else {
      // Appended, not resized: resizing zeroed the keys first, out of line (SYN flood, whose
      // runs are a few keys each: 8.1M -> 6.8M instructions in the bucket take).
      run_.reserve(n);
      drain(b, [this](const EventKey& e) { run_.push_back(e); });
    }
    // Stable by time: within a bucket keys of one time are in insertion order (new keys are
    // appended; a spread fills empty lower buckets in the old bucket's order; keys given back
    // by the run are earlier than every key of the buckets they join).
    // A digit-0 bucket holds one time: already in order.
    if (digit != 0 && run_.size() > 1) sort_run();
    // Not above the last key popped: keys its event schedules before the run then join the
    // run (sorted in) instead of the early heap. Any bound from last_ to the run's front keeps
    // the other buckets valid (each bucket's keys differ from every such bound first at the
    // same digit, by the same value); not below last_, which a spread in this refill raised.
    // (From time 0, a SYN flood's first refill took its client's open at 0.5 s and everything
    // before it went through the early heap: +2% instructions.)
    last_ = std::max(last_, std::min(run_.front().time, floor_));
    // The run's own span, not its bucket's: a sparse bucket of a high digit spans
    // milliseconds, and every event scheduled into that span would have to join the run.
    run_end_ = run_.back().time;
    return true;
  }
  // last_ with this bucket's digit value at `digit` and zeros below it. (For the top digit
  // the shifted radix is 0 and the mask keeps nothing above.) A near bucket's time bits above
  // 32 stay as they were.
  const unsigned shift = static_cast<unsigned>(kBits * digit);
  const uint64_t above = ~((uint64_t{kRadix} << shift) - 1);
  const uint64_t base = (last_ & above) | (uint64_t{index % kRadix} << shift);
  last_ = base;
  run_end_ = base;  // keys exactly at the base go into the run below
  drain(b, [this, base](const EventKey& e) {
    if (e.time == base) {
      run_.push_back(e);  // in insertion order, as the bucket is
    } else {
      place(e);
    }
  });
  return !run_.empty();
}

// The run is used up: takes the lowest non-empty bucket. A small one is sorted into the run;
// a large one is spread over buckets of lower digits around its base (its lowest possible
// time, which becomes last_), which leaves the other buckets valid: the base agrees with the
// old last_ on every digit above the taken bucket's. The base, not the bucket's minimum: that
// saved a pass over the bucket (~6,500 keys at N = 1e5), but as no key may be at the base, the
// spread can leave the run empty, and then the next bucket is taken. Requires a key in some
// bucket.
void RadixKeyQueue::refill() {
  // The last key popped (or last_ if none is known): the event queue refills as it pops, to
  // prefetch, before that event has run, so the keys it schedules may lie before the new run.
  floor_ = head_ > 0 ? run_[head_ - 1].time : last_;
  run_.clear();
  head_ = 0;
  for (;;) {
    size_t w = static_cast<size_t>(std::countr_zero(word_bits_));
    while (occupied_[w] == 0) {  // emptied since its bit was set
      word_bits_ &= ~(uint32_t{1} << w);
      w = static_cast<size_t>(std::countr_zero(word_bits_));
    }
    const int bit = std::countr_zero(occupied_[w]);
    occupied_[w] &= ~(uint64_t{1} << bit);
    const size_t index = 64 * w + static_cast<size_t>(bit);
    if (index < kNearBuckets ? take_bucket(near_[index], index)
                             : take_bucket(far_[index - kNearBuckets], index))
      return;
  }
}

void RadixKeyQueue::add_block(Chain& c) {
  if (free_blocks_ == nullptr) {
    constexpr size_t kChunk = (size_t{64} << 10) / sizeof(Block);
    pool_.push_back(std::make_unique<Block[]>(kChunk));
    for (size_t i = kChunk; i-- > 0;) {  // handed out in address order
      pool_.back()[i].next = free_blocks_;
      free_blocks_ = &pool_.back()[i];
    }
  }
  Block* b = free_blocks_;
  free_blocks_ = b->next;
  b->next = nullptr;
  (c.tail != nullptr ? c.tail->next : c.head) = b;
  c.tail = b;
  c.fill = 0;
}

// Sorts the run (at most kSortMax keys, all from one bucket) by time, ties in their current
// order. A few keys (most runs of a SYN flood): an insertion sort, stable and in place. More: a
// counting sort by the top bits of each key's offset from the run's earliest time, into n to 2n
// sub-buckets, each key inserted in order among the keys of its sub-bucket placed before it
// (after those of its time, so ties keep their order). In the hold model a sub-bucket holds at
// most a key or two, so the insertions move almost nothing (n/2 to n sub-buckets ran 3-7% slower,
// LTO, hold model at N = 1e3-1e6). It replaced a
// std::sort of packed (time bits, position) words (docs/performance-log.md, session 11).
void RadixKeyQueue::sort_run() {
  const size_t n = run_.size();
  if (n <= kInsertionMax) {
    insertion_sort(run_.data(), n);
    return;
  }
  uint64_t lo = run_[0].time;
  uint64_t hi = lo;
  for (const EventKey& e : run_) {
    lo = std::min(lo, e.time);
    hi = std::max(hi, e.time);
  }
  if (lo == hi) return;  // one time: already in insertion order
  static_assert(kSortMax < 512);
  // 2^bits sub-buckets, n < 2^bits <= 2n: a key or none in most.
  const unsigned bits = static_cast<unsigned>(std::bit_width(n));
  const unsigned width = static_cast<unsigned>(std::bit_width(hi - lo));
  const unsigned shift = width > bits ? width - bits : 0;
  const size_t m = size_t{1} << bits;
  std::array<uint32_t, 513> start;  // start[b + 1]: keys in sub-bucket b, then where b starts
  std::fill_n(start.begin(), m + 1, 0);
  for (const EventKey& e : run_)
    ++start[((e.time - lo) >> shift) + 1];
  uint32_t most = 0;
  for (size_t b = 1; b <= m; ++b) {
    most = std::max(most, start[b]);
    start[b] += start[b - 1];
  }
  // Many keys in one sub-bucket (times clustered in a small part of the range) could make the
  // insertions below quadratic: a merge sort instead.
  constexpr uint32_t kSubMax = 16;
  if (most > kSubMax) [[unlikely]] {
    std::stable_sort(run_.begin(), run_.end(), earlier_time);
    return;
  }
  std::array<uint32_t, 512> fill;  // where sub-bucket b's next key goes
  std::copy_n(start.begin(), m, fill.begin());
  sorted_.resize(n);
  EventKey* const out = sorted_.data();
  for (const EventKey& e : run_) {
    const size_t b = (e.time - lo) >> shift;
    // Inserted in order among the keys of its sub-bucket so far, after those of its time.
    uint32_t p = fill[b]++;
    for (; p > start[b] && e.time < out[p - 1].time; --p)
      out[p] = out[p - 1];
    out[p] = e;
  }
  run_.swap(sorted_);
}

// Sorts keys[0..n) by time, stably: few moves when they are nearly in order.
void RadixKeyQueue::insertion_sort(EventKey* keys, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    const EventKey e = keys[i];
    size_t j = i;
    for (; j > 0 && e.time < keys[j - 1].time; --j)
      keys[j] = keys[j - 1];
    keys[j] = e;
  }
}

// Empties a bucket. A bucket that held a burst keeps its capacity otherwise, and the buckets
// between them reserved 26 MB for 1.6 MB of live keys in a 5M-event hold model (growing with
// virtual time); small ones keep theirs, since refilling reuses it on every step.
void RadixKeyQueue::release(std::vector<EventKey>& b) {
  constexpr size_t kKeep = 4096;  // keys (64 KiB)
  if (b.capacity() > kKeep) {
    std::vector<EventKey>().swap(b);
  } else {
    b.clear();
  }
}

namespace event_detail {
Invoker invokers[kMaxInvokers];

uint16_t register_invoker(Invoker f) {
  // Registration runs while the program starts, before any thread; the lock costs nothing
  // and keeps a later loaded library safe.
  static std::mutex lock;
  static size_t count = 0;
  const std::lock_guard<std::mutex> hold(lock);
  if (count == kMaxInvokers) throw std::length_error("event queue: too many callable types");
  invokers[count] = f;
  return static_cast<uint16_t>(count++);
}
}  // namespace event_detail

template <class KeyQueue, unsigned VersionBits>
BasicEventQueue<KeyQueue, VersionBits>::~BasicEventQueue() {
  for (uint32_t s = 0; s < fresh_; ++s) {
    Slot& sl = slot(s);
    if ((sl.version & 1) != 0) event_detail::invokers[sl.invoker](sl.buf, false);
  }
}

template <class KeyQueue, unsigned VersionBits>
bool BasicEventQueue<KeyQueue, VersionBits>::cancel(EventHandle h) {
  if (!pending(h)) return false;
  Slot& sl = slot(h.slot);
  sl.version = bump(sl.version, 1);  // even: its key is dead from now on
  event_detail::invokers[sl.invoker](sl.buf, false);
  free_slot(h.slot);
  --live_;
  note_dead();
  return true;
}

template <class KeyQueue, unsigned VersionBits>
bool BasicEventQueue<KeyQueue, VersionBits>::reschedule(EventHandle& h, Instant t) {
  if (!pending(h)) return false;
  const uint32_t v = bump(h.generation, 2);  // odd still; the old key is dead from now on
  insert(t, h.slot, v);
  h.generation = v;
  note_dead();
  return true;
}

template <class KeyQueue, unsigned VersionBits>
Instant BasicEventQueue<KeyQueue, VersionBits>::drop_next() {
  Instant time;
  const uint32_t s = take(time);
  Slot& sl = slot(s);
  event_detail::invokers[sl.invoker](sl.buf, false);
  free_slot(s);
  return time;
}

template <class KeyQueue, unsigned VersionBits>
void BasicEventQueue<KeyQueue, VersionBits>::note_dead() {
  ++dead_;
  if (dead_ > live_ + kDeadSlack) compact();
}

template <class KeyQueue, unsigned VersionBits>
void BasicEventQueue<KeyQueue, VersionBits>::compact() {
  keys_.filter([this](const EventKey& e) { return live(e); });
  dead_ = 0;
}

template class BasicEventQueue<RadixKeyQueue>;
template class BasicEventQueue<RadixKeyQueue, 4>;  // tests: a lap of versions every 8 keys

}  // namespace netsim
