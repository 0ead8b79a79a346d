// Every TCP tunable in one struct (DESIGN.md property 5). Its values, bounds, scenario keys,
// Linux names, preset values and documentation live in one table, protocols/tcp/tunables.cpp:
// `linux` (the default; ../shared/reference/linux-tcp-facts.md) and `rfc9293` (the RFCs).
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/time.hpp"

namespace netsim::tcp {

// cubic (tcp_cubic.c) runs on the SACK path only: without SACK a connection falls back to newreno.
enum class CongestionAlgo : uint8_t { newreno, reno, none, cubic };

// CONFIG_HZ, the kernel's tick rate (kernel/Kconfig.hz: HZ_100, HZ_250, HZ_300, HZ_1000).
enum class KernelHz : uint8_t { hz100, hz250, hz300, hz1000 };
constexpr uint32_t hz_value(KernelHz h) {
  constexpr uint32_t v[] = {100, 250, 300, 1000};
  return v[static_cast<uint8_t>(h)];
}

// A Linux sysctl triple "min default max" (tcp_rmem, tcp_wmem), in bytes.
struct Triple {
  int64_t min = 0, def = 0, max = 0;
  auto operator<=>(const Triple&) const = default;
};

// The two presets of the tunables table.
enum class Preset : uint8_t { linux_kernel, rfc9293 };

// Default-constructed, a Profile holds the `linux` preset. The comments name each field's kernel
// source; the values, ranges and doc lines are in tunables.cpp (kTunables).
struct Profile {
  Profile();  // the linux preset
  explicit Profile(Preset p);

  // Active open (net/ipv4/tcp_timer.c tcp_write_timeout(), tcp_retransmit_timer()).
  int syn_retries = 0;          // tcp_syn_retries (TCP_SYN_RETRIES)
  int syn_linear_timeouts = 0;  // tcp_syn_linear_timeouts, kernels >= 6.5; 0 = classic doubling
  // Passive open (net/ipv4/inet_connection_sock.c reqsk_timer_handler()).
  int synack_retries = 0;          // tcp_synack_retries
  int syncookies = 0;              // 0 never, 1 when the SYN queue overflows, 2 always
  int max_syn_backlog = 0;         // tcp_max_syn_backlog (Linux: max(128, ehash/128))
  int somaxconn = 0;               // net.core.somaxconn (SOMAXCONN since 5.4)
  bool abort_on_overflow = false;  // tcp_abort_on_overflow
  // Data retransmission (tcp_retries2; budget via tcp_model_timeout()).
  int retries2 = 0;
  int orphan_retries = 0;  // tcp_orphan_retries 0 means 8 (tcp_orphan_retries())
  // Keepalive (include/net/tcp.h TCP_KEEPALIVE_*).
  Duration keepalive_time;
  Duration keepalive_intvl;
  int keepalive_probes = 0;
  // Teardown.
  Duration time_wait;    // TCP_TIMEWAIT_LEN, not tunable on Linux
  Duration fin_timeout;  // tcp_fin_timeout (TCP_FIN_TIMEOUT)
  // RTO (include/net/tcp.h TCP_TIMEOUT_INIT, TCP_RTO_MIN, TCP_RTO_MAX, TCP_TIMEOUT_FALLBACK).
  Duration rto_initial;
  Duration rto_min;
  Duration rto_max;
  Duration rto_fallback;  // first data RTO when the handshake retransmitted
  // Timers run when Linux's timer wheel runs them (kernel/time/timer.c), not on the dot.
  bool timer_wheel = false;
  // CONFIG_HZ: every timeout in jiffies, and the jiffies CUBIC, min-RTT and tcp_info count.
  KernelHz hz = KernelHz::hz250;
  // Segments and windows.
  uint16_t mss = 0;
  Triple rmem;                 // tcp_rmem: its default is the receive buffer
  Triple wmem;                 // tcp_wmem: its default is the send buffer, max its autotuning cap
  uint32_t notsent_lowat = 0;  // tcp_notsent_lowat: unsent bytes a writer may queue (UINT_MAX)
  Triple tcp_mem;              // tcp_mem, in pages: the host's TCP memory (tcp_memory.hpp)
  // TX completion (connection_tsq.cpp): tcp_autocorking, and tcp_limit_output_bytes for TCP
  // Small Queues (0: no TSQ, a netsim switch).
  bool autocorking = false;
  uint32_t limit_output_bytes = 0;
  // Delayed ACK (TCP_DELACK_MIN / TCP_ATO_MIN 40 ms, TCP_DELACK_MAX 200 ms). 0 disables.
  Duration delayed_ack;
  Duration delayed_ack_max;
  int quickacks = 0;  // TCP_MAX_QUICKACKS at connection start
  CongestionAlgo congestion = CongestionAlgo::newreno;
  uint32_t initial_cwnd = 0;  // TCP_INIT_CWND segments
  // Modern data path (issue 13): Linux's defaults in `linux`, off in `rfc9293`
  // (docs/profiles.md). RFC 7323, RFC 2018, RFC 2883, RFC 8985, RFC 5682.
  bool timestamps = false;      // tcp_timestamps (Linux 1)
  bool window_scaling = false;  // tcp_window_scaling (Linux 1)
  bool sack = false;            // tcp_sack (Linux 1)
  bool dsack = false;           // tcp_dsack (Linux 1)
  int recovery = 0;             // tcp_recovery bits (Linux 1: RACK)
  int early_retrans = 0;        // tcp_early_retrans (Linux 3: TLP)
  int frto = 0;                 // tcp_frto (Linux 2)
  // tcp_retrans_collapse (Linux 1): a short retransmission takes the small skbs after it.
  bool retrans_collapse = false;
  // The socket lock (docs/windows.md): the virtual time a socket call spends, 0 and 0 = the
  // calls are instantaneous and no socket is ever owned by its application.
  Duration syscall_cost;   // per call
  uint32_t copy_rate = 0;  // MB/s copied between the application and skbs (0: no time)
  bool timed_syscalls() const { return copy_rate != 0 || syscall_cost != Duration::zero(); }
  // The preset this profile was built from; no tunable. In `linux` a connection without SACK
  // runs Linux's tcp_is_reno() path (cwnd in packets, CongestionOps, PRR); in `rfc9293` the
  // RFC 5681/6582 byte-counted sender (congestion.hpp).
  Preset preset = Preset::linux_kernel;

  // The receive buffer a socket starts with: tcp_rmem[1]. Its window share (tcp_full_space())
  // bounds the advertised window; DRS grows it up to tcp_rmem[2] (rcv_window.hpp).
  uint32_t rcv_buffer() const { return static_cast<uint32_t>(rmem.def); }
  // The send buffer a socket starts with: tcp_wmem[1] (tcp_init_sock()); tcp_sndbuf_expand()
  // grows it up to tcp_wmem[2] (send_buffer.hpp).
  uint32_t snd_buffer() const { return static_cast<uint32_t>(wmem.def); }
  uint32_t kernel_hz() const { return hz_value(hz); }

  static Profile linux_default() { return Profile(Preset::linux_kernel); }
  // RFC values: TIME_WAIT = 2*MSL with MSL 2 min; SYN give-up after >= 3 min (RFC 1122
  // 4.2.3.5); RTO min 1 s (RFC 6298 2.4); no SYN cookies, no linear SYN timeouts.
  static Profile rfc9293() { return Profile(Preset::rfc9293); }
};

std::string_view to_string(CongestionAlgo c);

}  // namespace netsim::tcp
