// Kathleen Nichols' windowed min filter as Linux keeps tcp_min_rtt() (lib/win_minmax.c,
// include/linux/win_minmax.h): the best, second and third best samples of the window, so the
// minimum can rise again when a path's delay grows and the old minimum ages out
// (tcp_min_rtt_wlen, 300 s, tcp_input.c:tcp_update_rtt_min()).
#pragma once

#include <array>
#include <cstdint>

namespace netsim::tcp {

struct WinMinmax {
  struct Sample {
    uint32_t t = 0;    // jiffies
    uint32_t v = ~0u;  // the measurement (µs); ~0 = none (minmax_reset(..., ~0U))
  };
  std::array<Sample, 3> s{};

  uint32_t get() const { return s[0].v; }  // minmax_get()
  uint32_t reset(uint32_t t, uint32_t meas) {
    s[0] = s[1] = s[2] = Sample{t, meas};
    return s[0].v;
  }
  // minmax_running_min()
  uint32_t running_min(uint32_t win, uint32_t t, uint32_t meas) {
    const Sample val{t, meas};
    if (val.v <= s[0].v || val.t - s[2].t > win) return reset(t, meas);  // new min, or all aged
    if (val.v <= s[1].v) {
      s[2] = s[1] = val;
    } else if (val.v <= s[2].v) {
      s[2] = val;
    }
    return subwin_update(win, val);
  }

 private:
  // minmax_subwin_update()
  uint32_t subwin_update(uint32_t win, const Sample& val) {
    const uint32_t dt = val.t - s[0].t;
    if (dt > win) {
      // The whole window passed without a new best: promote the 2nd and 3rd choices.
      s[0] = s[1];
      s[1] = s[2];
      s[2] = val;
      if (val.t - s[0].t > win) {
        s[0] = s[1];
        s[1] = s[2];
        s[2] = val;
      }
    } else if (s[1].t == s[0].t && dt > win / 4) {
      s[2] = s[1] = val;  // a quarter passed: a 2nd choice from the 2nd quarter
    } else if (s[2].t == s[1].t && dt > win / 2) {
      s[2] = val;  // half passed: a 3rd choice from the last half
    }
    return s[0].v;
  }
};

}  // namespace netsim::tcp
