// The deterministic event queue: events ordered by (time, insertion sequence), so ties run in
// FIFO order and never depend on container internals or addresses (DESIGN.md property 1).
// An indexed 4-ary heap: schedule/pop/cancel/reschedule are O(log n); a cancelled event leaves
// the heap at once, so a timer re-armed a million times never leaves dead entries behind.
#pragma once

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

  EventHandle schedule(Instant t, Callback cb);
  // Removes a pending event; returns false (and does nothing) if it is not pending.
  bool cancel(EventHandle h);
  // Moves a pending event to time t; it is ordered as if newly scheduled. False if not pending.
  bool reschedule(EventHandle h, Instant t);
  bool pending(EventHandle h) const;
  std::optional<Instant> time_of(EventHandle h) const;

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Instant next_time() const { return heap_.front().time; }

  // Removes the earliest event and hands back its time and callback.
  struct Popped {
    Instant time;
    Callback callback;
  };
  Popped pop();

 private:
  struct Entry {
    Instant time;
    uint64_t seq;
    uint32_t slot;
  };
  struct Slot {
    Callback callback;
    uint32_t heap_pos = kFree;
    uint32_t generation = 0;
  };
  static constexpr uint32_t kFree = std::numeric_limits<uint32_t>::max();

  static bool before(const Entry& a, const Entry& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
  void sift_up(size_t i);
  void sift_down(size_t i);
  void place(size_t i, const Entry& e) {
    heap_[i] = e;
    slots_[e.slot].heap_pos = static_cast<uint32_t>(i);
  }
  void remove_at(size_t i);
  uint32_t alloc_slot();
  void free_slot(uint32_t s);

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_seq_ = 0;
};

}  // namespace netsim
