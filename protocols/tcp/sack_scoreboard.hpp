// The sender's loss recovery as Linux 6.12 does it, as pure logic over the retransmission
// queue: the SACK scoreboard (tcp_sacktag_write_queue), RACK (tcp_recovery.c), PRR
// (tcp_cwnd_reduction), TLP (tcp_schedule_loss_probe/tcp_process_tlp_ack), RTO marking
// (tcp_enter_loss) and undo. Everything but one pointer is allocated on the first sign of loss.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "protocols/tcp/ca_ops.hpp"
#include "protocols/tcp/sent_segment.hpp"
#include "protocols/tcp/tcp_mib.hpp"
#include "sim/seq.hpp"
#include "sim/time.hpp"

namespace netsim::tcp {

// include/net/tcp.h TCPCB_* bits of tcp_skb_cb.sacked.
enum SackedBits : uint8_t {
  kSackedAcked = 0x01,    // TCPCB_SACKED_ACKED
  kSackedRetrans = 0x02,  // TCPCB_SACKED_RETRANS: retransmitted, still in flight
  kLost = 0x04,           // TCPCB_LOST
  kEverRetrans = 0x80,    // TCPCB_EVER_RETRANS
  kRetrans = kSackedRetrans | kEverRetrans,
};

// One segment of the retransmission queue: the connection's own SentSegment (send_buffer.hpp),
// whose `sacked` bits and `tx_delivered` are the scoreboard's (tcp_skb_cb.sacked, tx.delivered);
// `last_sent` is the latest (re)transmission time (tcp_skb_timestamp_us). pcount is 1: netsim
// segments are at most one MSS.
using ScoreSeg = SentSegment;

struct SackBlock {
  SeqNum start;
  SeqNum end;
  bool operator==(const SackBlock&) const = default;
};

// The sysctls that shape recovery (tcp_ipv4.c:tcp_sk_init defaults).
struct LossConfig {
  bool sack = true;      // tcp_sack (both ends offered it)
  bool dsack = true;     // tcp_dsack
  uint8_t recovery = 1;  // tcp_recovery: 1 RACK_LOSS_DETECTION, 2 STATIC_REO_WND, 4 NO_DUPTHRESH
  uint8_t early_retrans = 3;      // tcp_early_retrans: 3/4 enable TLP
  uint8_t frto = 2;               // tcp_frto: F-RTO (RFC 5682, SACK-enhanced) when non-zero
  uint32_t reordering = 3;        // tcp_reordering
  uint32_t max_reordering = 300;  // tcp_max_reordering
  Duration rto_min = Duration::milliseconds(200);  // tcp_rto_min_us
  bool rack() const { return (recovery & 1) != 0; }
};

// What the caller knows at the moment of a call (tcp_sock fields owned elsewhere).
struct LossCtx {
  Instant now;
  SeqNum snd_una;  // after the cumulative ACK was applied, except in on_ack's input
  SeqNum snd_nxt;
  uint32_t mss = 1448;
  uint32_t max_window = 65535;
  int64_t srtt_us8 = 0;  // tp->srtt_us: 8 x the smoothed RTT in µs; 0 before any sample
  int64_t min_rtt_us = 0;
  Duration rto = Duration::seconds(1);
  CaSock* ca = nullptr;
  const CongestionOps* ops = nullptr;
  const LossConfig* cfg = nullptr;
  LossMib* mib = nullptr;
  KernelClock clock;

