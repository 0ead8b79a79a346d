// The deterministic event queue: events ordered by (time, insertion sequence), so ties run in
// FIFO order and never depend on container internals or addresses (DESIGN.md property 1).
// A radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990): a simulation only schedules at or after
// the last event it ran, and for such monotone keys each event moves between a few buckets of
// sequential vectors instead of sifting through a heap. A small binary heap takes the rare event
// scheduled before the radix heap's current minimum, so any insertion order stays correct.
// Cancelling or rescheduling leaves the old entry behind as dead (skipped when reached); once
// dead entries outnumber live ones everything is compacted, so a timer re-armed a million times
// costs O(1) amortised per re-arm and never leaves more dead entries than live ones.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
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

class EventQueue {
 public:
  using Callback = std::function<void()>;

  // `seq_limit` is when insertion numbers are compacted back to 0..size-1 (order preserved);
  // only tests lower it, to exercise the renumbering that a 2^32-event run would need.
  explicit EventQueue(uint32_t seq_limit = std::numeric_limits<uint32_t>::max())
      : seq_limit_(seq_limit) {}

  EventHandle schedule(Instant t, Callback cb);
  // Removes a pending event; returns false (and does nothing) if it is not pending.
  bool cancel(EventHandle h);
  // Moves a pending event to time t; it is ordered as if newly scheduled. False if not pending.
  bool reschedule(EventHandle h, Instant t);
  bool pending(EventHandle h) const;
  std::optional<Instant> time_of(EventHandle h) const;

  bool empty() const { return live_ == 0; }
  size_t size() const { return live_; }  // pending events (dead entries not counted)
  // The earliest pending event's time. Requires !empty(). Logically const: it may move
  // entries between buckets to find the minimum.
  Instant next_time() const;
  // Stored entries, dead ones included: at most 2 * size() + kDeadSlack.
  size_t entries() const;

  // Removes the earliest event and hands back its time and callback. Requires !empty().
  struct Popped {
    Instant time;
    Callback callback;
  };
  Popped pop();

  static constexpr size_t kDeadSlack = 64;

 private:
  struct Entry {
    uint64_t time;  // ns with the sign bit flipped: unsigned order is time order
    uint64_t key;   // seq << 32 | slot: comparing keys compares insertion order
  };
  // One cache line per slot: pop() prefetches the next event's slot while the current event
  // runs, and a slot straddling two lines would leave half of its callback unfetched.
  struct alignas(64) Slot {
    Callback callback;
    Instant time;
    uint32_t seq = 0;  // the seq of this slot's live entry
    uint32_t generation = 0;
    bool pending = false;
  };
  static constexpr uint64_t kSignBit = uint64_t{1} << 63;
  static uint64_t biased(Instant t) { return static_cast<uint64_t>(t.ns()) ^ kSignBit; }
  static Instant unbiased(uint64_t u) {
    return Instant::from_ns(static_cast<int64_t>(u ^ kSignBit));
  }
  static uint32_t slot_of(const Entry& e) { return static_cast<uint32_t>(e.key); }
  static uint32_t seq_of(const Entry& e) { return static_cast<uint32_t>(e.key >> 32); }
  // Min-heap order for std::push_heap/pop_heap (which build max-heaps).
  static bool later(const Entry& a, const Entry& b) {
    return a.time > b.time || (a.time == b.time && a.key > b.key);
  }
  bool live(const Entry& e) const {
    const Slot& s = slots_[slot_of(e)];
    return s.pending && s.seq == seq_of(e);
  }

  void insert(Instant t, uint32_t slot);
  void place(const Entry& e) const;
  void normalize() const;
  void refill() const;
  static void release(std::vector<Entry>& b);
  void note_dead();
  void compact();
  void renumber();
  uint32_t alloc_slot();
  void free_slot(uint32_t s);

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint32_t next_seq_ = 0;
  uint32_t seq_limit_;
  size_t live_ = 0;
  mutable size_t dead_ = 0;  // entries stored but no longer pending
  // Radix-16 heap. Bucket 0 holds entries at exactly last_, in seq order, read from head0_.
  // An entry t > last_ whose highest hexadecimal digit differing from last_ is digit L, where
  // t has the value d, lives in bucket 1 + 16*L + d; bucket numbers then follow time order, and
  // each refill moves an entry down at least one digit, so it moves at most 16 (typically 3-5)
  // times in its life.
  static constexpr int kBuckets = 1 + 16 * 16;
  mutable std::array<std::vector<Entry>, kBuckets> bucket_;
  mutable size_t head0_ = 0;
  mutable std::array<uint64_t, 4> occupied_{};  // bit b-1 set: bucket b > 0 is non-empty
  mutable uint64_t last_ = 0;         // every radix entry is >= last_; every early_ entry < last_
  mutable std::vector<Entry> early_;  // binary min-heap of entries before last_
};

}  // namespace netsim
