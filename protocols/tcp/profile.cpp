// The two TCP profiles: `linux` is the default-constructed Profile (values and kernel sources in
// profile.hpp and docs/profiles.md); `rfc9293` holds the textbook values of the RFCs.

#include "protocols/tcp/profile.hpp"

namespace netsim::tcp {

Profile Profile::rfc9293() {
  Profile p;
  // RFC 1122 4.2.3.5: give up on a SYN after at least 3 minutes. With doubling from 1 s
  // (no linear phase) 7 retransmissions end at 1+2+...+64 + 120 (capped) = 247 s.
  p.syn_retries = 7;
  p.syn_linear_timeouts = 0;
  p.syncookies = 0;  // SYN cookies are not part of any TCP RFC (RFC 4987 describes them)
  // RFC 9293 §3.4.2: MSL 2 minutes, TIME-WAIT lasts 2 MSL.
  p.time_wait = Duration::minutes(4);
  // RFC 6298 2.4: RTO at least 1 s; 2.5: a maximum of at least 60 s (Linux's 120 s kept).
  p.rto_min = Duration::seconds(1);
  // RFC 1122 4.2.3.2 / RFC 9293 §3.8.6.3: delay an ACK at most 0.5 s; the classic BSD timer
  // is 200 ms. No quick-ack mode (a Linux heuristic).
  p.delayed_ack = Duration::milliseconds(200);
  p.delayed_ack_max = Duration::milliseconds(500);
  p.quickacks = 0;
  // RFC 5681 §3.1: IW = min(4*SMSS, max(2*SMSS, 4380 bytes)) = 3 segments of 1460 bytes.
  p.initial_cwnd = 3;
  return p;
}

std::string_view to_string(CongestionAlgo c) {
  switch (c) {
    case CongestionAlgo::newreno:
      return "newreno";
    case CongestionAlgo::reno:
      return "reno";
    case CongestionAlgo::none:
      return "none";
  }
  return "";
}

}  // namespace netsim::tcp