  // What congestion control sees of this moment.
  CaEnv env() const {
    CaEnv e;
    e.now = now;
    e.snd_una = snd_una;
    e.snd_nxt = snd_nxt;
    e.clock = clock;
    return e;
  }
};

// One received ACK as the recovery logic needs it.
struct AckIn {
  SeqNum ack;
  std::span<const SackBlock> sacks;
  bool not_dup = false;  // FLAG_NOT_DUP: carried data or changed the window
  // TSecr of the ACK when timestamps are on (0 otherwise), for Eifel undo.
  uint32_t tsecr = 0;
  // Unsent data exists and the peer's window admits some (F-RTO step 2.b).
  bool new_data_sendable = false;
};

struct AckOut {
  uint32_t newly_acked = 0;   // segments cumulatively acknowledged by this ACK
  uint32_t newly_sacked = 0;  // segments newly SACKed (incl. a D-SACKed spurious one)
  // tcp_newly_delivered(): tp->delivered's growth; without SACK a duplicate ACK delivers one
  // and a cumulative ACK max(acked - dupACKs, 1) (tcp_add_reno_sack, tcp_remove_reno_sacks).
  uint32_t delivered = 0;
  uint32_t newly_lost = 0;
  bool dsack = false;
  bool dsack_tlp = false;        // FLAG_DSACK_TLP: the D-SACK reports the loss probe's segment
  bool orig_sack_acked = false;  // FLAG_ORIG_SACK_ACKED: never-retransmitted data below high_seq
  bool lost_retrans = false;     // FLAG_LOST_RETRANS: a retransmission was lost again
  // F-RTO step 2.b (REXMIT_NEW): send new data now instead of retransmitting; if none can go,
  // call frto_no_new_data() and retransmit the Lost segments.
  bool send_new_data = false;
  bool entered_recovery = false;
  bool recovery_ended = false;
  bool undone = false;
  // tcp_rack_mark_lost() armed the reordering timer for this deadline.
  std::optional<Instant> reo_timer;
  // tcp_cong_control(): cwnd may grow by cong_avoid() (state Open/Disorder, tcp_may_raise_cwnd).
  bool may_raise_cwnd = false;
  // The retransmission queue gained (or, SACK shifting, lost) this many skbs (rtx_skb.hpp).
  int32_t skb_delta = 0;
};

// What tcp_send_loss_probe() sends.
enum class ProbeKind : uint8_t { none, new_data, retransmit_last };

class LossRecovery {
 public:
  // Nothing allocated: a loss-free connection has never needed the scoreboard.
  bool active() const { return s_ != nullptr; }

  // tcp.h:tcp_packets_in_flight(): packets_out - (sacked_out + lost_out) + retrans_out.
  uint32_t in_flight(uint32_t packets_out) const;
  uint32_t sacked_out() const { return s_ ? s_->sacked_out : 0; }
  uint32_t lost_out() const { return s_ ? s_->lost_out : 0; }
  uint32_t retrans_out() const { return s_ ? s_->retrans_out : 0; }
  uint32_t reordering() const { return s_ ? s_->reordering : 3; }
  uint32_t reord_seen() const { return s_ ? s_->reord_seen : 0; }
  uint32_t reo_wnd_steps() const { return s_ ? s_->reo_wnd_steps : 1; }
  int32_t undo_retrans() const { return s_ ? s_->undo_retrans : 0; }
  bool undo_armed() const { return s_ && s_->undo_armed; }
  SeqNum undo_marker() const { return s_ ? s_->undo_marker : SeqNum(); }
  SeqNum high_seq() const { return s_ ? s_->high_seq : SeqNum(); }
  uint32_t prr_delivered() const { return s_ ? s_->prr_delivered : 0; }
  uint32_t prr_out() const { return s_ ? s_->prr_out : 0; }
  bool tlp_outstanding() const { return s_ && s_->tlp_armed; }
  int64_t rack_rtt_us() const { return s_ ? s_->rack_rtt_us : 0; }

  // tcp_input.c:tcp_is_sackblock_valid().
  bool sack_block_valid(const LossCtx& c, bool is_dsack, SackBlock b) const;

  // The loss-relevant half of tcp_ack(): D-SACK check, SACK tagging, the cumulative ACK
  // (tcp_clean_rtx_queue), TLP outcome, then tcp_fastretrans_alert() with RACK, recovery entry,
  // undo and PRR. `q` is the retransmission queue before the ACK (front = snd_una, sequence
  // order); the caller removes the first out.newly_acked entries afterwards. c.snd_una is the
  // value before the ACK.
  AckOut on_ack(std::span<ScoreSeg> q, LossCtx c, const AckIn& in);

  // The REO timer fired (tcp_recovery.c:tcp_rack_reo_timeout()): mark, enter Recovery, one PRR
  // step. Returns segments newly lost (the caller retransmits the Lost ones).
  uint32_t on_reo_timeout(std::span<ScoreSeg> q, LossCtx c);

