// SPDX-License-Identifier: Apache-2.0
// Runs one fp_* call on libuv's thread pool (the call blocks until fp-ctl
// has done the work) and settles a Promise with its result or an Error
// carrying an errno-style `code`.
#pragma once

#include <napi.h>

#include <functional>
#include <string>

#include "fp/fp.h"

namespace fastpath {

const char* ErrnoName(int err);
Napi::Error MakeError(Napi::Env env, int rc, const std::string& msg);

class AsyncCall : public Napi::AsyncWorker {
 public:
  using Work = std::function<int(char* err)>;
  using Result = std::function<Napi::Value(Napi::Env)>;

  static Napi::Promise Run(Napi::Env env, Work work, Result result = nullptr) {
    auto* w = new AsyncCall(env, std::move(work), std::move(result));
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }

 protected:
  void Execute() override {
    err_[0] = '\0';
    rc_ = work_(err_);
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (rc_ != 0) {
      deferred_.Reject(MakeError(env, rc_, err_).Value());
      return;
    }
    deferred_.Resolve(result_ ? result_(env) : env.Undefined());
  }

 private:
  AsyncCall(Napi::Env env, Work work, Result result)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), result_(std::move(result)) {}

  Napi::Promise::Deferred deferred_;
  Work work_;
  Result result_;
  int rc_ = 0;
  char err_[FP_ERR_LEN];
};

}  // namespace fastpath
