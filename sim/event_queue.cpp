// Radix heap with lazy removal. Pop order is exactly (time, seq): bucket 0 holds one time only
// and, like every bucket, stays in seq order; the early heap compares (time, seq); nothing
// depends on addresses or container capacity. The hold-model benchmark (bench/) drove the design.
#include "sim/event_queue.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <stdexcept>
#include <utility>

namespace netsim {

EventHandle EventQueue::schedule(Instant t, Callback cb) {
  uint32_t s = alloc_slot();
  slots_[s].callback = std::move(cb);
  slots_[s].pending = true;
  insert(t, s);
  ++live_;
  return EventHandle{s, slots_[s].generation};
}

bool EventQueue::pending(EventHandle h) const {
  return h.is_set() && h.slot < slots_.size() && slots_[h.slot].generation == h.generation &&
         slots_[h.slot].pending;
}

std::optional<Instant> EventQueue::time_of(EventHandle h) const {
  if (!pending(h)) return std::nullopt;
  return slots_[h.slot].time;
}

bool EventQueue::cancel(EventHandle h) {
  if (!pending(h)) return false;
  free_slot(h.slot);
  --live_;
  note_dead();
  return true;
}

bool EventQueue::reschedule(EventHandle h, Instant t) {
  if (!pending(h)) return false;
  insert(t, h.slot);  // the slot's seq moves on, so its old entry is dead from now on
  note_dead();
  return true;
}

Instant EventQueue::next_time() const {
  assert(live_ > 0);
  normalize();
  return early_.empty() ? unbiased(last_) : unbiased(early_.front().time);
}

EventQueue::Popped EventQueue::pop() {
  assert(live_ > 0);
  normalize();
  Entry e;
  if (!early_.empty()) {
    std::pop_heap(early_.begin(), early_.end(), later);
    e = early_.back();
    early_.pop_back();
  } else {
    e = bucket_[0][head0_++];
  }
  const uint32_t s = slot_of(e);
  Popped out{unbiased(e.time), std::move(slots_[s].callback)};
  free_slot(s);
  --live_;
  if (dead_ > live_ + kDeadSlack) compact();  // draining live events can break the bound too
  if (live_ > 0) {
    // Find the next event now and start fetching its slot while this one runs: in a large
    // queue that slot is a cache miss, and hiding it is worth a third of the hold model's time.
    normalize();
    const Entry& next = early_.empty() ? bucket_[0][head0_] : early_.front();
    __builtin_prefetch(&slots_[slot_of(next)]);
  }
  return out;
}

size_t EventQueue::entries() const {
  size_t n = early_.size();
  for (const auto& b : bucket_)
    n += b.size();
  return n - head0_;
}

void EventQueue::insert(Instant t, uint32_t slot) {
  if (next_seq_ >= seq_limit_) renumber();
  uint32_t seq = next_seq_++;
  slots_[slot].seq = seq;
  slots_[slot].time = t;
  place(Entry{biased(t), (uint64_t{seq} << 32) | slot});
}

void EventQueue::place(const Entry& e) const {
  if (e.time < last_) {
    early_.push_back(e);
    std::push_heap(early_.begin(), early_.end(), later);
    return;
  }
  // Bucket 0 only ever receives the largest seq so far, so appending keeps it in seq order.
  uint64_t x = e.time ^ last_;
  if (x == 0) {
    bucket_[0].push_back(e);
    return;
  }
  int digit = (std::bit_width(x) - 1) / 4;
  int b = 16 * digit + static_cast<int>((e.time >> (4 * digit)) & 15);  // bucket number - 1
  bucket_[b + 1].push_back(e);
  occupied_[b / 64] |= uint64_t{1} << (b % 64);
}

// Brings a live entry to the front: the top of early_, or else the head of bucket 0.
void EventQueue::normalize() const {
  for (;;) {
    if (!early_.empty()) {
      if (dead_ == 0 || live(early_.front())) return;
      std::pop_heap(early_.begin(), early_.end(), later);
      early_.pop_back();
      --dead_;
      continue;
    }
    auto& b0 = bucket_[0];
    while (head0_ < b0.size()) {
      if (dead_ == 0 || live(b0[head0_])) return;
      ++head0_;
      --dead_;
    }
    release(b0);
    head0_ = 0;
    if ((occupied_[0] | occupied_[1] | occupied_[2] | occupied_[3]) == 0) return;
    refill();
  }
}

// Empties the lowest non-empty bucket: its minimum becomes last_ and every entry moves to a
// bucket of a lower digit (those at the minimum into bucket 0). The other buckets stay valid:
// the new last_ agrees with the old one on every digit above the emptied bucket's.
void EventQueue::refill() const {
  size_t w = 0;
  while (occupied_[w] == 0)
    ++w;
  int bit = std::countr_zero(occupied_[w]);
  occupied_[w] &= ~(uint64_t{1} << bit);
  auto& b = bucket_[1 + 64 * w + static_cast<size_t>(bit)];
  const bool check = dead_ != 0;
  uint64_t m = std::numeric_limits<uint64_t>::max();
  for (const Entry& e : b) {
    if (e.time < m && (!check || live(e))) m = e.time;
  }
  if (m == std::numeric_limits<uint64_t>::max()) {  // only dead entries
    dead_ -= b.size();
    b.clear();
    return;
  }
  last_ = m;
  // This bucket holds the next events to run: start fetching their slots now, so that the
  // callbacks are in cache when pop() needs them (a slot is a cache miss per event once the
  // queue outgrows the cache). A large bucket is left alone: it would flush what it fetched.
  const bool soon = b.size() <= 256;
  for (const Entry& e : b) {
    if (check && !live(e)) {
      --dead_;
      continue;
    }
    if (soon) __builtin_prefetch(&slots_[slot_of(e)]);
    place(e);
  }
  release(b);
  // No sort needed: every bucket is in seq order. Insertions append the largest seq so far,
  // and a refill moves a bucket, in order, into buckets that are all empty at that moment.
}

// Empties a bucket. A bucket that held a burst keeps its capacity otherwise, and the buckets
// between them reserved 26 MB for 1.6 MB of live entries in a 5M-event hold model (growing with
// virtual time); small ones keep theirs, since refilling reuses it on every step.
void EventQueue::release(std::vector<Entry>& b) {
  constexpr size_t kKeep = 4096;  // entries (64 KiB)
  if (b.capacity() > kKeep) {
    std::vector<Entry>().swap(b);
  } else {
    b.clear();
  }
}

void EventQueue::note_dead() {
  ++dead_;
  if (dead_ > live_ + kDeadSlack) compact();
}

void EventQueue::compact() {
  auto keep_live = [this](std::vector<Entry>& v, size_t from) {
    size_t w = 0;
    for (size_t r = from; r < v.size(); ++r) {
      if (live(v[r])) v[w++] = v[r];
    }
    v.resize(w);
  };
  keep_live(bucket_[0], head0_);
  head0_ = 0;
  for (size_t i = 1; i < bucket_.size(); ++i) {
    keep_live(bucket_[i], 0);
    if (bucket_[i].empty()) occupied_[(i - 1) / 64] &= ~(uint64_t{1} << ((i - 1) % 64));
  }
  keep_live(early_, 0);
  std::make_heap(early_.begin(), early_.end(), later);
  dead_ = 0;
}

// Gives the live entries the insertion numbers 0..n-1 in their (time, seq) order and files
// them again, so numbering can go on past 2^32 insertions without changing any order.
void EventQueue::renumber() {
  std::vector<Entry> all;
  all.reserve(live_);
  for (size_t r = head0_; r < bucket_[0].size(); ++r)
    all.push_back(bucket_[0][r]);
  for (size_t i = 1; i < bucket_.size(); ++i) {
    all.insert(all.end(), bucket_[i].begin(), bucket_[i].end());
  }
  all.insert(all.end(), early_.begin(), early_.end());
  std::erase_if(all, [this](const Entry& e) { return !live(e); });
  std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) { return later(b, a); });
  for (auto& b : bucket_)
    b.clear();
  early_.clear();
  head0_ = 0;
  occupied_ = {};
  dead_ = 0;
  uint32_t seq = 0;
  for (Entry& e : all) {
    uint32_t s = slot_of(e);
    slots_[s].seq = seq;
    e.key = (uint64_t{seq} << 32) | s;
    ++seq;
    place(e);
  }
  next_seq_ = seq;
  if (next_seq_ >= seq_limit_) throw std::length_error("event queue: too many pending events");
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
  slots_[s].pending = false;
  ++slots_[s].generation;  // stale handles to this slot stop matching
  free_slots_.push_back(s);
}

}  // namespace netsim
