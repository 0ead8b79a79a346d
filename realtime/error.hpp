// The one error type of real-peer mode: what stops a real-time run from starting (missing
// privilege, no /dev/net/tun, an unsafe scenario, a device that cannot be configured). The
// message says what to do; the CLI prints it and exits 2.
#pragma once

#include <stdexcept>

namespace netsim::realtime {

class RealtimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace netsim::realtime
