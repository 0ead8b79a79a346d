// Indexed 4-ary min-heap keyed by (time, seq). Four children per node halve the depth of a
// binary heap and keep siblings in one cache line, which is what the hold-model benchmark rewards.
#include "sim/event_queue.hpp"

#include <cassert>
#include <utility>

namespace netsim {

EventHandle EventQueue::schedule(Instant t, Callback cb) {
  uint32_t s = alloc_slot();
  slots_[s].callback = std::move(cb);
  heap_.push_back(Entry{t, next_seq_++, s});
  slots_[s].heap_pos = static_cast<uint32_t>(heap_.size() - 1);
  sift_up(heap_.size() - 1);
  return EventHandle{s, slots_[s].generation};
}

bool EventQueue::pending(EventHandle h) const {
  return h.is_set() && h.slot < slots_.size() && slots_[h.slot].generation == h.generation &&
         slots_[h.slot].heap_pos != kFree;
}

std::optional<Instant> EventQueue::time_of(EventHandle h) const {
  if (!pending(h)) return std::nullopt;
  return heap_[slots_[h.slot].heap_pos].time;
}

bool EventQueue::cancel(EventHandle h) {
  if (!pending(h)) return false;
  remove_at(slots_[h.slot].heap_pos);
  free_slot(h.slot);
  return true;
}

bool EventQueue::reschedule(EventHandle h, Instant t) {
  if (!pending(h)) return false;
  size_t i = slots_[h.slot].heap_pos;
  Entry e = heap_[i];
  bool earlier = t < e.time;
  e.time = t;
  e.seq = next_seq_++;
  heap_[i] = e;
  if (earlier) {
    sift_up(i);
  } else {
    sift_down(i);  // same time but a later seq also moves down
  }
  return true;
}

EventQueue::Popped EventQueue::pop() {
  assert(!heap_.empty());
  Entry top = heap_.front();
  Popped out{top.time, std::move(slots_[top.slot].callback)};
  remove_at(0);
  free_slot(top.slot);
  return out;
}

void EventQueue::remove_at(size_t i) {
  size_t last = heap_.size() - 1;
  if (i != last) {
    Entry moved = heap_[last];
    heap_.pop_back();
    place(i, moved);
    if (i > 0 && before(moved, heap_[(i - 1) / 4])) {
      sift_up(i);
    } else {
      sift_down(i);
    }
  } else {
    heap_.pop_back();
  }
}

void EventQueue::sift_up(size_t i) {
  Entry e = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 4;
    if (!before(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
}

void EventQueue::sift_down(size_t i) {
  Entry e = heap_[i];
  size_t n = heap_.size();
  for (;;) {
    size_t first = 4 * i + 1;
    if (first >= n) break;
    size_t best = first;
    size_t end = first + 4 < n ? first + 4 : n;
    for (size_t c = first + 1; c < end; ++c) {
      if (before(heap_[c], heap_[best])) best = c;
    }
    if (!before(heap_[best], e)) break;
    place(i, heap_[best]);
    i = best;
  }
  place(i, e);
}

uint32_t EventQueue::alloc_slot() {
  if (!free_slots_.empty()) {
    uint32_t s = free_slots_.back();
    free_slots_.pop_back();
    return s;
  }
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

void EventQueue::free_slot(uint32_t s) {
  slots_[s].callback = nullptr;
  slots_[s].heap_pos = kFree;
  ++slots_[s].generation;  // stale handles to this slot stop matching
  free_slots_.push_back(s);
}

}  // namespace netsim