  // A segment of `q` was retransmitted now with TSval `tsval` (fast retransmit, RTO; `probe`
  // for a TLP): Retrans bits, retrans_out, undo_retrans, prr_out (tcp_output.c:
  // tcp_retransmit_skb, tcp_xmit_retransmit_queue).
  void on_retransmit(ScoreSeg& seg, LossCtx c, uint32_t tsval, bool probe = false);
  // tcp_retransmit_skb() of an skb of `segs` segments last sent with TSval `tsval` that
  // __tcp_retransmit_skb() refused (-EBUSY, skb_still_in_host_queue()): nothing left and the
  // skb's bits are untouched, but retrans_stamp and undo_retrans count the attempt.
  void on_retransmit_refused(const LossConfig& cfg, uint32_t tsval, uint32_t segs);
  // tcp_output.c:tcp_adjust_pcount(): an skb with bits `sacked` lost `decr` segments (a
  // negative count: gained them) when the queue was re-cut or collapsed.
  void adjust_pcount(uint8_t sacked, int32_t decr, bool sack);
  // New data left: prr_out counts it in CWR/Recovery.
  void on_new_data_sent(const CaSock& ca, uint32_t segments);
  // tcp_input.c:tcp_xmit_recovery(): REXMIT_NEW sent nothing beyond high_seq; F-RTO ends.
  void frto_no_new_data() {
    if (s_) s_->frto = false;
  }
  bool frto() const { return s_ && s_->frto; }
  uint32_t delivered() const { return s_ ? s_->delivered : 0; }

  // tcp_output.c:tcp_schedule_loss_probe(): the PTO, or nothing when no probe is allowed.
  // `packets_out` outstanding. The cap: after an ACK (`advancing_rto`) the full RTO, after a
  // send what the RTO has left counted from the head's send time (tcp_rto_delta_us()).
  std::optional<Duration> loss_probe_timeout(const LossCtx& c, uint32_t packets_out,
                                             bool advancing_rto, Instant head_sent,
                                             bool rack_timer_armed) const;
  // tcp_output.c:tcp_send_loss_probe(): what to send when the PTO fires. `new_data_fits` =
  // unsent data exists and the peer window admits a segment.
  ProbeKind loss_probe_kind(bool new_data_fits) const;
  // The probe left (tlp_high_seq = snd_nxt after it, TCPLossProbes).
  void on_loss_probe_sent(const LossCtx& c, ProbeKind kind);

  // RTO expiry: tcp_input.c:tcp_enter_loss() with tcp_timeout_mark_lost(). `first_timeout`:
  // icsk_retransmits was 0.
  void on_rto(std::span<ScoreSeg> q, LossCtx c, bool first_timeout);

  // Per-connection fields; public for the connection's tcp_info view and the tests.
  struct State {
    uint32_t sacked_out = 0;
    uint32_t lost_out = 0;
    uint32_t retrans_out = 0;
    uint32_t reordering = 3;
    uint32_t reord_seen = 0;
    uint32_t delivered = 0;
    uint32_t lost = 0;  // tp->lost: segments ever marked lost
    uint32_t dsack_dups = 0;
    uint32_t total_retrans = 0;
    uint32_t prior_ssthresh = 0;
    uint32_t prr_delivered = 0;
    uint32_t prr_out = 0;
    int32_t undo_retrans = 0;
    uint32_t retrans_stamp_ts = 0;  // TSval of the first retransmission of the episode
    SeqNum highest_sack;            // end of the highest SACKed segment (valid if has_sack)
    SeqNum undo_marker;
    SeqNum high_seq;
    SeqNum tlp_high_seq;
    // RACK (struct tcp_rack).
    Instant rack_mstamp;
    SeqNum rack_end_seq;
    int64_t rack_rtt_us = 0;
    uint32_t rack_last_delivered = 0;
    uint32_t rs_prior_delivered = 0;  // rate sample: tx_delivered of the latest sent delivered
    Instant rs_prior_mstamp;
    uint8_t reo_wnd_steps = 1;
    uint8_t reo_wnd_persist = 0;
    bool rack_dsack_seen = false;
    bool rack_advanced = false;
    bool has_sack = false;
    bool undo_armed = false;  // undo_marker != 0
    bool tlp_armed = false;   // tlp_high_seq != 0
    bool tlp_retrans = false;
    bool retrans_stamp_set = false;
    bool is_sack_reneg = false;
    bool frto = false;
  };
  const State* state() const { return s_.get(); }

