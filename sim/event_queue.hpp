// The deterministic event queue: events ordered by (time, insertion sequence), so ties run in
// FIFO order and never depend on container internals or addresses (DESIGN.md property 1).
// Two parts. The callbacks live in a slot arena that never moves (chunks of 4096 slots): each
// slot is 16 bytes, a 10-byte buffer holding the callable in place (larger ones go to the heap),
// its invoker's index and a version, and an event runs where it was stored, so nothing is moved
// per event: 28-32 bytes per pending event with its key. The order lives in a queue of keys
// (time, version << 32 | slot; 12 bytes in the buckets of the next 2^32 ns): a radix heap (Ahuja,
// Mehlhorn, Orlin & Tarjan 1990), since a simulation only schedules at or after the last event it
// ran, and for such monotone keys each key moves between a few buckets of sequential vectors
// instead of sifting through a heap. Cancelling or rescheduling leaves the old key behind as dead
// (skipped when reached); once dead keys outnumber live ones everything is compacted, so a timer
// re-armed a million times costs O(1) amortised per re-arm and never leaves more dead keys than
// live ones.
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
// cancelled (the version check makes a stale handle a no-op) — for 2^30 reuses of its slot:
// versions are 32 bits and advance by 2 per schedule or reschedule (docs/engine.md).
struct EventHandle {
  uint32_t slot = std::numeric_limits<uint32_t>::max();
  uint32_t generation = 0;
  bool is_set() const { return slot != std::numeric_limits<uint32_t>::max(); }
};

// One queued key: 16 bytes. The radix heap orders keys by time alone (ties by structure: see
// refill); it never compares the second word.
struct EventKey {
  uint64_t time;  // ns with the sign bit flipped: unsigned order is time order
  uint64_t key;   // version << 32 | slot
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
  // Virtual time 0 as a key time (the event queue flips the sign bit), where the queue starts:
  // from key time 0 every key of a new simulation was filed in the one top-digit bucket, and
  // spreading a million of them (hold model) held two copies at once, 8 bytes per pending
  // event of peak RSS. An earlier key is still correct (the early heap), only slower.
  static constexpr uint64_t kTimeZero = uint64_t{1} << 63;

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
      word_bits_ |= uint32_t{1} << (b / 64);
      // Last: nothing is live across its (rare) reallocation.
      if (digit < kNearDigits) [[likely]] {
        append(near_[b], pack(e));
      } else {
        far_[b - kNearBuckets].push_back(e);
      }
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
  void sort_run();
  static void insertion_sort(EventKey* keys, size_t n);
  static void release(std::vector<EventKey>& b);
  template <class Bucket>
  [[gnu::always_inline]] inline bool take_bucket(Bucket& b, size_t index);

  // A key in a bucket of digit 0-3 (the next 2^32 ns, 4.3 s): 12 bytes, its time's low 32 bits
  // and its second word. Such a bucket's keys share every time bit above 32 with last_ (they
  // differ from it first at digit 3 or below), and those bits of last_ change only when a
  // bucket of digit 4 or more is taken, when every bucket below it is empty. A quarter less
  // memory for nearly every pending key: at N = 1e6 (hold model) they are all here.
  struct NearKey {
    uint32_t time;
    uint32_t word[2];
  };
  static_assert(sizeof(NearKey) == 12);
  static constexpr int kNearDigits = 4;
  static constexpr size_t kNearBuckets = size_t{kRadix} * kNearDigits;
  static NearKey pack(const EventKey& e) {
    return NearKey{static_cast<uint32_t>(e.time),
                   {static_cast<uint32_t>(e.key), static_cast<uint32_t>(e.key >> 32)}};
  }
  // The full key of a NearKey, given last_'s time bits above 32 (`high`).
  static EventKey unpack(const NearKey& k, uint64_t high) {
    return EventKey{high | k.time, (uint64_t{k.word[1]} << 32) | k.word[0]};
  }
  static EventKey unpack(const EventKey& k, uint64_t) { return k; }
  uint64_t high() const { return last_ & ~uint64_t{0xffffffff}; }

