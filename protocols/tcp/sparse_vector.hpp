// A vector that costs one pointer while it has never held anything or was released: the send,
// retransmission and receive queues of a connection are empty almost all the time, and a
// million idle connections should not carry three empty std::vectors each (issue 7's
// "1M concurrent connections in under 2 GiB"). Only what the TCP buffers use is offered.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace netsim::tcp {

template <typename T>
class SparseVector {
 public:
  bool empty() const { return !v_ || v_->empty(); }
  size_t size() const { return v_ ? v_->size() : 0; }
  T& operator[](size_t i) { return (*v_)[i]; }
  const T& operator[](size_t i) const { return (*v_)[i]; }
  T& front() { return v_->front(); }
  const T& front() const { return v_->front(); }
  T& back() { return v_->back(); }
  const T& back() const { return v_->back(); }
  T* begin() { return v_ ? v_->data() : nullptr; }
  T* end() { return v_ ? v_->data() + v_->size() : nullptr; }
  const T* begin() const { return v_ ? v_->data() : nullptr; }
  const T* end() const { return v_ ? v_->data() + v_->size() : nullptr; }

  void push_back(T x) { vec().push_back(std::move(x)); }
  void pop_back() { v_->pop_back(); }
  // Inserts before `pos` (a pointer from begin()..end()).
  void insert(const T* pos, T x) {
    std::vector<T>& v = vec();
    v.insert(v.begin() + (pos == nullptr ? 0 : pos - v.data()), std::move(x));
  }
  // Removes the element at index i.
  void erase(size_t i) { v_->erase(v_->begin() + static_cast<std::ptrdiff_t>(i)); }
  // Removes the first n elements.
  void erase_front(size_t n) {
    if (n == 0) return;
    v_->erase(v_->begin(), v_->begin() + static_cast<std::ptrdiff_t>(n));
  }
  // Gives the memory up (the vector is empty afterwards): a small vector goes back to this
  // thread's pool of spares, which the next vec() of any SparseVector<T> takes first. A queue
  // that empties and fills once per segment (the retransmission queue of a request-response
  // exchange) then costs no allocation: it was two (the vector and its buffer) per send.
  void release() {
    if (!v_) return;
    std::vector<std::unique_ptr<std::vector<T>>>& spares = pool();
    if (spares.size() < kPoolMax && v_->capacity() <= kPoolCapacity) {
      v_->clear();
      spares.push_back(std::move(v_));
    } else {
      v_.reset();
    }
  }

 private:
  // At most kPoolMax spares of at most kPoolCapacity elements each, per thread and T: a bound
  // of a few hundred kilobytes, whatever the number of connections.
  static constexpr size_t kPoolMax = 256;
  static constexpr size_t kPoolCapacity = 32;
  static std::vector<std::unique_ptr<std::vector<T>>>& pool() {
    static thread_local std::vector<std::unique_ptr<std::vector<T>>> spares;
    return spares;
  }
  std::vector<T>& vec() {
    if (!v_) {
      std::vector<std::unique_ptr<std::vector<T>>>& spares = pool();
      if (spares.empty()) {
        v_ = std::make_unique<std::vector<T>>();
      } else {
        v_ = std::move(spares.back());
        spares.pop_back();
      }
    }
    return *v_;
  }
  std::unique_ptr<std::vector<T>> v_;
};

}  // namespace netsim::tcp
