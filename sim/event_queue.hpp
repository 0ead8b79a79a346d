// The deterministic event queue: events ordered by (time, insertion sequence), so ties run in
// FIFO order and never depend on container internals or addresses (DESIGN.md property 1).
// Two parts. The callbacks live in a slot arena that never moves (chunks of 4096 slots): each
// slot is 32 bytes, a function pointer and a 16-byte buffer holding the callable in place
// (larger callables go to the heap, as std::function would put them), and an event runs where it
// was stored, so nothing is moved per event. The order lives in a queue of 16-byte keys
// (time, seq << 32 | slot): a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990), since a
// simulation only schedules at or after the last event it ran, and for such monotone keys each
// key moves between a few buckets of sequential vectors instead of sifting through a heap.
// Cancelling or rescheduling leaves the old key behind as dead (skipped when reached); once dead
// keys outnumber live ones everything is compacted, so a timer re-armed a million times costs
// O(1) amortised per re-arm and never leaves more dead keys than live ones.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace netsim {

// Identifies a scheduled event. Safe to cancel at any time, also after the event ran or was
// cancelled (the generation check makes a stale handle a no-op).
struct EventHandle {
  uint32_t slot = std::numeric_limits<uint32_t>::max();
  uint32_t generation = 0;
  bool is_set() const { return slot != std::numeric_limits<uint32_t>::max(); }
};

// One queued key: 16 bytes, compared as (time, seq). Both words are unsigned, so comparing
// `time` then `key` is comparing (time, insertion sequence).
struct EventKey {
  uint64_t time;  // ns with the sign bit flipped: unsigned order is time order
  uint64_t key;   // seq << 32 | slot
  // As one 128-bit number: a compare and a subtract-with-borrow, no branch. The sorts of runs
  // compare keys of random times, where a branch on the first word mispredicts half the time.
  friend bool operator<(const EventKey& a, const EventKey& b) {
    using U = unsigned __int128;
    return ((U{a.time} << 64) | a.key) < ((U{b.time} << 64) | b.key);
  }
};

// Radix heap of keys with a sorted run at the bottom. last_ is a lower bound of every key time
// filed in the buckets (or the run). A key t > last_ whose highest base-2^kBits digit differing
// from last_ is digit L, where t has the value d, lives in bucket kRadix*L + d; bucket numbers then
// follow time order. When the run is used up, the lowest non-empty bucket is taken: if it is
// small it is sorted and becomes the run (keys up to its last time join the run in order from
// then on; a run past kSortMax keys gives its later half back); otherwise its base (its lowest
// possible time) becomes last_ and its keys move to buckets of lower digits. Each key so moves a
// few times in its life instead of sifting through a heap. A small binary heap (early_) takes the
// rare key before last_, so any insertion order stays correct. Keys are compared by time only:
// ties come out in insertion order by construction (see refill), so the key's second word is
// free to hold something other than an insertion number (the 32-byte event, docs/performance.md).
class RadixKeyQueue {
 public:
  void push(const EventKey& e) {
    ++size_;
    place(e);
  }
  // The smallest key. Requires !empty(); may move keys between buckets to find it.
  const EventKey& top() {
    if (!early_.empty()) return early_.front().key;
    if (head_ == run_.size()) refill();
    return run_[head_];
  }
  // Removes top(); requires that top() was called since the last change.
  void pop() {
    --size_;
    if (!early_.empty()) {
      pop_early();
    } else {
      ++head_;
    }
  }
  // The smallest key if it is known without moving keys (the early heap or the run), else
  // null: enough to start fetching the next event's slot while this one runs.
  const EventKey* peek() const {
    if (!early_.empty()) return &early_.front().key;
    return head_ < run_.size() ? &run_[head_] : nullptr;
  }
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // The keys of the bucket taken by the last refill, if not handed out yet and at most 256:
  // the next keys to come out, whose callbacks are worth fetching into the cache now.
  std::span<const EventKey> take_soon() {
    if (!soon_ready_) return {};
    soon_ready_ = false;
    return {run_.data() + head_, run_.size() - head_};
  }
  // Keeps only the keys for which keep(key) holds.
  template <class Keep>
  void filter(Keep keep);
  // Removes every key and hands them back (in no particular order).
  std::vector<EventKey> take_all();

 private:
  static constexpr int kBits = 8;
  static constexpr int kRadix = 1 << kBits;
  static constexpr int kDigits = 64 / kBits;
  static constexpr int kBuckets = kRadix * kDigits;
  static constexpr int kWords = kBuckets / 64;
  // A bucket this small becomes the run at once. 128 rather than 48: at N = 1e3 the hold model's
  // 65 µs buckets hold ~65 keys, and sorting them beats spreading them over 256 ns buckets that
  // then hold one key each (525 -> 367 instructions per event, callgrind, LTO build). 320
  // rather than 128: at N = 1e6 the 256 ns buckets hold ~256 keys, which were spread over 1 ns
  // buckets of one key each, a refill per event and no batch to prefetch (430 -> 386
  // instructions per event, 5.0-6.8 -> 8.2-8.4 M events per CPU second).
  static constexpr size_t kSortMax = 320;

