// The host counters by the names scenarios and summary.json use (SCENARIO_SPEC.md "Summary").
// One list, read by expectations and the summary; the loader's known_host_counters() must name
// the same counters (tests/scenarios checks that the two lists agree).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

#include "protocols/tcp/stack.hpp"

namespace netsim {

inline std::array<std::pair<std::string_view, uint64_t>, 14> host_counters(const tcp::Counters& c) {
  return {{{"syn_received", c.syn_received},
           {"synack_sent", c.synack_sent},
           {"synack_retransmits", c.synack_retransmits},
           {"syn_queue_drops", c.syn_queue_drops},
           {"accept_queue_drops", c.accept_queue_drops},
           {"syncookies_sent", c.syncookies_sent},
           {"syncookies_ok", c.syncookies_ok},
           {"syncookies_failed", c.syncookies_failed},
           {"rst_sent", c.rst_sent},
           {"rst_received", c.rst_received},
           {"keepalive_probes_sent", c.keepalive_probes_sent},
           {"retransmits", c.retransmits},
           {"challenge_acks", c.challenge_acks},
           {"connections_established", c.connections_established}}};
}

}  // namespace netsim
