// Host-wide TCP memory as Linux keeps it for the TCP protocol: tcp_memory_allocated (pages)
// against net.ipv4.tcp_mem, the tcp_memory_pressure flag with its entry time, and
// tcp_sockets_allocated. One TcpMemory per stack, reached by its connections through ConnContext.
#pragma once

#include <cstdint>

#include <algorithm>

#include "protocols/tcp/ca_ops.hpp"
#include "protocols/tcp/profile.hpp"
#include "protocols/tcp/tcp_mib.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

class TimerWheel;

// PAGE_SIZE on x86-64; sk_mem_pages() rounds a byte count up to it.
inline constexpr uint32_t kPageSize = 4096;
constexpr int64_t mem_pages_of(uint64_t bytes) {
  return static_cast<int64_t>((bytes + kPageSize - 1) / kPageSize);
}

// __sk_mem_raise_allocated()'s `kind`.
enum class MemKind : uint8_t { send, recv };

// A view of one host's TCP memory: the state lives in its Counters (tcp_mib.hpp TcpMemMib),
// the limits in its Profile; a connection makes one when it needs it (ConnContext).
class TcpMemory {
 public:
  // `wheel`: the host's timer wheel when `timer_wheel` is on, whose kernel clock times the
  // pressure periods; else the profile's unphased clock does (Connection::Tcb::kclock()). The
  // clock is looked up only when pressure begins or ends, so the readers below, called on
  // every segment, are a load or two each.
  TcpMemory(const Profile& profile, TcpMemMib& mib, const TimerWheel* wheel)
      : profile_(profile), c_(mib), wheel_(wheel) {}

  // sk_memory_allocated(): the pages every socket of the host holds (no per-CPU reserve).
  int64_t allocated() const { return c_.tcp_mem_allocated; }
  // sk_prot_mem_limits(sk, i): tcp_mem[i] (min, pressure, max), pages.
  int64_t limit(int i) const {
    const Triple& m = profile_.tcp_mem;
    return i == 0 ? m.min : i == 1 ? m.def : m.max;
  }
  // tcp_under_memory_pressure(): the flag is set from entry until an allocation or a release
  // finds the total at or under tcp_mem[0].
  bool under_pressure() const { return c_.tcp_mem_pressure_since != 0; }
  // tcp_sockets_allocated (tcp_init_sock() / tcp_v4_destroy_sock()): connections only here.
  uint64_t sockets() const { return c_.tcp_sockets_allocated; }
  void socket_added() { ++c_.tcp_sockets_allocated; }
  void socket_removed() { --c_.tcp_sockets_allocated; }

  // sk_memory_allocated_add() / _sub(): no pressure decision (sk_forced_mem_schedule(), and
  // the undo of a refused allocation).
  void add(int64_t pages) {
    c_.tcp_mem_allocated += pages;
    c_.tcp_mem_pages_max = std::max(
        c_.tcp_mem_pages_max, static_cast<uint64_t>(std::max<int64_t>(c_.tcp_mem_allocated, 0)));
  }
  void sub(int64_t pages) { c_.tcp_mem_allocated -= pages; }
  // __sk_mem_reduce_allocated(): pages given back (sk_mem_reclaim()); pressure ends once the
  // total is under tcp_mem[0].
  void reduce(Instant now, int64_t pages) {
    c_.tcp_mem_allocated -= pages;
    if (under_pressure() && c_.tcp_mem_allocated < limit(0)) leave_pressure(now);
  }
  // tcp_enter_memory_pressure(): the flag holds the jiffy of entry; TCPMemoryPressures.
  void enter_pressure(Instant now);
  // tcp_leave_memory_pressure(): TCPMemoryPressuresChrono += the milliseconds it lasted.
  void leave_pressure(Instant now);

 private:
  const KernelClock& clock() const;

  const Profile& profile_;
  TcpMemMib& c_;
  const TimerWheel* wheel_;
};

}  // namespace netsim::tcp