  // A near bucket: a chain of 1 KiB blocks of 84 keys from one pool (free blocks linked through
  // `next`, the last freed used first). A bucket holds at most one part-filled block beyond its
  // keys (or one empty block once used), and a bucket spread to lower digits frees each block
  // but its first as its keys leave, for them to fill: as vectors, growth slack and the copies
  // while a bucket grew cost 4.7 of 36.8 bytes per pending event (hold model, N = 1e6). The pool
  // keeps its blocks, as the slot arena its slots.
  static constexpr uint32_t kBlockKeys = 84;
  struct Block {
    NearKey keys[kBlockKeys];
    Block* next;
  };
  struct Chain {
    Block* head = nullptr;
    Block* tail = nullptr;
    uint32_t size = 0;           // keys
    uint32_t fill = kBlockKeys;  // keys in the tail block (as if full when there is none)
  };
  void append(Chain& c, const NearKey& k) {
    if (c.fill == kBlockKeys) [[unlikely]]
      add_block(c);
    c.tail->keys[c.fill++] = k;
    ++c.size;
  }
  [[gnu::noinline]] void add_block(Chain& c);
  // Empties a bucket, calling f(key) on its keys in order (a chain frees each block once read).
  template <class F>
  void drain(Chain& c, F f);
  template <class F>
  static void drain(std::vector<EventKey>& b, F f);
  static size_t count(const Chain& c) { return c.size; }
  static size_t count(const std::vector<EventKey>& b) { return b.size(); }

  std::array<Chain, kNearBuckets> near_;  // digits 0-3
  Block* free_blocks_ = nullptr;
  std::vector<std::unique_ptr<Block[]>> pool_;  // the blocks, in chunks of 64 KiB
  std::array<std::vector<EventKey>, kBuckets - kNearBuckets> far_;  // digits 4-7
  std::array<uint64_t, kWords> occupied_{};  // bit b set: bucket b is non-empty
  // Bit w set: occupied_[w] may be non-zero (set with its bits, cleared by refill when it finds
  // the word empty), so a refill finds the lowest bucket without looking at every word below.
  // A SYN flood's keys sit in digit 2 and up (words 8+), and scanning the 8-10 words before
  // them cost ~40 of ~180 instructions per refill, a refill per one or two events
  // (docs/performance-log.md, session 11).
  uint32_t word_bits_ = 0;
  static_assert(kWords == 32);
  std::vector<EventKey> run_;  // sorted; run_[head_..] are the keys left
  size_t head_ = 0;
  bool soon_ready_ = false;  // a refill just sorted a bucket into the run
  // Every bucket and run key is >= last_; every early_ key < last_. It starts at kTimeZero.
  uint64_t last_ = kTimeZero;
  uint64_t run_end_ = kTimeZero;  // a key at last_..run_end_ belongs in the run
  uint64_t floor_ = kTimeZero;    // refill: the last key popped
  // A key filed before last_, with its own arrival number: the heap's tie-break (the key's word
  // is not looked at, so the order does not depend on it).
  struct EarlyKey {
    EventKey key;
    uint64_t order;
  };
  static bool later(const EarlyKey& a, const EarlyKey& b) {
    return a.key.time != b.key.time ? a.key.time > b.key.time : a.order > b.order;
  }
  std::vector<EventKey> sorted_;  // sort_run's output, swapped with the run
  std::vector<EarlyKey> early_;   // binary min-heap of keys before last_
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
  std::vector<NearKey> kept;
  for (size_t i = 0; i < kBuckets; ++i) {
    size_t left = 0;
    if (i < kNearBuckets) {
      // Drained (its blocks freed) and refilled with the keys kept, in their order.
      kept.clear();
      drain(near_[i], [&](const EventKey& e) {
        if (keep(e)) kept.push_back(pack(e));
      });
      for (const NearKey& k : kept)
        append(near_[i], k);
      left = kept.size();
    } else {
      left = keep_only(far_[i - kNearBuckets], 0);
    }
    size_ += left;
    if (left == 0) occupied_[i / 64] &= ~(uint64_t{1} << (i % 64));
  }
  // The early heap keeps its arrival numbers, so its ties keep their order.
  std::erase_if(early_, [&keep](const EarlyKey& e) { return !keep(e.key); });
  std::make_heap(early_.begin(), early_.end(), later);
  size_ += early_.size();
}

