// The host-wide TCP memory pool (tcp_memory.hpp): net/core/sock.c sk_memory_allocated_add(),
// __sk_mem_reduce_allocated(), net/ipv4/tcp.c tcp_enter_memory_pressure(),
// tcp_leave_memory_pressure().

#include "protocols/tcp/tcp_memory.hpp"

#include "protocols/tcp/timer_wheel.hpp"

namespace netsim::tcp {

// Connection::Tcb::kclock()'s choice.
const KernelClock& TcpMemory::clock() const {
  return wheel_ != nullptr ? wheel_->clock() : KernelClock::unphased(profile_.hz);
}

void TcpMemory::enter_pressure(Instant now) {
  if (under_pressure()) return;
  uint32_t val = clock().jiffies(now);
  if (val == 0) --val;  // "if (!val) val--": 0 means no pressure
  c_.tcp_mem_pressure_since = val;
  ++c_.TCPMemoryPressures;
}

void TcpMemory::leave_pressure(Instant now) {
  if (!under_pressure()) return;
  const uint32_t j = clock().jiffies(now) - c_.tcp_mem_pressure_since;
  c_.tcp_mem_pressure_since = 0;
  c_.TCPMemoryPressuresChrono += clock().jiffies_to_msecs(j);
}

}  // namespace netsim::tcp
