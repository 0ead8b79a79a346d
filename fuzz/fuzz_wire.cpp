// Fuzz target 3: the wire decoder that pcap reading and the TUN bridge use (sim/wire.hpp),
// whole (decode_ipv4) and as a capture cut at a snap length (decode_ipv4_truncated).
// Arbitrary bytes must give a packet or an error, never a crash or an out-of-bounds read; a
// decoded packet must survive encode -> decode unchanged (except what the encoder documents it
// leaves out) and format as a tcpdump line.
//
// Input: byte 0 selects the mode; the rest is the packet. In mode "fix checksums" (byte 0 odd)
// the target writes correct IPv4 and TCP checksums into the bytes first, so that the fuzzer
// reaches the header and option parsers instead of stopping at the checksum test.
#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "sim/wire.hpp"

namespace {

using namespace netsim;

uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// Writes valid checksums where the header fields say they belong, when the lengths allow it.
void fix_checksums(std::vector<uint8_t>& b) {
  if (b.size() < 20) return;
  size_t ihl = size_t{b[0] & 0x0fu} * 4;
  if (ihl < 20 || ihl > b.size()) return;
  put16(&b[10], 0);
  put16(&b[10], internet_checksum({b.data(), ihl}));
  size_t total = get16(&b[2]);
  if (total < ihl + 20 || total > b.size()) return;
  size_t tcp_len = total - ihl;
  uint8_t* t = b.data() + ihl;
  put16(t + 16, 0);
  uint8_t pseudo[12] = {b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], 0, 6, 0, 0};
  put16(pseudo + 10, static_cast<uint16_t>(tcp_len));
  uint32_t sum = checksum_add(0, pseudo);
  put16(t + 16, checksum_fold(checksum_add(sum, {t, tcp_len})));
}

std::string describe(const Packet& p) {
  return format_tcpdump(p) + fmt::format(" ttl {} id {} urg {}", p.ttl, p.ip_id, p.tcp.urgent);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> bytes(data + 1, data + size);
  if (data[0] & 1) fix_checksums(bytes);

  DecodeResult r = decode_ipv4(bytes);
  FUZZ_CHECK(r.ok() == r.error.empty(), "an error message exactly when decoding failed");
  // The same bytes as a capture cut at a snap length (pcap reading, --snaplen): never a
  // crash, and a packet that decodes whole decodes the same way.
  DecodeResult cut = decode_ipv4_truncated(bytes);
  FUZZ_CHECK(cut.ok() == cut.error.empty(), "an error message exactly when a cut decode failed");
  if (cut.ok()) (void)describe(*cut.packet);
  if (r.ok()) {
    FUZZ_CHECK(cut.ok() && cut.packet->tcp == r.packet->tcp,
               "a whole packet decodes differently as a cut one: " + describe(*r.packet));
  }
  if (!r.ok()) return 0;
  const Packet& p = *r.packet;
  (void)describe(p);

  // The encoder keeps only the SACK blocks that fit next to the other options in Linux's
  // layout (wire.hpp encodable_sack_blocks); everything else must come back unchanged.
  Packet expected = p;
  expected.tcp.options.sack.resize(encodable_sack_blocks(p.tcp.options));
  std::vector<uint8_t> again;
  try {
    again = encode_ipv4(p);
  } catch (const std::length_error&) {
    // Linux's option layout can be longer than a compact one: a packet at the 65535-byte
    // limit may not fit after re-encoding. That is the documented error, nothing else.
    FUZZ_CHECK(p.wire_size() > 65535, "length_error for a packet that fits: " + describe(p));
    return 0;
  }
  DecodeResult back = decode_ipv4(again);
  FUZZ_CHECK(back.ok(), "an encoded packet does not decode: " + back.error);
  const Packet& q = *back.packet;
  FUZZ_CHECK(q.src == expected.src && q.dst == expected.dst && q.ttl == expected.ttl &&
                 q.ip_id == expected.ip_id && q.tcp == expected.tcp,
             "round trip changed the packet:\n  " + describe(expected) + "\n  " + describe(q));
  FUZZ_CHECK(again.size() == q.wire_size(), "wire_size() disagrees with the encoding");
  return 0;
}