  void place(const EventKey& e) {
    if (e.time > run_end_) {
      const uint64_t x = e.time ^ last_;  // non-zero: e.time > run_end_ >= last_
      // Unsigned arithmetic throughout: no sign fix-ups in the divisions on this hot path.
      const unsigned digit = static_cast<unsigned>(63 - std::countl_zero(x)) / kBits;
      const size_t b = size_t{kRadix} * digit + ((e.time >> (kBits * digit)) & (kRadix - 1));
      occupied_[b / 64] |= uint64_t{1} << (b % 64);
      bucket_[b].push_back(e);  // last: nothing is live across its (rare) reallocation
    } else if (e.time >= last_) {
      into_run(e);
    } else {
      push_early(e);
    }
  }
  [[gnu::noinline]] void into_run(const EventKey& e);
  [[gnu::noinline]] void push_early(const EventKey& e);
  [[gnu::noinline]] void pop_early();
  [[gnu::noinline]] void refill();
  static constexpr size_t kInsertionMax = 8;  // runs up to this size: an insertion sort
  void sort_run(unsigned digit);
  static void release(std::vector<EventKey>& b);

  std::array<std::vector<EventKey>, kBuckets> bucket_;
  std::array<uint64_t, kWords> occupied_{};  // bit b set: bucket b is non-empty
  std::vector<EventKey> run_;                // sorted; run_[head_..] are the keys left
  size_t head_ = 0;
  bool soon_ready_ = false;  // a refill just sorted a bucket into the run
  uint64_t last_ = 0;        // every bucket and run key is >= last_; every early_ key < last_
  uint64_t run_end_ = 0;     // a key at last_..run_end_ belongs in the run
  // A key filed before last_, with its own arrival number: the heap's tie-break (the key's seq
  // is not looked at, so the order does not depend on it).
  struct EarlyKey {
    EventKey key;
    uint64_t order;
  };
  static bool later(const EarlyKey& a, const EarlyKey& b) {
    return a.key.time != b.key.time ? a.key.time > b.key.time : a.order > b.order;
  }
  std::vector<uint64_t> words_;  // sort_run's keys' second words, by position (digit 7 only)
  std::vector<EarlyKey> early_;  // binary min-heap of keys before last_
  uint64_t early_order_ = 0;
  size_t size_ = 0;
};

template <class Keep>
void RadixKeyQueue::filter(Keep keep) {
  auto keep_only = [&keep](std::vector<EventKey>& v, size_t from) {
    size_t w = 0;
    for (size_t r = from; r < v.size(); ++r) {
      if (keep(v[r])) v[w++] = v[r];
    }
    v.resize(w);
    return w;
  };
  size_ = keep_only(run_, head_);
  head_ = 0;
  for (size_t i = 0; i < bucket_.size(); ++i) {
    size_ += keep_only(bucket_[i], 0);
    if (bucket_[i].empty()) occupied_[i / 64] &= ~(uint64_t{1} << (i % 64));
  }
  // The early heap keeps its arrival numbers, so its ties keep their order.
  std::erase_if(early_, [&keep](const EarlyKey& e) { return !keep(e.key); });
  std::make_heap(early_.begin(), early_.end(), later);
  size_ += early_.size();
}

// The queue of events: a slot arena for the callbacks and a key queue for the order. KeyQueue
// is RadixKeyQueue (the one the Simulator uses) or any type with the same members.
template <class KeyQueue>
class BasicEventQueue {
 public:
  // `seq_limit` is when insertion numbers are compacted back to 0..size-1 (order preserved);
  // only tests lower it, to exercise the renumbering that a 2^32-event run would need.
  explicit BasicEventQueue(uint32_t seq_limit = std::numeric_limits<uint32_t>::max())
      : seq_limit_(seq_limit) {}
  BasicEventQueue(const BasicEventQueue&) = delete;
  BasicEventQueue& operator=(const BasicEventQueue&) = delete;
  ~BasicEventQueue();

  // Stores `f` (any callable taking no arguments) to run at time t.
  template <class F>
  EventHandle schedule(Instant t, F&& f);
  // Removes a pending event; returns false (and does nothing) if it is not pending.
  bool cancel(EventHandle h);
  // Moves a pending event to time t; it is ordered as if newly scheduled. False if not pending.
  bool reschedule(EventHandle h, Instant t);
  bool pending(EventHandle h) const {
    return h.slot < fresh_ && slot(h.slot).generation == h.generation;
  }

