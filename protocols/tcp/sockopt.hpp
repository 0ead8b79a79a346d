// Socket options an application or a script sets on a TCP socket with Linux's semantics
// (net/ipv4/tcp.c do_tcp_setsockopt / do_tcp_getsockopt, net/core/sock.c sk_setsockopt):
// their names as setsockopt() spells them and the kernel's bounds. Connection::set_option() /
// get_option() and Stack apply them; docs/socket-options.md describes each.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "protocols/tcp/io.hpp"
#include "protocols/tcp/profile.hpp"

namespace netsim::tcp {

enum class SockOpt : uint8_t {
  tcp_nodelay,        // TCP_NODELAY: no Nagle; setting it pushes what is queued
  tcp_cork,           // TCP_CORK: hold partial segments; clearing it pushes them
  tcp_user_timeout,   // TCP_USER_TIMEOUT: ms of unacknowledged retransmission before ETIMEDOUT
  tcp_maxseg,         // TCP_MAXSEG: clamp of the MSS (user_mss), read before connect()/listen()
  so_rcvbuf,          // SO_RCVBUF: receive buffer, doubled, locks autotuning
  so_sndbuf,          // SO_SNDBUF: send buffer, doubled, locks autotuning
  tcp_notsent_lowat,  // TCP_NOTSENT_LOWAT: unsent bytes a writer may queue (0: the sysctl's)
  so_rcvlowat,        // SO_RCVLOWAT: bytes a read waits for, and the reader's wakeup
};

// The setsockopt() spelling ("TCP_NODELAY", "SO_RCVBUF"), or nothing.
std::optional<SockOpt> sockopt_from_name(std::string_view name);
std::string_view to_string(SockOpt o);
std::span<const SockOpt> all_sockopts();

// Linux constants the options are bounded by.
inline constexpr int kTcpMinMss = 88;             // TCP_MIN_MSS (include/net/tcp.h)
inline constexpr int kMaxTcpWindow = 32767;       // MAX_TCP_WINDOW: TCP_MAXSEG upper bound
inline constexpr uint32_t kRmemMax = 212992;      // net.core.rmem_max (SK_RMEM_MAX)
inline constexpr uint32_t kWmemMax = 212992;      // net.core.wmem_max (SK_WMEM_MAX)
inline constexpr uint32_t kSockMinRcvbuf = 2304;  // SOCK_MIN_RCVBUF: 2048 + aligned sk_buff
inline constexpr uint32_t kSockMinSndbuf = 4608;  // SOCK_MIN_SNDBUF: twice that

// sk_setsockopt() SO_RCVBUF / SO_SNDBUF: min(val, *mem_max) doubled, at least the minimum
// (the value getsockopt() reports and the buffer the socket gets).
uint32_t sock_rcvbuf_from(int val);
uint32_t sock_sndbuf_from(int val);

// Validates `value` as Linux does and stores it in `o` (EINVAL: TCP_MAXSEG outside
// [88, 32767] but 0, a negative TCP_USER_TIMEOUT). No side effect beyond the store: the push of
// TCP_NODELAY / TCP_CORK is Connection::set_option()'s. SO_RCVLOWAT is capped as it is
// stored (tcp_set_rcvlowat()), against `o`'s SO_RCVBUF or `p`'s tcp_rmem[2].
SocketError store_sockopt(SocketOptions& o, SockOpt opt, int value, const Profile& p);
// getsockopt() of a socket with no connection state (a listener): TCP_MAXSEG is user_mss, or
// TCP_MSS_DEFAULT (536) as mss_cache before any handshake.
int sockopt_value(const SocketOptions& o, SockOpt opt, const Profile& p);
// sk_rcvlowat as tcp_set_rcvlowat() left it when it was set (at most half the then locked
// SO_RCVBUF or else half tcp_rmem[2], at least 1), or 1 when it never was.
uint32_t rcvlowat(const SocketOptions& o);

}  // namespace netsim::tcp
