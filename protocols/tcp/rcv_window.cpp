// Receive window selection and growth, as net/ipv4/tcp_output.c and tcp_input.c compute them.

#include "protocols/tcp/rcv_window.hpp"

#include <algorithm>
#include <bit>

namespace netsim::tcp {

namespace {

uint32_t round_down(uint32_t x, uint32_t m) {
  return x / m * m;
}
uint32_t align_up(uint32_t x, uint32_t pow2) {
  return (x + pow2 - 1) & ~(pow2 - 1);
}
uint32_t ilog2(uint32_t x) {
  return 31 - static_cast<uint32_t>(std::countl_zero(x));
}

}  // namespace

InitialWindow select_initial_window(const RcvWindowConfig& cfg, uint32_t space, uint32_t mss,
                                    uint32_t window_clamp, bool wscale_ok, uint32_t init_rcv_wnd) {
  InitialWindow w;
  if (window_clamp == 0) window_clamp = 65535U << kMaxWscale;
  space = std::min(window_clamp, space);
  if (space > mss) space = round_down(space, mss);
  w.rcv_wnd = cfg.workaround_signed_windows ? std::min(space, 32767U) : space;
  if (init_rcv_wnd != 0) w.rcv_wnd = std::min(w.rcv_wnd, init_rcv_wnd * mss);
  if (wscale_ok) {
    // Scale for the largest window the buffer may ever grow to.
    space = std::max(space, cfg.rmem[2]);
    space = std::max(space, cfg.rmem_max);
    space = std::min(space, window_clamp);
    const int shift = static_cast<int>(ilog2(space)) - 15;
    w.rcv_wscale = static_cast<uint8_t>(std::clamp(shift, 0, static_cast<int>(kMaxWscale)));
  }
  w.window_clamp = std::min(65535U << w.rcv_wscale, window_clamp);
  return w;
}

InitialWindow syn_window(const RcvWindowConfig& cfg, uint32_t rcvbuf, bool rcvbuf_locked,
                         uint32_t advmss) {
  const uint32_t full = win_from_space(kDefaultScalingRatio, rcvbuf);
  // SO_RCVBUF before connect() limits the window (and so the shift) to the buffer.
  const uint32_t clamp = rcvbuf_locked ? full : 0;
  return select_initial_window(cfg, full, advmss, clamp, cfg.window_scaling, 0);
}

InitialWindow synack_window(const RcvWindowConfig& cfg, uint32_t rcvbuf, bool rcvbuf_locked,
                            uint32_t advmss, bool syn_had_ts, bool syn_had_ws) {
  const uint32_t full = win_from_space(kDefaultScalingRatio, rcvbuf);
  const uint32_t clamp = rcvbuf_locked ? full : 0;
  // tcp_openreq_init_rwin(): TCPOLEN_TSTAMP_ALIGNED comes off the MSS used for rounding.
  const uint32_t mss = advmss - (syn_had_ts ? 12 : 0);
  return select_initial_window(cfg, full, mss, clamp, cfg.window_scaling && syn_had_ws, 0);
}

RcvWindow rcv_window_from(const InitialWindow& w, SeqNum rcv_nxt) {
  RcvWindow r;
  r.rcv_wnd = w.rcv_wnd;
  r.window_clamp = w.window_clamp;
  r.rcv_ssthresh = w.rcv_wnd;  // tcp_connect_init()/tcp_create_openreq_child()
  r.rcv_wscale = w.rcv_wscale;
  r.rcv_wup = rcv_nxt;
  return r;
}

void init_buffer_space(RcvWindow& w, const RcvWindowConfig& cfg, uint32_t rcvbuf, uint32_t advmss) {
  const uint32_t maxwin = win_from_space(w.scaling_ratio, rcvbuf);
  if (w.window_clamp >= maxwin) {
    w.window_clamp = maxwin;
    if (cfg.app_win != 0 && maxwin > 4 * advmss)
      w.window_clamp =
          std::max(maxwin - (cfg.app_win >= 32 ? 0 : maxwin >> cfg.app_win), 4 * advmss);
  }
  // Force reservation of one segment.
  if (cfg.app_win != 0 && w.window_clamp > 2 * advmss && w.window_clamp + advmss > maxwin)
    w.window_clamp = std::max(2 * advmss, maxwin - advmss);
  w.rcv_ssthresh = std::min(w.rcv_ssthresh, w.window_clamp);
  w.rcvq_space = std::min({w.rcv_ssthresh, w.rcv_wnd, 10 * advmss});  // TCP_INIT_CWND
}

uint32_t compute_window(const RcvWindow& w, const RcvSpace& sp) {
  auto mss = static_cast<int64_t>(sp.rcv_mss);
  int64_t free_space =
      win_from_space(w.scaling_ratio, static_cast<int64_t>(sp.rcvbuf) - sp.rmem_alloc);
  const int64_t allowed_space = win_from_space(w.scaling_ratio, sp.rcvbuf);
  const int64_t full_space = std::min<int64_t>(w.window_clamp, allowed_space);
  if (mss > full_space) {
    mss = full_space;
    if (mss <= 0) return 0;
  }
  if (free_space < (full_space >> 1)) {
    free_space = free_space / (int64_t{1} << w.rcv_wscale) * (int64_t{1} << w.rcv_wscale);
    // Less than an MSS or 1/16 of the buffer: aim for a zero window.
    if (free_space < (allowed_space >> 4) || free_space < mss) return 0;
  }
  free_space = std::min<int64_t>(free_space, w.rcv_ssthresh);
  if (w.rcv_wscale != 0) return align_up(static_cast<uint32_t>(free_space), 1U << w.rcv_wscale);
  // Unscaled: a multiple of the MSS, re-rounded only when off by a full MSS.
  int64_t window = w.rcv_wnd;
  if (window <= free_space - mss || window > free_space)
    window = free_space / mss * mss;
  else if (mss == full_space && free_space > window + (full_space >> 1))
    window = free_space;
  return static_cast<uint32_t>(window);
}

SelectedWindow select_window(RcvWindow& w, const RcvSpace& sp, SeqNum rcv_nxt,
                             const RcvWindowConfig& cfg) {
  SelectedWindow out;
  const uint32_t old_win = w.rcv_wnd;
  const uint32_t cur_win = w.receive_window(rcv_nxt);
  uint32_t new_win = compute_window(w, sp);
  if (new_win < cur_win) {
    // Never shrink the offered window (tcp_shrink_window 0).
    out.want_zero = new_win == 0;
    new_win = align_up(cur_win, 1U << w.rcv_wscale);
  }
  w.rcv_wnd = new_win;
  w.rcv_wup = rcv_nxt;
  if (w.rcv_wscale == 0 && cfg.workaround_signed_windows)
    new_win = std::min(new_win, 32767U);
  else
    new_win = std::min<uint32_t>(new_win, 65535U << w.rcv_wscale);
  new_win >>= w.rcv_wscale;
  out.field = static_cast<uint16_t>(new_win);
  out.to_zero = new_win == 0 && old_win != 0;
  out.from_zero = new_win != 0 && old_win == 0;
  return out;
}

// tcp_input.c:tcp_grow_window() with __tcp_grow_window(); under memory pressure rcv_ssthresh
// does not grow ("Check #1": if (!tcp_under_memory_pressure(sk))).
bool grow_window(RcvWindow& w, const RcvWindowConfig& cfg, const RcvSpace& sp, uint32_t len,
                 uint32_t truesize, uint32_t advmss) {
  if (sp.mem_pressure) return false;
  const int64_t space =
      win_from_space(w.scaling_ratio, static_cast<int64_t>(sp.rcvbuf) - sp.rmem_alloc);
  const int64_t room = std::min<int64_t>(w.window_clamp, space) - w.rcv_ssthresh;
  if (room <= 0) return false;
  int64_t incr = 0;
  if (win_from_space(w.scaling_ratio, truesize) <= len) {
    incr = 2 * int64_t{advmss};
  } else {
    int64_t t = win_from_space(w.scaling_ratio, truesize) >> 1;
    int64_t window = win_from_space(w.scaling_ratio, cfg.rmem[2]) >> 1;
    while (w.rcv_ssthresh <= window) {
      if (t <= len) {
        incr = 2 * int64_t{sp.rcv_mss};
        break;
      }
      t >>= 1;
      window >>= 1;
    }
  }
  if (incr == 0) return false;
  incr = std::max<int64_t>(incr, 2 * int64_t{len});
  w.rcv_ssthresh += static_cast<uint32_t>(std::min(room, incr));
  return true;
}

bool measure_scaling_ratio(RcvWindow& w, uint32_t len, uint32_t rcv_mss, uint32_t rcvbuf) {
  if (len < rcv_mss || len == rcv_mss) return false;
  const uint64_t val = (uint64_t{len} << 8) / rx_truesize(len);
  const uint8_t old_ratio = w.scaling_ratio;
  w.scaling_ratio = static_cast<uint8_t>(val == 0 ? 1 : std::min<uint64_t>(val, 255));
  if (w.scaling_ratio == old_ratio) return false;
  w.window_clamp = win_from_space(w.scaling_ratio, rcvbuf);
  w.rcvq_space = std::min(w.rcvq_space, w.window_clamp);
  return true;
}

void rcv_rtt_update(RcvAutotune& a, uint32_t sample_us, bool win_dep) {
  const uint32_t old_sample = a.rtt_us8;
  const uint32_t m = sample_us << 3;
  if (old_sample == 0 || m < old_sample) {
    a.rtt_us8 = m;
  } else if (!win_dep) {
    a.rtt_us8 = old_sample - (old_sample >> 3) + sample_us;
  }
}

void rcv_rtt_measure(RcvAutotune& a, SeqNum rcv_nxt, uint32_t rcv_wnd, Instant now) {
  if (a.rtt_started) {
    if (rcv_nxt < a.rtt_seq) return;
    const int64_t delta = (now - a.rtt_time).ns() / 1000;
    rcv_rtt_update(a, static_cast<uint32_t>(std::clamp<int64_t>(delta, 1, UINT32_MAX >> 3)), true);
  }
  a.rtt_seq = rcv_nxt + rcv_wnd;
  a.rtt_time = now;
  a.rtt_started = true;
}

void rcv_rtt_measure_ts(RcvAutotune& a, uint32_t tsecr, uint32_t delta_ms, uint32_t seg_len,
                        uint32_t rcv_mss) {
  if (tsecr == a.last_tsecr) return;
  a.last_tsecr = tsecr;
  // tcp_rtt_tsopt_us(): whole milliseconds; a delta of 0 (or one past INT_MAX/1000) gives none.
  if (seg_len >= rcv_mss && delta_ms > 0 && delta_ms < INT32_MAX / 1000)
    rcv_rtt_update(a, delta_ms * 1000, false);
}

bool rcv_space_adjust(RcvAutotune& a, RcvWindow& w, const RcvWindowConfig& cfg, uint32_t advmss,
                      uint32_t copied_total, uint32_t inq, bool locked, Instant now) {
  const int64_t time_us = (now - a.space_time).ns() / 1000;
  if (a.rtt_us8 == 0 || time_us < (a.rtt_us8 >> 3)) return false;
  // Bytes copied to the application in the last RTT, less what still waits in the queue.
  const int64_t copied = static_cast<int64_t>(copied_total - a.space_copied) - inq;
  bool grew = false;
  if (copied > static_cast<int64_t>(a.space)) {
    if (!locked) {  // tcp_moderate_rcvbuf 1, and no SO_RCVBUF
      // 2x to cope with losses, 16 segments of cushion, and the sender's growth (slow start
      // doubles per RTT, and this ACK is for the next one).
      uint64_t rcvwin = (static_cast<uint64_t>(copied) << 1) + 16 * uint64_t{advmss};
      const uint64_t grow = rcvwin * static_cast<uint64_t>(copied - a.space) / a.space;
      rcvwin += grow << 1;
      const uint32_t rcvbuf = std::min(space_from_win(w.scaling_ratio, rcvwin), cfg.rmem[2]);
      if (rcvbuf > a.rcvbuf) {
        a.rcvbuf = rcvbuf;
        w.window_clamp = win_from_space(w.scaling_ratio, rcvbuf);  // the clamp follows along
        grew = true;
      }
    }
    a.space = static_cast<uint32_t>(copied);
  }
  a.space_copied = copied_total;
  a.space_time = now;
  return grew;
}

}  // namespace netsim::tcp