template <class F>
void RadixKeyQueue::drain(Chain& c, F f) {
  const uint64_t hi = high();
  Block* b = c.head;
  const Block* const tail = c.tail;
  const uint32_t fill = c.fill;
  // The bucket keeps its first block, as a vector its capacity: a bucket that fills and empties
  // again and again (a SYN flood's runs of a few keys) takes no block from the pool each time
  // (-1.8M instructions of 173M there). f never files into this bucket.
  c = Chain{b, b, 0, b != nullptr ? 0 : kBlockKeys};
  for (bool first = true; b != nullptr; first = false) {
    const uint32_t n = b == tail ? fill : kBlockKeys;
    for (uint32_t i = 0; i < n; ++i)
      f(unpack(b->keys[i], hi));
    Block* next = b->next;
    if (first) {
      b->next = nullptr;
    } else {
      b->next = free_blocks_;  // after its keys are read: f may take a block
      free_blocks_ = b;
    }
    b = next;
  }
}

template <class F>
void RadixKeyQueue::drain(std::vector<EventKey>& b, F f) {
  std::vector<EventKey> moving;
  moving.swap(b);  // place() never files into this bucket again, but keep it apart anyway
  for (const EventKey& e : moving)
    f(e);
  release(moving);
  b.swap(moving);  // keeps a small bucket's capacity for its next use
}

// The invokers of stored callables. A slot names its invoker by a 16-bit index into one table
// (2 bytes instead of an 8-byte code pointer): every callable type gets its index once, when the
// program starts, so scheduling only reads a constant. (The dlopen()ed modules, sim/plugin.hpp,
// have no engine of their own and schedule nothing.) An invoker
// runs the callable (run = true) and destroys it, or only destroys it (run = false).
namespace event_detail {
using Invoker = void (*)(unsigned char* buf, bool run);
inline constexpr size_t kMaxInvokers = size_t{1} << 16;
extern Invoker invokers[kMaxInvokers];
// Gives `f` the next index; throws std::length_error past 65,536 callable types.
uint16_t register_invoker(Invoker f);

// D stored in place (InPlace) or as a pointer to a heap copy.
template <class D, bool InPlace>
void invoke(unsigned char* buf, bool run) {
  if constexpr (InPlace) {
    D* d = std::launder(reinterpret_cast<D*>(buf));
    struct Destroy {
      D* d;
      ~Destroy() { d->~D(); }
    } guard{d};
    if (run) (*d)();
  } else {
    D* raw = nullptr;
    std::memcpy(&raw, buf, sizeof raw);
    std::unique_ptr<D> d(raw);
    if (run) (*d)();
  }
}

// A member call (obj->*M)(arg, Bound...) packed into 10 bytes: the object's address in 48 bits
// (x86-64 and AArch64 user addresses; others go out of line) and a 32-bit argument.
template <auto M, class T, auto... Bound>
void invoke_member(unsigned char* buf, bool run) {
  if (!run) return;
  uint64_t word = 0;
  uint32_t arg = 0;
  std::memcpy(&word, buf, sizeof word);
  std::memcpy(&arg, buf + 6, sizeof arg);
  T* obj = reinterpret_cast<T*>(static_cast<uintptr_t>(word & ((uint64_t{1} << 48) - 1)));
  (obj->*M)(arg, Bound...);
}

// The index of an invoker, assigned when the program starts (no event is scheduled before
// main: there is no global Simulator, DESIGN.md property 3).
template <Invoker F>
inline const uint16_t invoker_index = register_invoker(F);
}  // namespace event_detail

// The queue of events: a slot arena for the callbacks and a key queue for the order. KeyQueue
// is RadixKeyQueue (the one the Simulator uses) or any type with the same members.
// A slot's 32-bit version counts its keys: it is odd while the slot is pending, and each key
// carries the version it was given, so a key is live exactly when its version is its slot's.
// Versions wrap; the first key of each lap (version 1) first drops every dead key, so a dead key
// can never match its slot again. VersionBits < 32 only in tests, to make laps short.
template <class KeyQueue, unsigned VersionBits = 32>
class BasicEventQueue {
 public:
  BasicEventQueue() = default;
  BasicEventQueue(const BasicEventQueue&) = delete;
  BasicEventQueue& operator=(const BasicEventQueue&) = delete;
  ~BasicEventQueue();

