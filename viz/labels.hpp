// The words of a sequence diagram: packet labels in tcpdump's and the textbook's vocabulary
// ("SYN seq=0", "P. 1:14 (13) \"Hello,server!\""), drop reasons, timer names, time and count
// formatting, and the text-width estimate the layout uses to size label boxes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "sim/packet.hpp"
#include "sim/time.hpp"
#include "sim/trace.hpp"
#include "viz/hash.hpp"

namespace netsim::viz {

// Each direction's initial sequence number, so labels can print relative numbers the way
// tcpdump does: relative to the seq of that direction's SYN, or, when the SYN was never seen,
// to the first seq seen in that direction.
class SeqBases {
 public:
  // Call for every sent packet in time order, before labelling it. A new SYN with a different
  // seq (a new connection reusing the 4-tuple) starts a new base.
  void observe(const Packet& p);
  std::optional<uint32_t> base(SocketAddr src, SocketAddr dst) const;
  // A segment whose seq lies before what its direction already sent: a keepalive or window
  // probe (seq = SND.NXT - 1), whose seq is the point of the label.
  bool behind(const Packet& p) const;

 private:
  // One direction (src, dst): its base and the highest seq + len it sent.
  struct Direction {
    uint32_t isn = 0;
    bool from_syn = false;
    SeqNum next;
  };
  std::unordered_map<std::pair<SocketAddr, SocketAddr>, Direction, detail::SocketPairHash> dirs_;
};

// "SYN seq=0", "SYN-ACK seq=0 ack=1" ("SYN-ACK (cookie) ..." when its ISN is a SYN cookie), "ACK
// ack=1" ("ACK seq=13 ack=1" for a probe), "P. 1:14 (13)
// \"Hello,server!\"", "FIN seq=14 ack=14", "RST seq=0"; " win=0" when the window is closed; " retx
// #2" for the second retransmission. `bases` null or a missing base prints absolute numbers.
// `preview` false: without the payload preview ("P. 1:33 (32)"), the layout's short form.
std::string packet_label(const Packet& p, const SeqBases* bases, bool preview = true);

// "\"Hello,server!\"" for short printable text (escapes \" \\ \r \n \t), the first 16
// characters and "…" for longer text, "" for binary payloads.
std::string payload_preview(const Payload& payload);

// Short words for the diagram: "loss 2%" (the link's detail when it is short), "queue full",
// "link down", "SYN queue full", ...
std::string drop_reason_text(DropReason reason, std::string_view detail);

// "RTO #2 (2 s)", "SYN RTO #6 (32 s)", "keepalive probe 3/9", "TIME_WAIT expired (60 s)" (the
// span is the timeout that ran, from the record); a firing that gives up says so:
// "SYN timeout → ETIMEDOUT (127 s)", "keepalive timeout → ETIMEDOUT (7275 s)".
std::string timer_text(const TimerRecord& t);

// Axis and tooltip times: "0 ms", "7.5 ms", "60.0225 s" (milliseconds below one second, exact
// to the microsecond, trailing zeros trimmed).
std::string format_time(Instant t);
// A span rounded to three significant digits: "58.9 s", "250 ms", "1.23 min" is never used.
std::string format_span(Duration d);
// 9874 -> "9,874".
std::string group_thousands(uint64_t n);

// Width in points of `text` in the monospace font at `font_size` (DejaVu Sans Mono advances
// are 0.602 em for every code point), counting UTF-8 code points, not bytes.
double text_width(std::string_view text, double font_size);
size_t utf8_length(std::string_view text);

}  // namespace netsim::viz
