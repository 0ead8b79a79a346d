// PcapSink: libpcap's own dump writer (not a hand-rolled file format) over an AtomicFile, so
// the output is what every pcap reader expects and appears only once the run completed.
#include "sim/pcap_writer.hpp"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "sim/wire.hpp"

namespace netsim {

bool PcapSink::captured(const PacketRecord& r) {
  return r.ev == PacketEvent::send ||
         (r.ev == PacketEvent::drop && r.reason == DropReason::corrupt);
}

bool PcapSink::captured_at(const PacketRecord& r, const std::string& host) {
  if (r.host != host) return false;
  return r.ev == PacketEvent::send || r.ev == PacketEvent::recv ||
         (r.ev == PacketEvent::drop && r.reason == DropReason::corrupt);
}

// kFullSnapLen: IPv4's total length is 16 bits, so at the default no packet is ever cut.
PcapSink::PcapSink(std::string path, std::optional<std::string> at_host, int snaplen)
    : file_(std::move(path)), at_host_(std::move(at_host)), snaplen_(snaplen) {
  if (snaplen_ < 1 || snaplen_ > kFullSnapLen) {
    throw std::invalid_argument(fmt::format("snaplen {} is outside 1-{}", snaplen, kFullSnapLen));
  }
#ifdef PCAP_TSTAMP_PRECISION_NANO
  pcap_ = pcap_open_dead_with_tstamp_precision(DLT_RAW, snaplen_, PCAP_TSTAMP_PRECISION_NANO);
  nano_ = pcap_ != nullptr;
#endif
  if (pcap_ == nullptr) pcap_ = pcap_open_dead(DLT_RAW, snaplen_);
  if (pcap_ == nullptr) throw AtomicFileError("libpcap: pcap_open_dead failed");
  // libpcap closes the FILE* in pcap_dump_close(), so the AtomicFile hands it over and only
  // does the rename at the end. Standard output is never closed.
  FILE* f = file_.is_stdout() ? file_.file() : file_.release();
  dumper_ = pcap_dump_fopen(pcap_, f);
  if (dumper_ == nullptr) {
    std::string why = pcap_geterr(pcap_);
    if (!file_.is_stdout()) std::fclose(f);
    pcap_close(pcap_);
    throw AtomicFileError(fmt::format("cannot write pcap file '{}': {}", file_.path(), why));
  }
}

PcapSink::~PcapSink() {
  if (dumper_ != nullptr) {
    if (file_.is_stdout()) {
      pcap_dump_flush(dumper_);
    } else {
      pcap_dump_close(dumper_);  // the AtomicFile then deletes the temporary
    }
  }
  if (pcap_ != nullptr) pcap_close(pcap_);
}

void PcapSink::write(const TraceRecord& r) {
  const auto* rec = std::get_if<PacketRecord>(&r);
  if (rec == nullptr || finished_) return;
  if (at_host_ ? !captured_at(*rec, *at_host_) : !captured(*rec)) return;
  std::vector<uint8_t> bytes = encode_ipv4(rec->packet);
  int64_t ns = rec->t.ns() < 0 ? 0 : rec->t.ns();
  pcap_pkthdr hdr{};
  hdr.ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  // With nanosecond precision libpcap stores tv_usec as is, meaning nanoseconds.
  int64_t frac = ns % 1'000'000'000;
  hdr.ts.tv_usec = static_cast<suseconds_t>(nano_ ? frac : frac / 1'000);
  hdr.len = static_cast<bpf_u_int32>(bytes.size());
  hdr.caplen = std::min(hdr.len, static_cast<bpf_u_int32>(snaplen_));
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &hdr, bytes.data());
  ++packets_;
}

void PcapSink::finish() {
  if (finished_) return;
  finished_ = true;
  errno = 0;
  if (pcap_dump_flush(dumper_) != 0) {
    int err = errno != 0 ? errno : EIO;
    throw AtomicFileError(fmt::format("error writing pcap file '{}': {}", file_.path(),
                                      std::system_category().message(err)));
  }
  if (!file_.is_stdout()) pcap_dump_close(dumper_);
  dumper_ = nullptr;
  file_.commit();
}

}  // namespace netsim