  // Stores `f` (any callable taking no arguments) to run at time t. A callable of up to 10
  // bytes is stored in place; a larger one (e.g. a lambda capturing a pointer and an int) is
  // allocated, so hot call sites use schedule_call.
  template <class F>
  EventHandle schedule(Instant t, F&& f);
  // Schedules (obj->*M)(arg, Bound...) at time t, stored in place in the slot's 10 bytes.
  template <auto M, auto... Bound, class T>
  EventHandle schedule_call(Instant t, T* obj, uint32_t arg);
  // Removes a pending event; returns false (and does nothing) if it is not pending.
  bool cancel(EventHandle h);
  // Moves a pending event to time t; it is ordered as if newly scheduled, and `h` is updated
  // to name it (the old handle no longer does). False if not pending.
  bool reschedule(EventHandle& h, Instant t);
  bool pending(EventHandle h) const {
    return h.slot < fresh_ && slot(h.slot).version == h.generation && (h.generation & 1) != 0;
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
  // 16 bytes, four to a cache line: the callable (or a pointer to it; the next free slot while
  // free), its invoker's index and the version.
  struct alignas(16) Slot {
    alignas(8) unsigned char buf[10];
    uint16_t invoker = 0;
    uint32_t version = 2;  // the first key is 3: version 1 starts the next lap
  };
  static_assert(sizeof(Slot) == 16);
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunk = uint32_t{1} << kChunkBits;
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  static constexpr uint64_t kSignBit = uint64_t{1} << 63;
  static constexpr uint32_t kVersionMask =
      VersionBits >= 32 ? kNone : (uint32_t{1} << VersionBits) - 1;
  static uint32_t bump(uint32_t v, uint32_t by) { return (v + by) & kVersionMask; }
  static uint64_t biased(Instant t) { return static_cast<uint64_t>(t.ns()) ^ kSignBit; }
  static Instant unbiased(uint64_t u) {
    return Instant::from_ns(static_cast<int64_t>(u ^ kSignBit));
  }
  static uint32_t slot_of(const EventKey& e) { return static_cast<uint32_t>(e.key); }
  static uint32_t version_of(const EventKey& e) { return static_cast<uint32_t>(e.key >> 32); }
  static uint32_t next_free(const Slot& s) {
    uint32_t n;
    std::memcpy(&n, s.buf, sizeof n);
    return n;
  }

  Slot& slot(uint32_t s) const { return chunks_[s >> kChunkBits][s & (kChunk - 1)]; }
  bool live(const EventKey& e) const { return slot(slot_of(e)).version == version_of(e); }
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
  // Files slot s's new key, of (odd) version v, at time t.
  void insert(Instant t, uint32_t s, uint32_t v) {
    if (v == 1 && dead_ != 0) [[unlikely]]
      compact();  // a new lap: no dead key of this slot may still carry version 1
    slot(s).version = v;
    keys_.push(EventKey{biased(t), (uint64_t{v} << 32) | s});
  }
  // Files a slot whose callable was just stored. Inlined into each schedule: as a call it cost
  // ~20 instructions per event in the hold model (callgrind, N = 1e3).
  [[gnu::always_inline]] inline EventHandle file_new(Instant t, uint32_t s);
  void note_dead();
  // The cold paths are kept out of line so that the hot ones that call them save no registers
  // (measured: ~12 instructions per call each, about 10% of an event at N = 1e5).
  [[gnu::noinline]] void compact();
  // Inlined: as calls they cost ~25 instructions per event together (callgrind, hold, N = 1e3).
  [[gnu::always_inline]] inline uint32_t alloc_slot();
  [[gnu::noinline]] uint32_t alloc_fresh();
  [[gnu::always_inline]] inline void free_slot(uint32_t s);

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  uint32_t fresh_ = 0;          // slots ever used: 0..fresh_-1
  uint32_t free_head_ = kNone;  // free slots, linked through their buf
  size_t live_ = 0;
  mutable size_t dead_ = 0;  // keys stored but no longer pending
  mutable KeyQueue keys_;
};

template <class KeyQueue, unsigned VersionBits>
template <class F>
void BasicEventQueue<KeyQueue, VersionBits>::store(Slot& s, F&& f) {
  using D = std::decay_t<F>;
  if constexpr (sizeof(D) <= sizeof(Slot::buf) && alignof(D) <= 8) {
    ::new (static_cast<void*>(s.buf)) D(std::forward<F>(f));
    s.invoker = event_detail::invoker_index<&event_detail::invoke<D, true>>;
  } else {
    D* p = new D(std::forward<F>(f));
    std::memcpy(s.buf, &p, sizeof p);
    s.invoker = event_detail::invoker_index<&event_detail::invoke<D, false>>;
  }
}

template <class KeyQueue, unsigned VersionBits>
template <class F>
EventHandle BasicEventQueue<KeyQueue, VersionBits>::schedule(Instant t, F&& f) {
  const uint32_t s = alloc_slot();
  Slot& sl = slot(s);
  try {
    store(sl, std::forward<F>(f));
  } catch (...) {
    free_slot(s);
    throw;
  }
  return file_new(t, s);
}

template <class KeyQueue, unsigned VersionBits>
template <auto M, auto... Bound, class T>
EventHandle BasicEventQueue<KeyQueue, VersionBits>::schedule_call(Instant t, T* obj, uint32_t arg) {
  const auto word = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(obj));
  if (std::endian::native != std::endian::little || (word >> 48) != 0) [[unlikely]]
    return schedule(t, [obj, arg] { (obj->*M)(arg, Bound...); });
  const uint32_t s = alloc_slot();
  Slot& sl = slot(s);
  std::memcpy(sl.buf, &word, sizeof word);
  std::memcpy(sl.buf + 6, &arg, sizeof arg);  // over the address's two zero bytes
  sl.invoker = event_detail::invoker_index<&event_detail::invoke_member<M, T, Bound...>>;
  return file_new(t, s);
}