  bool empty() const { return live_ == 0; }
  size_t size() const { return live_; }  // pending events (dead keys not counted)
  // The earliest pending event's time. Requires !empty(). Logically const: it may move keys
  // between buckets and drop dead ones to find the minimum.
  Instant next_time() const { return unbiased(front().time); }
  // Stored keys, dead ones included: at most 2 * size() + kDeadSlack.
  size_t entries() const { return keys_.size(); }

  // Removes the earliest event, calls before(time) and then runs the event's callback in
  // place. Requires !empty(). Returns the event's time.
  template <class Before>
  Instant run_next(Before&& before);
  Instant run_next() {
    return run_next([](Instant) {});
  }
  // As run_next, if the queue holds an event at or before `limit`; otherwise does nothing and
  // returns false. One look at the front instead of next_time() and then run_next().
  template <class Before>
  bool run_next_until(Instant limit, Before&& before);
  // Removes the earliest event without running it. Requires !empty(). Returns its time.
  Instant drop_next();

  static constexpr size_t kDeadSlack = 64;

 private:
  // A callable stored in place: fn(buf, true) runs it and then destroys it, fn(buf, false)
  // only destroys it. 32 bytes, so two slots share a cache line and none straddles two.
  struct alignas(32) Slot {
    void (*fn)(unsigned char* buf, bool run) = nullptr;
    alignas(8) unsigned char buf[16];
    uint32_t seq = 0;         // the seq of this slot's live key; the next free slot while free
    uint32_t generation = 0;  // odd while pending
  };
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunk = uint32_t{1} << kChunkBits;
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  static constexpr uint64_t kSignBit = uint64_t{1} << 63;
  static uint64_t biased(Instant t) { return static_cast<uint64_t>(t.ns()) ^ kSignBit; }
  static Instant unbiased(uint64_t u) {
    return Instant::from_ns(static_cast<int64_t>(u ^ kSignBit));
  }
  static uint32_t slot_of(const EventKey& e) { return static_cast<uint32_t>(e.key); }
  static uint32_t seq_of(const EventKey& e) { return static_cast<uint32_t>(e.key >> 32); }

  Slot& slot(uint32_t s) const { return chunks_[s >> kChunkBits][s & (kChunk - 1)]; }
  bool live(const EventKey& e) const {
    const Slot& s = slot(slot_of(e));
    return (s.generation & 1) != 0 && s.seq == seq_of(e);
  }
  template <class F>
  static void store(Slot& s, F&& f);
  // The earliest live key, dead ones in front of it dropped. Requires live_ > 0.
  const EventKey& front() const {
    for (;;) {
      const EventKey& e = keys_.top();
      if (dead_ == 0 || live(e)) return e;
      keys_.pop();
      --dead_;
    }
  }
  // Takes the earliest event out of the queue; its slot stays allocated until it is freed.
  uint32_t take(Instant& time) { return take_key(front(), time); }
  // Takes `e`, which is front(), out of the queue. Inlined into the run loop: as a call it
  // saved and restored six registers per event (~20 instructions, callgrind, N = 1e5).
  [[gnu::always_inline]] inline uint32_t take_key(EventKey e, Instant& time);
  // Runs the taken event in slot s at `time`, after before(time).
  template <class Before>
  void run_taken(uint32_t s, Instant time, Before&& before);
  void insert(Instant t, uint32_t s) {
    if (next_seq_ >= seq_limit_) [[unlikely]]
      renumber();
    const uint32_t seq = next_seq_++;
    slot(s).seq = seq;
    keys_.push(EventKey{biased(t), (uint64_t{seq} << 32) | s});
  }
  void note_dead();
  // The cold paths are kept out of line so that the hot ones that call them save no registers
  // (measured: ~12 instructions per call each, about 10% of an event at N = 1e5).
  [[gnu::noinline]] void compact();
  [[gnu::noinline]] void renumber();
  uint32_t alloc_slot();
  [[gnu::noinline]] uint32_t alloc_fresh();
  void free_slot(uint32_t s);

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  uint32_t fresh_ = 0;          // slots ever used: 0..fresh_-1
  uint32_t free_head_ = kNone;  // free slots, linked through Slot::seq
  uint32_t next_seq_ = 0;
  uint32_t seq_limit_;
  size_t live_ = 0;
  mutable size_t dead_ = 0;  // keys stored but no longer pending
  mutable KeyQueue keys_;
};

