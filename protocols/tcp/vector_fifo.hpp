// A FIFO queue on one std::vector, for queues that empty often: pop_front() moves a head index,
// the storage (up to kKeepMax elements) is kept for the next fill once the queue is empty, and the
// consumed front is cut off only when it is more than half the vector (amortised O(1) per element).
// A std::deque allocated a map and a 512-byte block for its first element (TxCompletion's skbs:
// once per connection on a finite link). Only what its users need is offered.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace netsim::tcp {

template <typename T>
class VectorFifo {
 public:
  bool empty() const { return head_ == v_.size(); }
  size_t size() const { return v_.size() - head_; }
  T& front() { return v_[head_]; }
  const T& front() const { return v_[head_]; }
  T& operator[](size_t i) { return v_[head_ + i]; }
  const T& operator[](size_t i) const { return v_[head_ + i]; }
  auto begin() const { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
  auto end() const { return v_.end(); }
  // Elements the storage holds room for (what the queue costs in memory; tests).
  size_t capacity() const { return v_.capacity(); }

  void push_back(T x) {
    if (head_ >= kCompactMin && head_ * 2 > v_.size()) {
      v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    v_.push_back(std::move(x));
  }
  void pop_front() {
    if (++head_ == v_.size()) clear();
  }
  // Empty: storage up to kKeepMax elements is kept for the next fill; a queue that once grew
  // past it (a deep first-hop queue) gives its peak back instead of holding it for good.
  void clear() {
    if (v_.capacity() > kKeepMax) {
      std::vector<T>().swap(v_);
    } else {
      v_.clear();
    }
    head_ = 0;
  }

 private:
  static constexpr size_t kCompactMin = 32;
  static constexpr size_t kKeepMax = 256;
  std::vector<T> v_;
  size_t head_ = 0;
};

}  // namespace netsim::tcp