template <class KeyQueue, unsigned VersionBits>
EventHandle BasicEventQueue<KeyQueue, VersionBits>::file_new(Instant t, uint32_t s) {
  const uint32_t v = bump(slot(s).version, 1);  // odd: pending
  insert(t, s, v);
  ++live_;
  return EventHandle{s, v};
}

template <class KeyQueue, unsigned VersionBits>
inline uint32_t BasicEventQueue<KeyQueue, VersionBits>::take_key(const EventKey e, Instant& time) {
  keys_.pop();
  const uint32_t s = slot_of(e);
  time = unbiased(e.time);
  // Even: no longer pending, so its handle cannot cancel it while it runs.
  slot(s).version = bump(version_of(e), 1);
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

template <class KeyQueue, unsigned VersionBits>
template <class Before>
Instant BasicEventQueue<KeyQueue, VersionBits>::run_next(Before&& before) {
  Instant time;
  const uint32_t s = take(time);
  run_taken(s, time, std::forward<Before>(before));
  return time;
}

template <class KeyQueue, unsigned VersionBits>
template <class Before>
bool BasicEventQueue<KeyQueue, VersionBits>::run_next_until(Instant limit, Before&& before) {
  if (live_ == 0) return false;
  const EventKey& e = front();
  if (e.time > biased(limit)) return false;
  Instant time;
  const uint32_t s = take_key(e, time);
  run_taken(s, time, std::forward<Before>(before));
  return true;
}

template <class KeyQueue, unsigned VersionBits>
template <class Before>
void BasicEventQueue<KeyQueue, VersionBits>::run_taken(uint32_t s, Instant time, Before&& before) {
  Slot& sl = slot(s);
  struct Free {  // also when the callback throws: the invoker destroyed the callable on its way
    BasicEventQueue* q;
    uint32_t s;
    ~Free() { q->free_slot(s); }
  } freeing{this, s};
  before(time);
  // The slot never moves, so the callable runs where it was stored.
  event_detail::invokers[sl.invoker](sl.buf, true);
}

template <class KeyQueue, unsigned VersionBits>
uint32_t BasicEventQueue<KeyQueue, VersionBits>::alloc_slot() {
  if (free_head_ != kNone) [[likely]] {
    const uint32_t s = free_head_;
    free_head_ = next_free(slot(s));
    return s;
  }
  return alloc_fresh();
}

template <class KeyQueue, unsigned VersionBits>
uint32_t BasicEventQueue<KeyQueue, VersionBits>::alloc_fresh() {
  if (fresh_ == kNone) throw std::length_error("event queue: too many pending events");
  if ((fresh_ & (kChunk - 1)) == 0) chunks_.push_back(std::make_unique<Slot[]>(kChunk));
  return fresh_++;
}

// Called once the slot's callable is destroyed (the invoker destroys it).
template <class KeyQueue, unsigned VersionBits>
void BasicEventQueue<KeyQueue, VersionBits>::free_slot(uint32_t s) {
  std::memcpy(slot(s).buf, &free_head_, sizeof free_head_);
  free_head_ = s;
}

using EventQueue = BasicEventQueue<RadixKeyQueue>;
extern template class BasicEventQueue<RadixKeyQueue>;

}  // namespace netsim
