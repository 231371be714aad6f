// SPDX-License-Identifier: Apache-2.0
// The only place where native threads call into JS: one ThreadSafeFunction
// carrying copies of struct fp_event from fp-ctl to the event loop.
#pragma once

#include <napi.h>

#include "fp/fp.h"

namespace fastpath {

class EventBridge {
 public:
  // @pre JS thread. Replaces any previous listener.
  static void Open(Napi::Env env, Napi::Function listener);
  // @pre JS thread. Drops events still queued.
  static void Close();
  // Matches fp_event_fn. @pre fp-ctl.
  static void Post(const struct fp_event* ev, void* ctx);

 private:
  static Napi::ThreadSafeFunction tsfn_;
  static bool open_;
};

}  // namespace fastpath
