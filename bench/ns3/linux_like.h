// The ns-3 side of bench/run_side_by_side.sh set up like netsim's default `linux` profile
// (docs/profiles.md), so both simulators run the same TCP: every program calls this first.
// ns-3 3.37 has no RACK-TLP (its loss detection stays DupAck/SACK-based); the rest matches.
#pragma once

#include "ns3/core-module.h"
#include "ns3/internet-module.h"

namespace netsim_bench {

inline void UseLinuxTcp() {
  using namespace ns3;
  // Options as Linux negotiates them: SACK (RFC 2018), timestamps and window scaling (RFC 7323).
  Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));
  Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(true));
  Config::SetDefault("ns3::TcpSocketBase::WindowScaling", BooleanValue(true));
  Config::SetDefault("ns3::TcpSocketBase::LimitedTransmit", BooleanValue(true));  // RFC 3042
  // CUBIC with HyStart (tcp_cubic's defaults) and PRR recovery (RFC 6937), as Linux.
  Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpCubic::GetTypeId()));
  Config::SetDefault("ns3::TcpL4Protocol::RecoveryType", TypeIdValue(TcpPrrRecovery::GetTypeId()));
  // Linux's timers: TCP_RTO_MIN 200 ms (ns-3: 1 s), TCP_DELACK_MIN 40 ms (ns-3: 200 ms).
  Config::SetDefault("ns3::TcpSocketBase::MinRto", TimeValue(MilliSeconds(200)));
  Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(40)));
  // TCP_INIT_CWND 10; MSS 1460 less the 12-byte timestamp option; tcp_rmem's default 131072.
  Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
  Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
  Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(131072));
}

}  // namespace netsim_bench
