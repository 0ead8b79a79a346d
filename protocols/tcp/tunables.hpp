// The table of TCP tunables (DESIGN.md property 9): every Profile field once, with its scenario
// key, Linux name, kind and bounds, the value of each preset and a doc line. The loader reads and
// checks `tcp:` blocks, per-host overrides and `--set` by it (file:line:col errors); the presets
// are built from it and docs/profiles.md is generated from it. Adding a tunable is one entry.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "protocols/tcp/profile.hpp"

namespace netsim::tcp {

// How a value is written in a scenario, and which alternative of TunableValue holds it.
enum class TunableKind : uint8_t {
  integer,   // an integer in [min, max]                                   -> int64_t
  flag,      // 0/1 as in the sysctl, or false/true                          -> int64_t 0 or 1
  choice,    // one of `choices` (an enum, in its declaration order)         -> int64_t index
  duration,  // "200ms", "2h"; positive unless zero_ok                       -> Duration
  triple,    // "MIN DEFAULT MAX" (tcp_rmem), each in [min, max], ascending  -> Triple
};

using TunableValue = std::variant<int64_t, Duration, Triple>;

using ProfileMember =
    std::variant<int Profile::*, bool Profile::*, uint16_t Profile::*, uint32_t Profile::*,
                 Duration Profile::*, CongestionAlgo Profile::*, Triple Profile::*,
                 KernelHz Profile::*>;

struct Tunable {
  // The key in a scenario's `tcp:` block: Linux's sysctl name without its "tcp_" prefix, or a
  // descriptive name for a kernel constant that is no sysctl.
  std::string_view key;
  // Linux's name ("net.ipv4.tcp_syn_retries"), or the kernel constant ("TCP_TIMEWAIT_LEN").
  // The sysctl's last part ("tcp_syn_retries") is accepted as a scenario key too.
  std::string_view linux_name;
  TunableKind kind;
  ProfileMember member;
  TunableValue linux_value, rfc9293_value;  // the presets
  int64_t min = 0, max = 0;                 // integer, triple: the accepted range
  bool zero_ok = false;                     // duration: 0 is accepted (it disables the feature)
  std::span<const std::string_view> choices = {};  // choice
  std::string_view at_most = {};  // another key whose value this one may not exceed
  std::string_view doc;           // one line for docs/profiles.md
};

// Every tunable, in the order of docs/profiles.md.
std::span<const Tunable> tunables();
// By scenario key, or by the last part of its sysctl name ("tcp_syn_retries"); null if none.
const Tunable* find_tunable(std::string_view key);
// "tcp_syn_retries" for net.ipv4.tcp_syn_retries: the other spelling find_tunable() accepts, or
// "" when the name is no net.* sysctl or equals the key.
std::string_view sysctl_key(const Tunable& t);

// The preset's value of `t`.
const TunableValue& preset_value(const Tunable& t, Preset p);
// Stores `v` (of t.kind's alternative) into the field `t` names.
void apply(const Tunable& t, const TunableValue& v, Profile& p);
// The field `t` names, as a TunableValue.
TunableValue value_of(const Tunable& t, const Profile& p);

}  // namespace netsim::tcp
