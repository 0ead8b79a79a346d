// The host-wide TCP memory pool (tcp_memory.hpp): net/core/sock.c sk_memory_allocated_add(),
// __sk_mem_reduce_allocated(), net/ipv4/tcp.c tcp_enter_memory_pressure(),
// tcp_leave_memory_pressure().

#include "protocols/tcp/tcp_memory.hpp"

#include <algorithm>

#include "protocols/tcp/ca_ops.hpp"
#include "protocols/tcp/io.hpp"

namespace netsim::tcp {

TcpMemory::TcpMemory(const Profile& profile, Counters& counters, const KernelClock& clock)
    : profile_(profile), c_(counters), clock_(clock) {}

int64_t TcpMemory::allocated() const {
  return c_.tcp_mem_allocated;
}

int64_t TcpMemory::limit(int i) const {
  const Triple& m = profile_.tcp_mem;
  return i == 0 ? m.min : i == 1 ? m.def : m.max;
}

bool TcpMemory::under_pressure() const {
  return c_.tcp_mem_pressure_since != 0;
}

uint64_t TcpMemory::sockets() const {
  return c_.tcp_sockets_allocated;
}

void TcpMemory::socket_added() {
  ++c_.tcp_sockets_allocated;
}

void TcpMemory::socket_removed() {
  --c_.tcp_sockets_allocated;
}

void TcpMemory::add(int64_t pages) {
  c_.tcp_mem_allocated += pages;
  c_.tcp_mem_pages_max = std::max(
      c_.tcp_mem_pages_max, static_cast<uint64_t>(std::max<int64_t>(c_.tcp_mem_allocated, 0)));
}

void TcpMemory::sub(int64_t pages) {
  c_.tcp_mem_allocated -= pages;
}

void TcpMemory::reduce(Instant now, int64_t pages) {
  c_.tcp_mem_allocated -= pages;
  if (under_pressure() && c_.tcp_mem_allocated < limit(0)) leave_pressure(now);
}

void TcpMemory::enter_pressure(Instant now) {
  if (under_pressure()) return;
  uint32_t val = clock_.jiffies(now);
  if (val == 0) --val;  // "if (!val) val--": 0 means no pressure
  c_.tcp_mem_pressure_since = val;
  ++c_.TCPMemoryPressures;
}

void TcpMemory::leave_pressure(Instant now) {
  if (!under_pressure()) return;
  const uint32_t j = clock_.jiffies(now) - c_.tcp_mem_pressure_since;
  c_.tcp_mem_pressure_since = 0;
  c_.TCPMemoryPressuresChrono += clock_.jiffies_to_msecs(j);
}

}  // namespace netsim::tcp