template <class KeyQueue>
template <class F>
void BasicEventQueue<KeyQueue>::store(Slot& s, F&& f) {
  using D = std::decay_t<F>;
  if constexpr (sizeof(D) <= sizeof(Slot::buf) && alignof(D) <= 8) {
    ::new (static_cast<void*>(s.buf)) D(std::forward<F>(f));
    s.fn = [](unsigned char* buf, bool run) {
      D* d = std::launder(reinterpret_cast<D*>(buf));
      struct Destroy {
        D* d;
        ~Destroy() { d->~D(); }
      } guard{d};
      if (run) (*d)();
    };
  } else {
    D* p = new D(std::forward<F>(f));
    std::memcpy(s.buf, &p, sizeof p);
    s.fn = [](unsigned char* buf, bool run) {
      D* raw = nullptr;
      std::memcpy(&raw, buf, sizeof raw);
      std::unique_ptr<D> d(raw);
      if (run) (*d)();
    };
  }
}

template <class KeyQueue>
template <class F>
EventHandle BasicEventQueue<KeyQueue>::schedule(Instant t, F&& f) {
  const uint32_t s = alloc_slot();
  Slot& sl = slot(s);
  try {
    store(sl, std::forward<F>(f));
  } catch (...) {
    sl.seq = free_head_;
    free_head_ = s;
    throw;
  }
  ++sl.generation;  // odd: pending
  insert(t, s);
  ++live_;
  return EventHandle{s, sl.generation};
}

template <class KeyQueue>
inline uint32_t BasicEventQueue<KeyQueue>::take_key(const EventKey e, Instant& time) {
  keys_.pop();
  const uint32_t s = slot_of(e);
  time = unbiased(e.time);
  ++slot(s).generation;  // even: no longer pending, so its handle cannot cancel it while it runs
  --live_;
  if (dead_ > live_ + kDeadSlack) compact();  // draining live events can break the bound too
  // Start fetching the next event's slot while this one runs: in a large queue that slot is a
  // cache miss. A key the queue knows without work (peek) if there is one: finding the real
  // front on every event cost a second front() per event, ~30 instructions.
  // A run just formed holds the next few dozen events: fetching all their slots at once hides
  // the misses behind more work. (A dead key's slot is fetched for nothing; that is harmless.)
  if (const EventKey* next = keys_.peek()) {
    __builtin_prefetch(&slot(slot_of(*next)));
  } else if (live_ > 0) {
    // The run is used up: refill now, so the next slot is on its way while this event runs.
    // At N = 1e6 most runs hold one key and this is every event's prefetch (without it the
    // hold model ran 15% slower there).
    __builtin_prefetch(&slot(slot_of(front())));
  }
  for (const EventKey& k : keys_.take_soon())
    __builtin_prefetch(&slot(slot_of(k)));
  return s;
}

template <class KeyQueue>
template <class Before>
Instant BasicEventQueue<KeyQueue>::run_next(Before&& before) {
  Instant time;
  const uint32_t s = take(time);
  run_taken(s, time, std::forward<Before>(before));
  return time;
}

template <class KeyQueue>
template <class Before>
bool BasicEventQueue<KeyQueue>::run_next_until(Instant limit, Before&& before) {
  if (live_ == 0) return false;
  const EventKey& e = front();
  if (e.time > biased(limit)) return false;
  Instant time;
  const uint32_t s = take_key(e, time);
  run_taken(s, time, std::forward<Before>(before));
  return true;
}

template <class KeyQueue>
template <class Before>
void BasicEventQueue<KeyQueue>::run_taken(uint32_t s, Instant time, Before&& before) {
  Slot& sl = slot(s);
  struct Free {  // also when the callback throws: fn destroyed the callable on its way out
    BasicEventQueue* q;
    uint32_t s;
    ~Free() { q->free_slot(s); }
  } freeing{this, s};
  before(time);
  sl.fn(sl.buf, true);  // the slot never moves, so the callable runs where it was stored
}

template <class KeyQueue>
uint32_t BasicEventQueue<KeyQueue>::alloc_slot() {
  if (free_head_ != kNone) [[likely]] {
    const uint32_t s = free_head_;
    free_head_ = slot(s).seq;
    return s;
  }
  return alloc_fresh();
}

template <class KeyQueue>
uint32_t BasicEventQueue<KeyQueue>::alloc_fresh() {
  if (fresh_ == kNone) throw std::length_error("event queue: too many pending events");
  if ((fresh_ & (kChunk - 1)) == 0) chunks_.push_back(std::make_unique<Slot[]>(kChunk));
  return fresh_++;
}

// Called once the slot's callable is destroyed (fn(buf, ...) destroys it).
template <class KeyQueue>
void BasicEventQueue<KeyQueue>::free_slot(uint32_t s) {
  Slot& sl = slot(s);
  sl.fn = nullptr;
  sl.seq = free_head_;
  free_head_ = s;
}

using EventQueue = BasicEventQueue<RadixKeyQueue>;
extern template class BasicEventQueue<RadixKeyQueue>;

}  // namespace netsim
