// The pcap output: every packet as it enters the network (the `send` records), as real
// IPv4/TCP bytes (sim/wire.hpp) written through libpcap with link type DLT_RAW and
// nanosecond virtual-time stamps, so tcpdump, tshark and Wireshark open it directly.
#pragma once

#include <cstdint>
#include <string>

#include "sim/atomic_file.hpp"
#include "sim/trace.hpp"

struct pcap;         // libpcap's pcap_t
struct pcap_dumper;  // libpcap's pcap_dumper_t

namespace netsim {

class PcapSink : public TraceSink {
 public:
  // "-" writes to standard output. Throws AtomicFileError if the file cannot be created.
  explicit PcapSink(std::string path);
  ~PcapSink() override;
  PcapSink(const PcapSink&) = delete;
  PcapSink& operator=(const PcapSink&) = delete;

  // One capture per packet, at the sender: links' duplicates and the receiver's copy are
  // the same packet and are not written again.
  void write(const TraceRecord& r) override;
  // Flushes and renames the temporary file onto the path; later writes are ignored.
  void finish() override;

  uint64_t packets_written() const { return packets_; }
  // True when libpcap writes the nanosecond format (magic a1b23c4d); else microseconds.
  bool nanosecond_timestamps() const { return nano_; }

 private:
  AtomicFile file_;
  pcap* pcap_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  bool nano_ = false;
  bool finished_ = false;
  uint64_t packets_ = 0;
};

}  // namespace netsim
