// Metric families of the SMB door, registered once on the process registry
// (metrics::Registry::global().prom()). Label values come only from enums (Dialect, Cipher,
// Errc, direction) and from the listener's configured name.
//
//   intransit_smb_sessions_total{listener,dialect,cipher}   sessions that passed the policy
//   intransit_smb_drops_total{listener,reason}              connections closed by the gateway
//   intransit_smb_bytes_total{listener,direction}           bytes relayed (client_to_server,
//                                                           server_to_client)
//
// Accepted and open connections are counted in the families every door shares,
// intransit_connections_accepted_total{listener} and intransit_connections_active{listener}.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>

#include <array>
#include <string>
#include <string_view>

#include "smb/errors.h"
#include "smb/types.h"

namespace intransit::smb {

// SmbMetrics holds the SMB families. One instance per process.
class SmbMetrics {
 public:
  static SmbMetrics& global();

  prometheus::Family<prometheus::Counter>& sessions;
  prometheus::Family<prometheus::Counter>& drops;
  prometheus::Family<prometheus::Counter>& bytes;

 private:
  SmbMetrics();
};

// ListenerSeries holds one SMB listener's pre-resolved series, so the data path increments
// without a label lookup. One instance per listener name per process; thread-safe.
class ListenerSeries {
 public:
  // of returns the series of listener `name`, creating them on first use.
  static ListenerSeries& of(std::string_view name);

  prometheus::Counter& accepted;
  prometheus::Gauge& active;
  prometheus::Counter& bytes_client_to_server;
  prometheus::Counter& bytes_server_to_client;

  // session counts one established session.
  void session(Dialect d, Cipher c);
  // drop counts one connection closed for `reason`.
  void drop(Errc reason) { drops_[static_cast<size_t>(reason)]->Increment(); }

 private:
  explicit ListenerSeries(const std::string& name);
  std::string name_;
  std::array<prometheus::Counter*, kErrcCount> drops_{};
};

}  // namespace intransit::smb
