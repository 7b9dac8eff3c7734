// Task is one step of the IKE protocol in strongSwan's design (STYLE.md R4): the IKE SA
// keeps a queue of tasks; the first queued task becomes active and drives one exchange as
// its initiator (build_i, then process_i on the response), and every incoming request is
// handled by a fresh responder task (process_r, then build_r). Tasks share the SA's state
// through Sa::ctx() and reach the outside world only through Env.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ipsec/ike/constants.h"
#include "ipsec/ike/message.h"

namespace intransit::ipsec::ike {

class Sa;
struct Env;

// TaskStatus is what a task step returns.
enum class TaskStatus : uint8_t {
  NeedMore,  // keep the task: it continues in a later exchange (IKE_SA_INIT → IKE_AUTH)
  Done,      // finished
  Retry,     // initiator only: send the request again, rebuilt (COOKIE, INVALID_KE_PAYLOAD)
  Failed,    // give up; the task has recorded what happens to the SA
};

// TaskKind names tasks for logs and for collision checks.
enum class TaskKind : uint8_t {
  IkeInit,
  IkeAuth,
  ChildCreate,
  ChildRekey,
  ChildDelete,
  IkeRekey,
  IkeDelete,
  Informational,
};

std::string_view name(TaskKind k);

// Task is one protocol step; see the file comment for the call order.
class Task {
 public:
  virtual ~Task() = default;
  // kind names the task; exchange is the exchange type its requests use.
  virtual TaskKind kind() const = 0;
  virtual ExchangeType exchange() const = 0;

  // build_i appends the payloads of the request this task initiates.
  virtual TaskStatus build_i(Sa& sa, Env& env, std::vector<Payload>& out) = 0;
  // process_i handles the response to that request.
  virtual TaskStatus process_i(Sa& sa, Env& env, const Message& response) = 0;
  // process_r handles a request as responder; build_r then appends the response payloads.
  // A responder task is used for exactly one exchange.
  virtual TaskStatus process_r(Sa& sa, Env& env, const Message& request) = 0;
  virtual TaskStatus build_r(Sa& sa, Env& env, std::vector<Payload>& out) = 0;
  // abort is called when the exchange is abandoned (timeout, SA deleted) before the
  // response came; it undoes what build_i reserved.
  virtual void abort(Sa& sa, Env& env) {
    (void)sa;
    (void)env;
  }
  // rekeying_child returns the inbound SPI of the CHILD SA an active rekey task works on
  // (0 for other tasks), so collisions can be detected (RFC 7296 §2.8.1).
  virtual uint32_t rekeying_child() const { return 0; }
};

}  // namespace intransit::ipsec::ike
