// SPDX-License-Identifier: Apache-2.0
#include "event_bridge.h"

#include <atomic>
#include <memory>

namespace fastpath {

Napi::ThreadSafeFunction EventBridge::tsfn_;
bool EventBridge::open_ = false;

static const char* KindName(enum fp_event_kind k) {
  switch (k) {
    case FP_EVENT_LINK_UP: return "link-up";
    case FP_EVENT_LINK_DOWN: return "link-down";
    case FP_EVENT_QUEUE_STATE: return "queue-state";
  }
  return "unknown";
}

void EventBridge::Open(Napi::Env env, Napi::Function listener) {
  Close();
  tsfn_ = Napi::ThreadSafeFunction::New(env, listener, "fastpath-events", 0, 1);
  tsfn_.Unref(env);  // the data plane alone must not keep Node alive
  open_ = true;
}

void EventBridge::Close() {
  if (open_) {
    tsfn_.Abort();
    open_ = false;
  }
}

void EventBridge::Post(const struct fp_event* ev, void*) {
  if (!open_) return;
  auto* copy = new fp_event(*ev);
  napi_status st = tsfn_.NonBlockingCall(copy, [](Napi::Env env, Napi::Function fn, fp_event* e) {
    std::unique_ptr<fp_event> owned(e);
    if (env == nullptr || fn.IsEmpty()) return;
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", KindName(e->kind));
    o.Set("port", e->port);
    if (e->kind == FP_EVENT_LINK_UP) {
      o.Set("features", Napi::BigInt::New(env, e->features));
      o.Set("queuePairs", e->queue_pairs);
    }
    if (e->kind == FP_EVENT_LINK_DOWN && e->reason > 0) {
      const char* why = fp_peer_error_reason(e->reason - 1u);
      if (why != nullptr) o.Set("reason", why);
    }
    if (e->kind == FP_EVENT_QUEUE_STATE) {
      o.Set("vring", e->vring);
      o.Set("enabled", e->enabled != 0);
    }
    fn.Call({o});
  });
  if (st != napi_ok) delete copy;
}

}  // namespace fastpath