 private:
  State& st(const LossConfig& cfg);
  static void stamp_attempt(State& s, uint32_t tsval, uint32_t segs);
  int64_t reo_wnd_us(const LossCtx& c) const;
  void rack_advance(const LossCtx& c, uint8_t sacked, SeqNum end_seq, Instant xmit);
  uint32_t rack_detect_loss(std::span<ScoreSeg> q, const LossCtx& c, int64_t& reo_timeout_us);
  void mark_lost(ScoreSeg& seg, const LossCtx& c);
  // Without SACK (loss_reno.cpp): duplicate ACKs stand in for SACKed segments.
  bool limit_reno_sacked(uint32_t packets_out);
  void check_reno_reordering(const LossCtx& c, uint32_t packets_out, uint32_t addend);
  void add_reno_sack(const LossCtx& c, uint32_t packets_out, uint32_t num_dupack);
  void remove_reno_sacks(const LossCtx& c, uint32_t packets_out, uint32_t acked);
  void newreno_mark_lost(std::span<ScoreSeg> rest, const LossCtx& c, bool una_advanced);
  bool non_sack_preventing_reopen(std::span<ScoreSeg> rest, const LossCtx& c);
  bool time_to_recover(const LossCtx& c) const;
  bool check_dsack(const LossCtx& c, const AckIn& in, SeqNum prior_snd_una, bool& dsack_tlp);
  uint32_t tag_one(ScoreSeg& seg, const LossCtx& c, bool dup, SeqNum ack, SeqNum& reord,
                   AckOut& out);
  uint32_t sacktag(std::span<ScoreSeg> q, const LossCtx& c, const AckIn& in, SeqNum prior_snd_una,
                   AckOut& out);
  uint32_t clean_rtx(std::span<ScoreSeg> q, const LossCtx& c, SeqNum ack, SeqNum prior_fack,
                     AckOut& out);
  void process_loss(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c, const AckIn& in,
                    AckOut& out, bool una_advanced, uint32_t num_dupack);
  void check_reordering(const LossCtx& c, SeqNum low_seq, bool ts);
  void update_reo_wnd(uint32_t prior_delivered);
  void process_tlp_ack(LossCtx& c, std::span<ScoreSeg> rest, SeqNum ack, bool dsack_tlp,
                       bool progress);
  void fastretrans_alert(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                         const AckIn& in, AckOut& out, SeqNum prior_snd_una);
  void identify_loss(std::span<ScoreSeg> rest, const LossCtx& c, AckOut& out, bool una_advanced);
  void try_to_open(std::span<ScoreSeg> rest, LossCtx& c);
  void try_keep_open(std::span<ScoreSeg> rest, LossCtx& c);
  bool any_retrans_done(std::span<ScoreSeg> rest) const;
  bool try_undo_recovery(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                         const AckIn& in);
  bool try_undo_partial(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c,
                        const AckIn& in, SeqNum prior_snd_una, bool& do_lost);
  bool open_state_ack(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c, AckOut& out,
                      bool una_advanced, uint32_t num_dupack);
  // Without RACK (tcp_recovery bit 1 clear), SACK's dupthresh marking (sack_scoreboard.cpp).
  bool force_fast_retransmit(const LossCtx& c) const;
  void mark_head_lost(std::span<ScoreSeg> rest, const LossCtx& c, uint32_t packets, bool mark_head);
  void update_scoreboard(std::span<ScoreSeg> rest, const LossCtx& c, bool fast_rexmit);
  bool try_undo_dsack(std::span<ScoreSeg> q, LossCtx& c);
  bool try_undo_loss(std::span<ScoreSeg> q, std::span<ScoreSeg> rest, LossCtx& c, const AckIn& in,
                     bool frto_undo);
  void set_ca_state(LossCtx& c, CaState st);
  void enter_recovery(std::span<ScoreSeg> rest, LossCtx& c);
  void init_cwnd_reduction(LossCtx& c);
  void end_cwnd_reduction(LossCtx& c);
  void init_undo(const LossCtx& c);
  void undo_cwnd_reduction(std::span<ScoreSeg> q, LossCtx& c, bool unmark_loss);
  bool packet_delayed(const LossCtx& c, const AckIn& in) const;
  void cwnd_reduction(LossCtx& c, uint32_t packets_out, uint32_t newly_acked_sacked,
                      uint32_t newly_lost, bool una_advanced);

  std::unique_ptr<State> s_;
};

}  // namespace netsim::tcp
