// The send() flags netsim's TCP models, with Linux's values (include/linux/socket.h), so that
// the drill runner, scenario apps and C++ callers pass the same numbers a program would.
#pragma once

#include <cstdint>

namespace netsim::tcp {

// MSG_EOR: the write ends a record; its last skb takes no later write's bytes
// (tcp_skb_can_collapse_to()), so the next write starts a new skb and segment.
inline constexpr uint32_t kMsgEor = 0x80;
// MSG_MORE: more data follows; tcp_push() leaves the tail without PSH (unless forced_push())
// and pushes with TCP_NAGLE_CORK, so a partial last segment waits for a later push.
inline constexpr uint32_t kMsgMore = 0x8000;
// The flags a write may carry; others are refused by the callers that parse them.
inline constexpr uint32_t kMsgModelled = kMsgEor | kMsgMore;
// Socket-layer flags the callers handle themselves, never passed to the TCP: MSG_DONTWAIT
// makes one call non-blocking (sock_sndtimeo()); MSG_NOSIGNAL only spares SIGPIPE.
inline constexpr uint32_t kMsgDontwait = 0x40;
inline constexpr uint32_t kMsgNosignal = 0x4000;

}  // namespace netsim::tcp
