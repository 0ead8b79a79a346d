// Internal to viz/: the steps of building a DiagramModel, split between model.cpp (packets,
// filters, title) and model_marks.cpp (marks on lifelines and flood bands).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "viz/labels.hpp"
#include "viz/model.hpp"
#include "viz/model_index.hpp"

namespace netsim::viz::detail {

struct RunTally;  // model_fold.cpp

class ModelBuilder {
 public:
  ModelBuilder(const std::vector<TraceRecord>& records, const DiagramMeta& meta,
               const DiagramOptions& options);
  DiagramModel build();

 private:
  bool in_window(Instant t) const;
  bool host_selected(const std::string& host) const;
  bool conversation_selected(const ConvKey& key) const;
  bool unowned(const ConvKey& key) const;
  const PacketRecord& packet_record(size_t i) const;
  // How one copy of a packet ended: its recv or drop record, and for a packet the receiving
  // stack dropped after the network delivered it (SYN queue full), that drop too.
  struct End {
    size_t record;
    std::optional<size_t> then_dropped;
  };
  // Fills `out` (cleared first), so a loop over a million sends reuses one buffer.
  void ends_of(const PacketRecord& send, std::vector<End>& out) const;
  size_t arrow_count(const std::vector<size_t>& sends) const;
  size_t lifeline_for(SocketAddr a);
  std::optional<size_t> existing_lifeline(SocketAddr a) const;
  std::string arrow_tooltip(const PacketRecord& send, const PacketRecord* end,
                            const PacketRecord* then_dropped) const;
  [[noreturn]] void refuse(size_t arrows) const;

  void label_packets();
  void select_packets();
  void fold_unowned();
  void add_arrows();
  void add_bands();
  void add_marks();

  // Folding runs of one connection's ordinary packets (model_fold.cpp).
  enum class Fold : uint8_t { no, ack, data, lost_data, retx_data };
  Fold foldable(size_t send, std::vector<End>& ends) const;
  void fold_flows();
  std::set<size_t> handshake_final_acks() const;
  std::map<std::pair<ConvKey, Instant>, size_t> last_delivered_data() const;
  void add_flow_bands();
  // Adds one send of a folded run to its tally; `ends` is a reused buffer.
  void tally_send(const PacketRecord& p, const SeqBases& bases, std::vector<End>& ends,
                  RunTally& a) const;
  void add_title();

  // Marks (model_marks.cpp).
  bool socket_mark_selected(const std::string& host, Instant t, SocketAddr local,
                            SocketAddr remote) const;
  void add_state_mark(const StateRecord& s, size_t order);
  void add_timer_mark(const TimerRecord& t, size_t order);
  void add_error_mark(const AppRecord& a, size_t order);
  void add_fault_mark(const FaultRecord& f, size_t order);

  const std::vector<TraceRecord>& records_;
  const DiagramMeta& meta_;
  const DiagramOptions& opt_;
  TraceIndex ix_;
  std::optional<std::set<ConvKey>> conv_filter_;
  std::vector<size_t> selected_;                // send records passing the filters
  std::vector<size_t> drawn_;                   // ... drawn as arrows
  std::vector<std::string> labels_, briefs_;    // ... and their labels, labels_[k] for drawn_[k]
  std::vector<size_t> folded_;                  // ... folded into bands
  std::vector<std::vector<size_t>> flow_runs_;  // ... folded runs of one connection, by time
  // Per run, by its first record: lost segments sent among its packets, left as arrows.
  std::unordered_map<size_t, size_t> flow_holes_;
  std::unordered_set<ConvKey, SocketPairHash> folded_convs_;
  std::map<SocketAddr, size_t> lifeline_of_;
  DiagramModel model_;
};

}  // namespace netsim::viz::detail
