// The reply RST a host sends when no full socket can answer a segment (a closed port, a LISTEN
// socket receiving an ACK, an invalid SYN cookie). Linux builds it in tcp_v4_send_reset(); the
// Stack and its listeners use this one builder so the format lives in one place.
#pragma once

#include <optional>

#include "sim/packet.hpp"

namespace netsim::tcp {

// The RST answering `offending`, or nothing when `offending` is itself a RST (a RST is never
// answered, RFC 9293 §3.10.7.1). With ACK set: RST, seq = its ack, no ACK flag. Otherwise
// RST+ACK, seq 0, ack = seq + SYN + FIN + payload length. Window 0, no options.
std::optional<Packet> make_reply_rst(const Packet& offending);

}  // namespace netsim::tcp
