// A real capture as trace records, so the sequence diagram can draw it: each packet is a send
// and an arrival at its capture time (one viewpoint: no transit is known), and each endpoint's
// TCP state is inferred from the packets, conservatively (docs/diagrams.md, "Drawing a real
// capture"). States learnt only from what an endpoint must have received are marked guesses.
#pragma once

#include <vector>

#include "sim/pcap_reader.hpp"
#include "sim/trace.hpp"

namespace netsim::viz {

// A state the capture cannot prove (the endpoint may not have seen the packet: it may have been
// lost after the capture point) has StateRecord::inferred set; diagrams draw it with a "?".

// Times count from the first packet. Hosts are named by their addresses. A segment whose
// sequence range (or SYN/FIN) was already seen in its direction is numbered as a
// retransmission.
std::vector<TraceRecord> capture_records(const Capture& capture);

}  // namespace netsim::viz
