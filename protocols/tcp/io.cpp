// The counters table (io.hpp): each host counter's scenario name, the Linux counter nearest to it
// as `nstat -a` prints it (include/uapi/linux/snmp.h), and what it counts.
#include "protocols/tcp/io.hpp"

namespace netsim::tcp {
namespace {

constexpr CounterInfo kCounters[] = {
    {"syn_received", "", &Counters::syn_received,
     "SYNs that reached a listener (before any queue or cookie decision)"},
    {"synack_sent", "", &Counters::synack_sent, "SYN-ACKs sent by listeners, first copies"},
    {"synack_retransmits", "TcpExtTCPSynRetrans", &Counters::synack_retransmits,
     "SYN-ACK retransmissions (Linux's counter adds SYN retransmissions)"},
    {"syn_queue_drops", "TcpExtTCPReqQFullDrop", &Counters::syn_queue_drops,
     "SYNs dropped because the SYN queue was full and cookies were off"},
    {"accept_queue_drops", "TcpExtListenOverflows", &Counters::accept_queue_drops,
     "SYNs and final ACKs dropped because the accept queue was full"},
    {"syncookies_sent", "TcpExtSyncookiesSent", &Counters::syncookies_sent,
     "SYN-ACKs that carried a SYN cookie"},
    {"syncookies_ok", "TcpExtSyncookiesRecv", &Counters::syncookies_ok,
     "ACKs whose SYN cookie was valid (a connection was made from it)"},
    {"syncookies_failed", "TcpExtSyncookiesFailed", &Counters::syncookies_failed,
     "ACKs that carried an invalid SYN cookie"},
    {"rst_sent", "TcpOutRsts", &Counters::rst_sent, "RST segments sent"},
    {"rst_received", "", &Counters::rst_received, "acceptable RST segments received"},
    {"keepalive_probes_sent", "TcpExtTCPKeepAlive", &Counters::keepalive_probes_sent,
     "keepalive probes sent"},
    {"retransmits", "TcpRetransSegs", &Counters::retransmits,
     "data, SYN and FIN retransmissions of connections"},
    {"challenge_acks", "TcpExtTCPChallengeACK", &Counters::challenge_acks,
     "challenge ACKs sent (RFC 5961)"},
    {"connections_established", "", &Counters::connections_established,
     "connections that reached ESTABLISHED (TcpActiveOpens + TcpPassiveOpens that completed)"},
    {"TCPFastRetrans", "TcpExtTCPFastRetrans", &Counters::TCPFastRetrans,
     "segments retransmitted in fast recovery (dupACKs, SACK, RACK)"},
    {"TCPSlowStartRetrans", "TcpExtTCPSlowStartRetrans", &Counters::TCPSlowStartRetrans,
     "segments retransmitted after an RTO, in slow start (state Loss)"},
    {"TCPTimeouts", "TcpExtTCPTimeouts", &Counters::TCPTimeouts,
     "retransmission timer expiries on data (not SYN)"},
    {"TCPLossProbes", "TcpExtTCPLossProbes", &Counters::TCPLossProbes,
     "tail-loss probes sent (RACK-TLP, tcp_early_retrans 3)"},
    {"TCPLossProbeRecovery", "TcpExtTCPLossProbeRecovery", &Counters::TCPLossProbeRecovery,
     "losses repaired by a tail-loss probe"},
    {"TCPSackRecovery", "TcpExtTCPSackRecovery", &Counters::TCPSackRecovery,
     "recoveries entered with SACK"},
    {"TCPSACKReorder", "TcpExtTCPSACKReorder", &Counters::TCPSACKReorder,
     "reordering detected from SACK"},
    {"TCPRenoRecovery", "TcpExtTCPRenoRecovery", &Counters::TCPRenoRecovery,
     "recoveries entered without SACK (duplicate ACKs)"},
    {"TCPRenoReorder", "TcpExtTCPRenoReorder", &Counters::TCPRenoReorder,
     "reordering detected from more duplicate ACKs than segments, without SACK"},
    {"TCPDSACKRecv", "TcpExtTCPDSACKRecv", &Counters::TCPDSACKRecv,
     "D-SACK blocks received for data below the ACK"},
    {"TCPDSACKUndo", "TcpExtTCPDSACKUndo", &Counters::TCPDSACKUndo,
     "recoveries undone because every retransmission was reported duplicate"},
    {"TCPFullUndo", "TcpExtTCPFullUndo", &Counters::TCPFullUndo,
     "recoveries undone at their end by timestamps (Eifel)"},
    {"TCPPartialUndo", "TcpExtTCPPartialUndo", &Counters::TCPPartialUndo,
     "recoveries undone in part on a partial ACK by timestamps"},
    {"TCPLossUndo", "TcpExtTCPLossUndo", &Counters::TCPLossUndo,
     "RTO recoveries undone (timestamps, D-SACK or F-RTO)"},
    {"TCPSpuriousRTOs", "TcpExtTCPSpuriousRTOs", &Counters::TCPSpuriousRTOs,
     "RTOs that F-RTO found spurious"},
    {"TCPLostRetransmit", "TcpExtTCPLostRetransmit", &Counters::TCPLostRetransmit,
     "retransmissions RACK found lost again"},
    {"TCPRcvQDrop", "TcpExtTCPRcvQDrop", &Counters::TCPRcvQDrop,
     "in-order segments dropped because the receive buffer was full and held unread data"},
    {"TCPZeroWindowDrop", "TcpExtTCPZeroWindowDrop", &Counters::TCPZeroWindowDrop,
     "segments with data dropped because the window offered was zero"},
    {"TCPOFODrop", "TcpExtTCPOFODrop", &Counters::TCPOFODrop,
     "out-of-order segments dropped because the receive buffer was full"},
    {"PruneCalled", "TcpExtPruneCalled", &Counters::PruneCalled,
     "times the receive queues held more than the receive buffer and were pruned"},
    {"RcvPruned", "TcpExtRcvPruned", &Counters::RcvPruned,
     "prunings that could not bring the receive queues within the buffer"},
    {"OfoPruned", "TcpExtOfoPruned", &Counters::OfoPruned,
     "prunings that discarded out-of-order data to make room"},
    {"TCPBacklogCoalesce", "TcpExtTCPBacklogCoalesce", &Counters::TCPBacklogCoalesce,
     "segments merged into the previous one in a socket's backlog while its application "
     "owned it (timed socket calls)"},
    {"TCPBacklogDrop", "TcpExtTCPBacklogDrop", &Counters::TCPBacklogDrop,
     "segments dropped because a socket's backlog was full while its application owned it"},
};

}  // namespace

std::span<const CounterInfo> counter_table() {
  return kCounters;
}

}  // namespace netsim::tcp
