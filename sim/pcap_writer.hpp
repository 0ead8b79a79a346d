// The pcap output: every packet as it enters the network (the `send` records), or as one
// host's interface sees it (--pcap-at), as real IPv4/TCP bytes (sim/wire.hpp) written through
// libpcap with link type DLT_RAW and nanosecond virtual-time stamps, so tcpdump, tshark and
// Wireshark open it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/atomic_file.hpp"
#include "sim/trace.hpp"

struct pcap;         // libpcap's pcap_t
struct pcap_dumper;  // libpcap's pcap_dumper_t

namespace netsim {

class PcapSink : public TraceSink {
 public:
  // "-" writes to standard output. Throws AtomicFileError if the file cannot be created.
  // `at_host`: capture at that host's interface (at_host()) instead of once per packet.
  // `snaplen`: bytes kept of each packet (tcpdump -s): the file's header says so and a longer
  // packet is cut there, its full length still recorded (kFullSnapLen keeps every byte).
  static constexpr int kFullSnapLen = 65535;
  explicit PcapSink(std::string path, std::optional<std::string> at_host = std::nullopt,
                    int snaplen = kFullSnapLen);
  ~PcapSink() override;
  PcapSink(const PcapSink&) = delete;
  PcapSink& operator=(const PcapSink&) = delete;

  // Writes the packet records captured() selects; everything else is ignored.
  void write(const TraceRecord& r) override;
  // Flushes and renames the temporary file onto the path; later writes are ignored.
  void finish() override;

  // One capture per packet where it enters the network (`send`): a link's duplicate and the
  // receiver's copy are the same packet and are not written again. The one exception is a
  // packet damaged on the way (`drop` with reason corrupt): the network only damages it after
  // the send record, so the damaged copy is written as well, at the time the receiver
  // discarded it, with a bad TCP checksum that Wireshark and tcpdump flag.
  static bool captured(const PacketRecord& r);
  // What tcpdump on `host`'s interface would see, each at its own time there: what the host
  // sent (at the send) and every copy that reached it (at the arrival; a damaged copy too,
  // with its bad checksum). So a round trip reads whole, as on a real capture.
  static bool captured_at(const PacketRecord& r, const std::string& host);

  uint64_t packets_written() const { return packets_; }
  // True when libpcap writes the nanosecond format (magic a1b23c4d); else microseconds.
  bool nanosecond_timestamps() const { return nano_; }

 private:
  AtomicFile file_;
  pcap* pcap_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  std::optional<std::string> at_host_;
  int snaplen_ = kFullSnapLen;
  bool nano_ = false;
  bool finished_ = false;
  uint64_t packets_ = 0;
};

}  // namespace netsim
