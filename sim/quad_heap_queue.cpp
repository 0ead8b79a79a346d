// The cold paths of the 4-ary key heap (growing the array, handing every key back).
#include "sim/quad_heap_queue.hpp"

#include <algorithm>
#include <cstring>

namespace netsim {

void QuadHeapKeyQueue::grow() {
  const size_t cap = std::max<size_t>(64, 2 * cap_);
  auto* a = static_cast<EventKey*>(
      ::operator new ((cap + kOffset) * sizeof(EventKey), std::align_val_t{64}));
  if (n_ > 0) std::memcpy(a + kOffset, a_ + kOffset, n_ * sizeof(EventKey));
  ::operator delete (a_, std::align_val_t{64});
  a_ = a;
  cap_ = cap;
}

std::vector<EventKey> QuadHeapKeyQueue::take_all() {
  std::vector<EventKey> all(a_ + kOffset, a_ + kOffset + n_);
  n_ = 0;
  return all;
}

}  // namespace netsim
