// The tunables table (tunables.hpp): each Profile field with its key, Linux name, bounds, the
// values of the `linux` preset (../shared/reference/linux-tcp-facts.md, with kernel sources) and
// of the `rfc9293` preset (RFC 9293 / 6298 / 1122 / 5681 textbook values), and its doc line.
#include "protocols/tcp/tunables.hpp"

#include <array>
#include <type_traits>

namespace netsim::tcp {
namespace {

using I = int64_t;

constexpr std::array<std::string_view, 4> kCongestionNames{"newreno", "reno", "none", "cubic"};
constexpr std::array<std::string_view, 4> kHzNames{"100", "250", "300", "1000"};

// Ranges follow the kernel's own bounds: MAX_TCP_SYNCNT (127) for SYN/SYN-ACK counts and
// keepalive probes, a u8 for tcp_retries2 and icsk_ack.quick, TCP_MIN_MSS (88) up to the IPv4
// maximum, 16-bit unscaled windows. The rfc9293 values: RFC 1122 4.2.3.5 (give up on a SYN after
// at least 3 minutes: 7 doubling retransmissions from 1 s end at 247 s), RFC 9293 §3.4.2
// (TIME-WAIT = 2 MSL of 2 minutes), RFC 6298 2.4 (RTO at least 1 s), RFC 1122 4.2.3.2 (delay an
// ACK at most 0.5 s; 200 ms is the classic BSD timer; no quick-ack mode), RFC 5681 §3.1
// (IW = min(4*SMSS, max(2*SMSS, 4380 bytes)) = 3 segments of 1460), no SYN cookies (RFC 4987).
constexpr Tunable kTunables[] = {
    {.key = "syn_retries",
     .linux_name = "net.ipv4.tcp_syn_retries",
     .kind = TunableKind::integer,
     .member = &Profile::syn_retries,
     .linux_value = I{6},
     .rfc9293_value = I{7},
     .min = 1,
     .max = 127,
     .doc = "SYN retransmissions before `connect()` fails (`tcp_syn_retries`, `TCP_SYN_RETRIES`). "
            "RFC 1122 4.2.3.5 wants at least 3 minutes: 7 gives 247 s. Per socket: `syn_count` "
            "(`TCP_SYNCNT`)."},
    {.key = "syn_linear_timeouts",
     .linux_name = "net.ipv4.tcp_syn_linear_timeouts",
     .kind = TunableKind::integer,
     .member = &Profile::syn_linear_timeouts,
     .linux_value = I{4},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 127,
     .doc = "SYN retransmissions at a constant 1 s before doubling (`tcp_syn_linear_timeouts`, "
            "kernels ≥ 6.5); 0 is the classic 1, 2, 4, … schedule."},
    {.key = "synack_retries",
     .linux_name = "net.ipv4.tcp_synack_retries",
     .kind = TunableKind::integer,
     .member = &Profile::synack_retries,
     .linux_value = I{5},
     .rfc9293_value = I{5},
     .min = 1,
     .max = 127,
     .doc = "SYN-ACK retransmissions of a listener's request (`tcp_synack_retries`)."},
    {.key = "syncookies",
     .linux_name = "net.ipv4.tcp_syncookies",
     .kind = TunableKind::integer,
     .member = &Profile::syncookies,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 2,
     .doc = "0 never, 1 when the SYN queue overflows, 2 always (`tcp_syncookies`). Cookies are no "
            "RFC 9293 mechanism (RFC 4987 describes them)."},
    {.key = "max_syn_backlog",
     .linux_name = "net.ipv4.tcp_max_syn_backlog",
     .kind = TunableKind::integer,
     .member = &Profile::max_syn_backlog,
     .linux_value = I{128},
     .rfc9293_value = I{128},
     .min = 1,
     .max = 1000000,
     .doc = "Without cookies, the last quarter of this is kept for proven peers "
            "(`tcp_max_syn_backlog`; Linux's default scales with memory, 2048 on the measured "
            "machine). See [queues-and-cookies.md](queues-and-cookies.md)."},
    {.key = "somaxconn",
     .linux_name = "net.core.somaxconn",
     .kind = TunableKind::integer,
     .member = &Profile::somaxconn,
     .linux_value = I{4096},
     .rfc9293_value = I{4096},
     .min = 1,
     .max = 1000000,
     .doc = "Cap on the `listen()` backlog (`net.core.somaxconn`, `SOMAXCONN` since 5.4)."},
    {.key = "abort_on_overflow",
     .linux_name = "net.ipv4.tcp_abort_on_overflow",
     .kind = TunableKind::flag,
     .member = &Profile::abort_on_overflow,
     .linux_value = I{0},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "RST a final ACK that finds the accept queue full (`tcp_abort_on_overflow`)."},
    {.key = "retries2",
     .linux_name = "net.ipv4.tcp_retries2",
     .kind = TunableKind::integer,
     .member = &Profile::retries2,
     .linux_value = I{15},
     .rfc9293_value = I{15},
     .min = 1,
     .max = 255,
     .doc = "Data retransmission give-up, as a time budget `tcp_model_timeout(retries2, rto_min)`: "
            "924.6 s with 200 ms (`tcp_retries2`, `TCP_RETR2`); RFC 1122 wants at least 100 s. "
            "With the RFC's 1 s `rto_min` the budget is 1207 s."},
    {.key = "orphan_retries",
     .linux_name = "net.ipv4.tcp_orphan_retries",
     .kind = TunableKind::integer,
     .member = &Profile::orphan_retries,
     .linux_value = I{8},
     .rfc9293_value = I{8},
     .min = 0,
     .max = 255,
     .doc = "The same for connections the application closed (`tcp_orphan_retries`, whose 0 means "
            "8): 102.2 s."},
    {.key = "keepalive_time",
     .linux_name = "net.ipv4.tcp_keepalive_time",
     .kind = TunableKind::duration,
     .member = &Profile::keepalive_time,
     .linux_value = Duration::hours(2),
     .rfc9293_value = Duration::hours(2),
     .doc = "Idle time before the first keepalive probe (`TCP_KEEPALIVE_TIME`; RFC 1122 4.2.3.6: "
            "at least 2 hours). Per socket: `keepalive.idle`."},
    {.key = "keepalive_intvl",
     .linux_name = "net.ipv4.tcp_keepalive_intvl",
     .kind = TunableKind::duration,
     .member = &Profile::keepalive_intvl,
     .linux_value = Duration::seconds(75),
     .rfc9293_value = Duration::seconds(75),
     .doc = "Between probes (`TCP_KEEPALIVE_INTVL`). Per socket: `keepalive.interval`."},
    {.key = "keepalive_probes",
     .linux_name = "net.ipv4.tcp_keepalive_probes",
     .kind = TunableKind::integer,
     .member = &Profile::keepalive_probes,
     .linux_value = I{9},
     .rfc9293_value = I{9},
     .min = 1,
     .max = 127,
     .doc = "Unanswered probes before the reset (`TCP_KEEPALIVE_PROBES`). Per socket: "
            "`keepalive.probes`."},
    {.key = "time_wait",
     .linux_name = "TCP_TIMEWAIT_LEN",
     .kind = TunableKind::duration,
     .member = &Profile::time_wait,
     .linux_value = Duration::seconds(60),
     .rfc9293_value = Duration::minutes(4),
     .doc = "TIME_WAIT length: Linux's fixed `TCP_TIMEWAIT_LEN`; RFC 9293 §3.4.2: 2 × MSL with MSL "
            "= 2 minutes."},
    {.key = "fin_timeout",
     .linux_name = "net.ipv4.tcp_fin_timeout",
     .kind = TunableKind::duration,
     .member = &Profile::fin_timeout,
     .linux_value = Duration::seconds(60),
     .rfc9293_value = Duration::seconds(60),
     .doc = "Lifetime of an orphaned FIN_WAIT_2, at least 3.5 RTO (`tcp_fin_timeout`, "
            "`TCP_FIN_TIMEOUT`). RFC 9293 has no such timer; the Linux value is kept so orphans do "
            "not live forever."},
    {.key = "rto_initial",
     .linux_name = "TCP_TIMEOUT_INIT",
     .kind = TunableKind::duration,
     .member = &Profile::rto_initial,
     .linux_value = Duration::seconds(1),
     .rfc9293_value = Duration::seconds(1),
     .doc = "RTO before any RTT sample, for SYN, SYN-ACK and data (`TCP_TIMEOUT_INIT`; RFC 6298 "
            "2.1)."},
    {.key = "rto_min",
     .linux_name = "TCP_RTO_MIN",
     .kind = TunableKind::duration,
     .member = &Profile::rto_min,
     .linux_value = Duration::milliseconds(200),
     .rfc9293_value = Duration::seconds(1),
     .at_most = "rto_max",
     .doc = "Floor of the variance term: RTO = SRTT + rttvar, rttvar at least rto_min, rounded up "
            "to jiffies (`tcp_rtt_estimator()`, `__tcp_set_rto()`; `TCP_RTO_MIN`, sysctl "
            "`tcp_rto_min_us` on new kernels). RFC 6298 2.4 puts the 1 s floor on the whole RTO; "
            "with the same estimator the RFC profile is at least as conservative."},
    {.key = "rto_max",
     .linux_name = "TCP_RTO_MAX",
     .kind = TunableKind::duration,
     .member = &Profile::rto_max,
     .linux_value = Duration::seconds(120),
     .rfc9293_value = Duration::seconds(120),
     .doc = "Cap of the backoff (`TCP_RTO_MAX`; RFC 6298 2.5 allows any cap of at least 60 s)."},
    {.key = "rto_fallback",
     .linux_name = "TCP_TIMEOUT_FALLBACK",
     .kind = TunableKind::duration,
     .member = &Profile::rto_fallback,
     .linux_value = Duration::seconds(3),
     .rfc9293_value = Duration::seconds(3),
     .doc = "First data RTO when the handshake gave no RTT sample: a SYN or SYN-ACK was "
            "retransmitted, or a SYN cookie was used, and no TSecr could stand in "
            "(`TCP_TIMEOUT_FALLBACK`, `tcp_init_metrics()`; RFC 6298 5.7)."},
    {.key = "timer_wheel",
     .linux_name = "",
     .kind = TunableKind::flag,
     .member = &Profile::timer_wheel,
     .linux_value = I{0},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "1: every timer runs when Linux's timer wheel would run it (`kernel/time/timer.c` "
            "`calc_wheel_index()` at `hz`, ticks at a per-host phase): at HZ 250 one jiffy after "
            "its expiry "
            "below 252 ms, then at the next 32 ms, 256 ms, 2 s, 16 s, 131 s … boundary (at most "
            "12.7% of the timeout in jiffies late). 0 (both presets): exactly on time, as the "
            "textbook schedules. See "
            "[tcp-timers.md](tcp-timers.md#the-timer-wheel)."},
    {.key = "hz",
     .linux_name = "CONFIG_HZ",
     .kind = TunableKind::choice,
     .member = &Profile::hz,
     .linux_value = I{1},
     .rfc9293_value = I{1},
     .choices = kHzNames,
     .doc = "Kernel tick rate (`CONFIG_HZ`; Debian: 250). Every TCP timeout is whole jiffies "
            "(the RTO, PTO and REO timeouts rounded up by `usecs_to_jiffies()`, `tcp_fin_time()`), "
            "CUBIC's epoch, the min-RTT window and tcp_info's chronographs count jiffies, and the "
            "timer wheel has 8 levels at HZ 100, 9 above. TCP_RTO_MIN (HZ/5), TCP_DELACK_MIN "
            "(HZ/25) and TCP_TIMEOUT_INIT (HZ) are the same times at every HZ; timestamps tick in "
            "ms whatever HZ is (`tcp_clock_ms()`). See [tcp-timers.md](tcp-timers.md#hz)."},
    {.key = "mss",
     .linux_name = "",
     .kind = TunableKind::integer,
     .member = &Profile::mss,
     .linux_value = I{1460},
     .rfc9293_value = I{1460},
     .min = 88,
     .max = 65495,
     .doc = "MSS we announce and our upper bound for sending; the send MSS is min(ours, the "
            "peer's), 536 when the peer announces none (`TCP_MSS_DEFAULT`)."},
    {.key = "rmem",
     .linux_name = "net.ipv4.tcp_rmem",
     .kind = TunableKind::triple,
     .member = &Profile::rmem,
     .linux_value = Triple{4096, 131072, 6291456},
     .rfc9293_value = Triple{4096, 131072, 6291456},
     .min = 2048,
     .max = 1 << 30,
     .doc = "Receive buffer sizes: min, default, max (`tcp_rmem`). A socket starts with the "
            "default; half of it is window space until the first full segment measures the "
            "len/truesize ratio (`tcp_measure_rcv_mss()`). The SYN and SYN-ACK windows are that "
            "space rounded down to the MSS (64240; 65160 when the SYN has timestamps), the shift "
            "is chosen for max (`tcp_select_initial_window()`); after the handshake the window "
            "grows with `rcv_ssthresh` (`tcp_grow_window()`) and the buffer by DRS up to max "
            "(`tcp_rcv_space_adjust()`), never shrinking (docs/windows.md)."},
    {.key = "wmem",
     .linux_name = "net.ipv4.tcp_wmem",
     .kind = TunableKind::triple,
     .member = &Profile::wmem,
     .linux_value = Triple{4096, 16384, 4194304},
     .rfc9293_value = Triple{4096, 16384, 4194304},
     .min = 2048,
     .max = 1 << 30,
     .doc = "Send buffer sizes: min, default, max (`tcp_wmem`). A socket starts with the "
            "default; at ESTABLISHED and on ACKs while a writer waits and the sender is not "
            "cwnd-limited it grows to 2 * max(10, cwnd, reordering + 1) * per_mss (87040 at MSS "
            "1460), at most max (`tcp_sndbuf_expand()`); SO_SNDBUF fixes it. A bounded write "
            "takes only what fits (`sk_stream_memory_free()`, docs/windows.md): apps, drill "
            "and tcp_app scripts block or get a partial count."},
    {.key = "tcp_mem",
     .linux_name = "net.ipv4.tcp_mem",
     .kind = TunableKind::triple,
     .member = &Profile::tcp_mem,
     // tcp_init_mem() on a 24 GiB host (nr_free_buffer_pages() 6141680): limit = pages / 16,
     // min = limit / 4 * 3, pressure = limit, max = 2 * min.
     .linux_value = Triple{287889, 383855, 575778},
     .rfc9293_value = Triple{287889, 383855, 575778},
     .min = 1,
     .max = int64_t{1} << 40,
     .doc = "Pages (4096 bytes) all TCP sockets of a host may hold: min, pressure, max "
            "(`tcp_mem`; `tcp_init_mem()` of a 24 GiB machine). A socket holds its queued bytes "
            "rounded up to pages (`sk_forward_alloc`). Above pressure the host enters memory "
            "pressure until it is back under min: send buffers are cut to half what they hold and "
            "stop growing, receive windows stop growing and drop to 4 segments; above max "
            "receive memory is refused (drops) and an orphan holding send data is reset on "
            "`close()` (`TCPAbortOnMemory`). docs/windows.md#memory-pressure-tcp_mem."},
    {.key = "notsent_lowat",
     .linux_name = "net.ipv4.tcp_notsent_lowat",
     .kind = TunableKind::integer,
     .member = &Profile::notsent_lowat,
     .linux_value = I{4294967295},
     .rfc9293_value = I{4294967295},
     .min = 1,
     .max = 4294967295,
     .doc = "Unsent bytes (write_seq - snd_nxt) a writer may queue (`tcp_notsent_lowat`; "
            "4294967295 = no limit): a write takes no new skb once that many wait, POLLOUT and "
            "the writable notice need twice as few (`tcp_stream_memory_free()`). Per socket: "
            "`TCP_NOTSENT_LOWAT`. Linux accepts 0, which blocks every write for good; netsim "
            "refuses it."},
    {.key = "autocorking",
     .linux_name = "net.ipv4.tcp_autocorking",
     .kind = TunableKind::flag,
     .member = &Profile::autocorking,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "Autocorking (`tcp_autocorking`, `tcp_should_autocork()`): the push at the end of a "
            "write of less than size_goal is skipped while an earlier skb of the socket is still "
            "in its first hop's queue, and that skb's TX completion pushes instead, so small "
            "writes made while the link is busy leave as one segment (`TCPAutoCorking`). Only "
            "on links of finite bandwidth: on an infinite one every skb completes at once. "
            "`rfc9293`: 0 (RFC 9293 sends what Nagle and the windows allow). "
            "docs/windows.md#tx-completion-autocorking-and-tcp-small-queues."},
    {.key = "limit_output_bytes",
     .linux_name = "net.ipv4.tcp_limit_output_bytes",
     .kind = TunableKind::integer,
     .member = &Profile::limit_output_bytes,
     .linux_value = I{1048576},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 2147483647,
     .doc = "TCP Small Queues (`tcp_small_queue_check()`): `tcp_write_xmit()` stops while the "
            "socket's skbs not yet sent by its first hop hold more than max(2 skbs, 1 ms at the "
            "pacing rate) capped by this many bytes, and the next TX completion resumes it. "
            "0 is netsim's switch for no TSQ (`rfc9293`: RFC 9293 has no host queue; Linux "
            "has no off switch, its 0 would hold all but two skbs). Finite-bandwidth links only."},
    {.key = "delayed_ack",
     .linux_name = "TCP_DELACK_MIN",
     .kind = TunableKind::duration,
     .member = &Profile::delayed_ack,
     .linux_value = Duration::milliseconds(40),
     .rfc9293_value = Duration::milliseconds(200),
     .zero_ok = true,
     .doc = "Minimum (and initial) delayed-ACK timeout `ato` (`TCP_DELACK_MIN` / `TCP_ATO_MIN`); 0 "
            "ACKs every segment at once. RFC 1122 4.2.3.2 and RFC 9293 §3.8.6.3 allow up to 500 "
            "ms; 200 ms is the classic BSD value."},
    {.key = "delayed_ack_max",
     .linux_name = "TCP_DELACK_MAX",
     .kind = TunableKind::duration,
     .member = &Profile::delayed_ack_max,
     .linux_value = Duration::milliseconds(200),
     .rfc9293_value = Duration::milliseconds(500),
     .doc = "Cap of `ato` in interactive (ping-pong) mode (`TCP_DELACK_MAX`); outside it Linux's "
            "cap is 500 ms, and the smoothed RTT bounds it too."},
    {.key = "quickacks",
     .linux_name = "TCP_MAX_QUICKACKS",
     .kind = TunableKind::integer,
     .member = &Profile::quickacks,
     .linux_value = I{16},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 255,
     .doc = "Immediate ACKs at the start of a connection and after a long silence "
            "(`TCP_MAX_QUICKACKS`), at most window / (2 × rcv_mss). Quick-ack mode is a Linux "
            "heuristic, absent from the RFCs."},
    {.key = "congestion",
     .linux_name = "net.ipv4.tcp_congestion_control",
     .kind = TunableKind::choice,
     .member = &Profile::congestion,
     .linux_value = I{3},
     .rfc9293_value = I{0},
     .choices = kCongestionNames,
     .doc = "`newreno` (RFC 6582), `reno` (RFC 5681), `none` (receiver window only) or "
            "`cubic` (RFC 9438 as tcp_cubic.c, with HyStart). In `linux`, and with SACK in "
            "either preset, cwnd counts segments and recovery is Linux's (`newreno`/`reno` run "
            "tcp_reno_*); `rfc9293` without SACK runs RFC 5681/6582 in bytes."},
    {.key = "initial_cwnd",
     .linux_name = "TCP_INIT_CWND",
     .kind = TunableKind::integer,
     .member = &Profile::initial_cwnd,
     .linux_value = I{10},
     .rfc9293_value = I{3},
     .min = 1,
     .max = 65535,
     .doc = "Initial congestion window in segments (`TCP_INIT_CWND`, RFC 6928); RFC 5681 §3.1: "
            "min(4 MSS, max(2 MSS, 4380 bytes)) = 3 segments of 1460. Either profile starts with 1 "
            "instead after more than one SYN (SYN-ACK) retransmission unless the peer's echo "
            "proves them spurious (`tcp_init_transfer()`, docs/tcp-timers.md)."},
    // Issue 13's switches: Linux's defaults (1, 1, 1, 1, 1, 3, 2) in `linux`; off in `rfc9293`.
    {.key = "timestamps",
     .linux_name = "net.ipv4.tcp_timestamps",
     .kind = TunableKind::flag,
     .member = &Profile::timestamps,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "Offer RFC 7323 timestamps in SYNs and answer them in SYN-ACKs; used only when both "
            "sides offered them: TS on every segment, PAWS, RTT from TSecr, send MSS 12 bytes "
            "smaller (`tcp_timestamps`; Linux: 1)."},
    {.key = "window_scaling",
     .linux_name = "net.ipv4.tcp_window_scaling",
     .kind = TunableKind::flag,
     .member = &Profile::window_scaling,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "Offer the RFC 7323 window scale option, its shift chosen from the receive buffer "
            "(`tcp_select_initial_window()`); used only when both sides offered it "
            "(`tcp_window_scaling`; Linux: 1)."},
    {.key = "sack",
     .linux_name = "net.ipv4.tcp_sack",
     .kind = TunableKind::flag,
     .member = &Profile::sack,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "Offer SACK-permitted (RFC 2018); when both sides did, ACKs carry SACK blocks "
            "(`tcp_sack`; Linux: 1)."},
    {.key = "dsack",
     .linux_name = "net.ipv4.tcp_dsack",
     .kind = TunableKind::flag,
     .member = &Profile::dsack,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "With SACK, report duplicate segments in a D-SACK block (RFC 2883) (`tcp_dsack`; "
            "Linux: 1)."},
    {.key = "recovery",
     .linux_name = "net.ipv4.tcp_recovery",
     .kind = TunableKind::integer,
     .member = &Profile::recovery,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 7,
     .doc = "Loss detection bits: 1 RACK, 2 static reordering window, 4 no dupthresh "
            "(`tcp_recovery`; Linux: 1). With SACK: RACK-TLP (RFC 8985) and PRR "
            "(RFC 6937); without SACK Linux counts dupACKs (`tcp_newreno_mark_lost()`)."},
    {.key = "early_retrans",
     .linux_name = "net.ipv4.tcp_early_retrans",
     .kind = TunableKind::integer,
     .member = &Profile::early_retrans,
     .linux_value = I{3},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 4,
     .doc = "3 or 4 enable tail-loss probes with SACK: PTO = 2·SRTT + (rto_min with one "
            "segment out, else 2 ms), in jiffies of `hz`, capped by the RTO "
            "(`tcp_early_retrans`; Linux: 3)."},
    {.key = "frto",
     .linux_name = "net.ipv4.tcp_frto",
     .kind = TunableKind::integer,
     .member = &Profile::frto,
     .linux_value = I{2},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 2,
     .doc = "SACK-enhanced F-RTO (RFC 5682 §3.1) after an RTO: new data probes whether the "
            "timeout was spurious (`tcp_frto`; Linux: 2)."},
    {.key = "retrans_collapse",
     .linux_name = "net.ipv4.tcp_retrans_collapse",
     .kind = TunableKind::flag,
     .member = &Profile::retrans_collapse,
     .linux_value = I{1},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1,
     .doc = "A retransmitted skb shorter than one segment takes the following one-segment skbs "
            "up to the MSS and the window, so three lost 100-byte writes go again as one "
            "300-byte segment; never across MSG_EOR, a SYN or SACKed data "
            "(`tcp_retrans_try_collapse()`; `tcp_retrans_collapse`; Linux: 1)."},
    {.key = "syscall_cost",
     .linux_name = "",
     .kind = TunableKind::duration,
     .member = &Profile::syscall_cost,
     .linux_value = Duration::zero(),
     .rfc9293_value = Duration::zero(),
     .zero_ok = true,
     .doc = "Virtual time a blocking send() or a read of arrived data spends in the kernel "
            "before copying (the syscall itself). With this or `copy_rate` set the socket calls "
            "of `tcp_client`/`tcp_server` span time, own the socket meanwhile and segments "
            "arriving then wait in its backlog (`tcp_add_backlog()`, docs/windows.md "
            "\"The socket lock\"); 0 with `copy_rate` 0: every call is instantaneous. 2us "
            "measured on loopback."},
    {.key = "copy_rate",
     .linux_name = "",
     .kind = TunableKind::integer,
     .member = &Profile::copy_rate,
     .linux_value = I{0},
     .rfc9293_value = I{0},
     .min = 0,
     .max = 1000000,
     .doc = "MB/s (10^6 bytes per second) a socket call copies between the application and "
            "skbs; 0 = copying takes no time. 5000 measured (64 KiB in 13 us)."},
};

}  // namespace

std::span<const Tunable> tunables() {
  return kTunables;
}

std::string_view sysctl_key(const Tunable& t) {
  std::string_view n = t.linux_name;
  if (!n.starts_with("net.")) return {};
  n = n.substr(n.rfind('.') + 1);
  return n == t.key ? std::string_view{} : n;
}

const Tunable* find_tunable(std::string_view key) {
  for (const Tunable& t : kTunables) {
    if (t.key == key || (!key.empty() && sysctl_key(t) == key)) return &t;
  }
  return nullptr;
}

const TunableValue& preset_value(const Tunable& t, Preset p) {
  return p == Preset::rfc9293 ? t.rfc9293_value : t.linux_value;
}

void apply(const Tunable& t, const TunableValue& v, Profile& p) {
  std::visit(
      [&](auto member) {
        using Field = std::remove_reference_t<decltype(p.*member)>;
        if constexpr (std::is_same_v<Field, Duration> || std::is_same_v<Field, Triple>) {
          p.*member = std::get<Field>(v);
        } else {
          p.*member = static_cast<Field>(std::get<int64_t>(v));
        }
      },
      t.member);
}

TunableValue value_of(const Tunable& t, const Profile& p) {
  return std::visit(
      [&](auto member) -> TunableValue {
        using Field = std::remove_cvref_t<decltype(p.*member)>;
        if constexpr (std::is_same_v<Field, Duration> || std::is_same_v<Field, Triple>) {
          return p.*member;
        } else {
          return static_cast<int64_t>(p.*member);
        }
      },
      t.member);
}

Profile::Profile() : Profile(Preset::linux_kernel) {}

Profile::Profile(Preset from) : preset(from) {
  for (const Tunable& t : kTunables)
    apply(t, preset_value(t, from), *this);
}

std::string_view to_string(CongestionAlgo c) {
  return kCongestionNames[static_cast<size_t>(c)];
}

}  // namespace netsim::tcp
