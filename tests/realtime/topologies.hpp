// Scenario text shared by the real-peer tests (test_linux_peers.cpp) and the session's safety
// checks (test_session_checks.cpp): the flood topology, with the attacker and the real host
// meeting at router r1.
#pragma once

namespace netsim::realtime::testing {

// After `hosts:` with real, server and attacker: real and server 5 ms each side of r1, the
// attacker 1 ms from it (6 lines; `apps:` may follow).
inline const char* const kAttackerBehindRouter = R"(  attacker: 10.0.0.66
routers: [r1]
links:
  - {between: [real, r1], delay: 5ms}
  - {between: [r1, server], delay: 5ms}
  - {between: [attacker, r1], delay: 1ms}
)";

}  // namespace netsim::realtime::testing
