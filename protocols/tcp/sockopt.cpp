// Names and bounds of the socket options (see sockopt.hpp).

#include "protocols/tcp/sockopt.hpp"

#include <algorithm>
#include <array>

namespace netsim::tcp {

namespace {

constexpr std::array<std::pair<SockOpt, std::string_view>, 8> kNames{{
    {SockOpt::tcp_nodelay, "TCP_NODELAY"},
    {SockOpt::tcp_cork, "TCP_CORK"},
    {SockOpt::tcp_user_timeout, "TCP_USER_TIMEOUT"},
    {SockOpt::tcp_maxseg, "TCP_MAXSEG"},
    {SockOpt::so_rcvbuf, "SO_RCVBUF"},
    {SockOpt::so_sndbuf, "SO_SNDBUF"},
    {SockOpt::tcp_notsent_lowat, "TCP_NOTSENT_LOWAT"},
    {SockOpt::so_rcvlowat, "SO_RCVLOWAT"},
}};
constexpr std::array<SockOpt, 8> kAll{
    SockOpt::tcp_nodelay, SockOpt::tcp_cork,  SockOpt::tcp_user_timeout,  SockOpt::tcp_maxseg,
    SockOpt::so_rcvbuf,   SockOpt::so_sndbuf, SockOpt::tcp_notsent_lowat, SockOpt::so_rcvlowat};

// tcp_set_rcvlowat(): "if (sk->sk_userlocks & SOCK_RCVBUF_LOCK) cap = sk->sk_rcvbuf >> 1;
// else cap = sysctl_tcp_rmem[2] >> 1; val = min(val, cap); sk->sk_rcvlowat = val ? : 1".
uint32_t capped_rcvlowat(const SocketOptions& o, const Profile& p, uint32_t val) {
  const uint32_t cap = (o.rcvbuf != 0 ? o.rcvbuf : static_cast<uint32_t>(p.rmem.max)) >> 1;
  return std::max<uint32_t>(std::min(val, cap), 1);
}

// "val = min_t(u32, val, sysctl_*mem_max)": a negative int is a huge u32, so the maximum.
uint32_t doubled(int val, uint32_t max, uint32_t min) {
  uint32_t v = std::min(static_cast<uint32_t>(val), max);
  return std::max(v * 2, min);
}

}  // namespace

std::optional<SockOpt> sockopt_from_name(std::string_view name) {
  for (const auto& [o, n] : kNames)
    if (n == name) return o;
  return std::nullopt;
}

std::string_view to_string(SockOpt o) {
  for (const auto& [k, n] : kNames)
    if (k == o) return n;
  return "?";
}

std::span<const SockOpt> all_sockopts() {
  return kAll;
}

SocketError store_sockopt(SocketOptions& o, SockOpt opt, int value, const Profile& p) {
  switch (opt) {
    case SockOpt::tcp_nodelay:
      o.nodelay = value != 0;
      return SocketError::none;
    case SockOpt::tcp_cork:
      o.cork = value != 0;
      return SocketError::none;
    case SockOpt::tcp_user_timeout:
      if (value < 0) return SocketError::einval;  // tcp_sock_set_user_timeout()
      o.user_timeout_ms = static_cast<uint32_t>(value);
      return SocketError::none;
    case SockOpt::tcp_maxseg:
      // do_tcp_setsockopt(): "if (val && (val < TCP_MIN_MSS || val > MAX_TCP_WINDOW))".
      if (value != 0 && (value < kTcpMinMss || value > kMaxTcpWindow)) return SocketError::einval;
      o.maxseg = static_cast<uint16_t>(value);
      return SocketError::none;
    case SockOpt::so_rcvbuf:
      o.rcvbuf = sock_rcvbuf_from(value);
      return SocketError::none;
    case SockOpt::so_sndbuf:
      o.sndbuf = sock_sndbuf_from(value);
      return SocketError::none;
    case SockOpt::tcp_notsent_lowat:
      // "WRITE_ONCE(tp->notsent_lowat, val)": any int, kept as a u32 (-1 is UINT_MAX).
      o.notsent_lowat = static_cast<uint32_t>(value);
      return SocketError::none;
    case SockOpt::so_rcvlowat:
      // sk_setsockopt(): "if (val < 0) val = INT_MAX"; tcp_set_rcvlowat() caps it now, against
      // the buffer of this moment: a later, smaller SO_RCVBUF leaves it as it is.
      o.rcvlowat = capped_rcvlowat(o, p, static_cast<uint32_t>(value < 0 ? INT32_MAX : value));
      return SocketError::none;
  }
  return SocketError::einval;
}

int sockopt_value(const SocketOptions& o, SockOpt opt, const Profile& p) {
  switch (opt) {
    case SockOpt::tcp_nodelay:
      return o.nodelay ? 1 : 0;
    case SockOpt::tcp_cork:
      return o.cork ? 1 : 0;
    case SockOpt::tcp_user_timeout:
      return static_cast<int>(o.user_timeout_ms);
    case SockOpt::tcp_maxseg:
      return o.maxseg != 0 ? o.maxseg : 536;
    case SockOpt::so_rcvbuf:
      return static_cast<int>(o.rcvbuf != 0 ? o.rcvbuf : p.rcv_buffer());
    case SockOpt::so_sndbuf:
      return static_cast<int>(o.sndbuf != 0 ? o.sndbuf : p.snd_buffer());
    case SockOpt::tcp_notsent_lowat:
      return static_cast<int>(o.notsent_lowat);  // tp->notsent_lowat: 0 until set
    case SockOpt::so_rcvlowat:
      return static_cast<int>(rcvlowat(o));  // as stored when set
  }
  return 0;
}

uint32_t rcvlowat(const SocketOptions& o) {
  return std::max<uint32_t>(o.rcvlowat, 1);  // 0: never set, sk_rcvlowat's initial 1
}

uint32_t sock_rcvbuf_from(int val) {
  return doubled(val, kRmemMax, kSockMinRcvbuf);
}
uint32_t sock_sndbuf_from(int val) {
  return doubled(val, kWmemMax, kSockMinSndbuf);
}

}  // namespace netsim::tcp
