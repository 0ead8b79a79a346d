// Every TCP tunable in one struct (DESIGN.md property 5): the keys of the scenario's `tcp:`
// block. Two presets: `linux()` (default; values from ../shared/reference/linux-tcp-facts.md
// with their kernel sources) and `rfc9293()` (RFC 9293 / 6298 / 1122 textbook values).
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/time.hpp"

namespace netsim::tcp {

enum class CongestionAlgo : uint8_t { newreno, reno, none };

struct Profile {
  // Active open (net/ipv4/tcp_timer.c tcp_write_timeout(), tcp_retransmit_timer()).
  int syn_retries = 6;          // tcp_syn_retries (TCP_SYN_RETRIES)
  int syn_linear_timeouts = 4;  // tcp_syn_linear_timeouts, kernels >= 6.5; 0 = classic doubling
  // Passive open (net/ipv4/inet_connection_sock.c reqsk_timer_handler()).
  int synack_retries = 5;          // tcp_synack_retries
  int syncookies = 1;              // 0 never, 1 when the SYN queue overflows, 2 always
  int max_syn_backlog = 128;       // tcp_max_syn_backlog (Linux: max(128, ehash/128))
  int somaxconn = 4096;            // net.core.somaxconn (SOMAXCONN since 5.4)
  bool abort_on_overflow = false;  // tcp_abort_on_overflow
  // Data retransmission (tcp_retries2; budget via tcp_model_timeout()).
  int retries2 = 15;
  int orphan_retries = 8;  // tcp_orphan_retries 0 means 8 (tcp_orphan_retries())
  // Keepalive (include/net/tcp.h TCP_KEEPALIVE_*).
  Duration keepalive_time = Duration::hours(2);
  Duration keepalive_intvl = Duration::seconds(75);
  int keepalive_probes = 9;
  // Teardown.
  Duration time_wait = Duration::seconds(60);    // TCP_TIMEWAIT_LEN, not tunable on Linux
  Duration fin_timeout = Duration::seconds(60);  // tcp_fin_timeout (TCP_FIN_TIMEOUT)
  // RTO (include/net/tcp.h TCP_TIMEOUT_INIT, TCP_RTO_MIN, TCP_RTO_MAX, TCP_TIMEOUT_FALLBACK).
  Duration rto_initial = Duration::seconds(1);
  Duration rto_min = Duration::milliseconds(200);
  Duration rto_max = Duration::seconds(120);
  Duration rto_fallback = Duration::seconds(3);  // first data RTO when the handshake retransmitted
  // Segments and windows.
  uint16_t mss = 1460;
  uint16_t syn_window = 64240;     // Linux's SYN window: 44 * 1460
  uint16_t synack_window = 65160;  // Linux's SYN-ACK window as captured (45 * 1448)
  uint32_t rcv_buffer = 131072;    // receive buffer: bounds the advertised window
  uint32_t snd_buffer = 262144;    // send buffer: bounds unsent + unacknowledged data
  // Delayed ACK (TCP_DELACK_MIN / TCP_ATO_MIN 40 ms, TCP_DELACK_MAX 200 ms). 0 disables.
  Duration delayed_ack = Duration::milliseconds(40);
  Duration delayed_ack_max = Duration::milliseconds(200);
  int quickacks = 16;  // TCP_MAX_QUICKACKS at connection start
  CongestionAlgo congestion = CongestionAlgo::newreno;
  uint32_t initial_cwnd = 10;  // TCP_INIT_CWND segments

  // The window a SYN-ACK offers: synack_window, never more than the receive buffer holds, as
  // tcp_select_initial_window() bounds it by the receive space (the SYN's: syn_window()).
  uint16_t synack_window_offered() const {
    return static_cast<uint16_t>(synack_window < rcv_buffer ? synack_window : rcv_buffer);
  }

  static Profile linux_default() { return Profile{}; }
  // RFC values: TIME_WAIT = 2*MSL with MSL 2 min; SYN give-up after >= 3 min (RFC 1122
  // 4.2.3.5); RTO min 1 s (RFC 6298 2.4); no SYN cookies, no linear SYN timeouts.
  static Profile rfc9293();
};

std::string_view to_string(CongestionAlgo c);

}  // namespace netsim::tcp
