// SPDX-License-Identifier: Apache-2.0
// The addon boundary: a small set of plain functions. Type checks and
// conversion only; validation and policy live in TypeScript
// (src/dataplane/). Keep in sync with src/dataplane/native.ts.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "async_call.h"
#include "event_bridge.h"
#include "fp/fp.h"

namespace fastpath {

const char* ErrnoName(int err) {
  switch (err < 0 ? -err : err) {
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EBUSY: return "EBUSY";
    case EALREADY: return "EALREADY";
    case ENODEV: return "ENODEV";
    case EADDRINUSE: return "EADDRINUSE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    default: return "EIO";
  }
}

Napi::Error MakeError(Napi::Env env, int rc, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg.empty() ? std::strerror(-rc) : msg);
  e.Set("code", ErrnoName(rc));
  e.Set("errno", Napi::Number::New(env, rc));
  return e;
}

static void CopyString(const Napi::Object& o, const char* key, char* dst, size_t len) {
  std::string s = o.Get(key).As<Napi::String>().Utf8Value();
  // Too long is reported by the C side (no NUL within len).
  std::memset(dst, 0, len);
  std::memcpy(dst, s.data(), s.size() < len ? s.size() : len);
}

static std::string Arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), "expected a string argument");
  return info[i].As<Napi::String>().Utf8Value();
}

// start(argv: string[], opts, onEvent): Promise<void>
static Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsArray() || !info[1].IsObject() || !info[2].IsFunction())
    throw Napi::TypeError::New(env, "start(argv, opts, onEvent)");
  auto args = std::make_shared<std::vector<std::string>>();
  Napi::Array a = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) args->push_back(a.Get(i).As<Napi::String>().Utf8Value());
  Napi::Object o = info[1].As<Napi::Object>();
  auto conf = std::make_shared<fp_start_conf>();
  std::memset(conf.get(), 0, sizeof(*conf));
  conf->n_mbufs = o.Get("nMbufs").As<Napi::Number>().Uint32Value();
  conf->mac_table_size = o.Get("macTableSize").As<Napi::Number>().Uint32Value();
  conf->mac_age_ms = o.Get("macAgeMs").As<Napi::Number>().Uint32Value();
  conf->on_event = EventBridge::Post;
  EventBridge::Open(env, info[2].As<Napi::Function>());
  return AsyncCall::Run(env, [args, conf](char* err) {
    std::vector<char*> argv;
    for (auto& s : *args) argv.push_back(const_cast<char*>(s.c_str()));
    conf->argc = static_cast<int>(argv.size());
    conf->argv = argv.data();
    return fp_start(conf.get(), err);  // copies argv
  });
}

static Napi::Value Stop(const Napi::CallbackInfo& info) {
  return AsyncCall::Run(info.Env(), [](char* err) { return fp_stop(err); },
                        [](Napi::Env env) {
                          EventBridge::Close();
                          return env.Undefined();
                        });
}

static Napi::Value Info(const Napi::CallbackInfo& info) {
  auto out = std::make_shared<fp_info>();
  return AsyncCall::Run(
      info.Env(), [out](char* err) { return fp_get_info(out.get(), err); },
      [out](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("dpdkVersion", out->dpdk_version);
        o.Set("mainLcore", out->main_lcore);
        Napi::Array w = Napi::Array::New(env, out->n_workers);
        for (unsigned i = 0; i < out->n_workers; i++) w.Set(i, out->worker_lcores[i]);
        o.Set("workerLcores", w);
        o.Set("hugePages", out->huge_pages != 0);
        return o;
      });
}

static Napi::Value SetForwarding(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean())
    throw Napi::TypeError::New(info.Env(), "setForwarding(enabled: boolean)");
  int on = info[0].As<Napi::Boolean>().Value() ? 1 : 0;
  return AsyncCall::Run(info.Env(), [on](char* err) { return fp_set_forwarding(on, err); });
}

static Napi::Value CreateNetwork(const Napi::CallbackInfo& info) {
  auto conf = std::make_shared<fp_network_conf>();
  std::memset(conf.get(), 0, sizeof(*conf));
  std::string name = Arg(info, 0);
  std::memcpy(conf->name, name.data(), name.size() < FP_NAME_MAX ? name.size() : FP_NAME_MAX);
  return AsyncCall::Run(info.Env(), [conf](char* err) { return fp_network_create(conf.get(), err); });
}

static Napi::Value DeleteNetwork(const Napi::CallbackInfo& info) {
  auto name = std::make_shared<std::string>(Arg(info, 0));
  return AsyncCall::Run(info.Env(), [name](char* err) { return fp_network_delete(name->c_str(), err); });
}

// addPort({name, network, path, client, queues, vlan[, driver, devargs]})
static Napi::Value AddPort(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(info.Env(), "addPort(conf)");
  Napi::Object o = info[0].As<Napi::Object>();
  auto conf = std::make_shared<fp_port_conf>();
  std::memset(conf.get(), 0, sizeof(*conf));
  CopyString(o, "name", conf->name, sizeof(conf->name));
  CopyString(o, "network", conf->network, sizeof(conf->network));
  CopyString(o, "path", conf->path, sizeof(conf->path));
  conf->mode = o.Get("client").As<Napi::Boolean>().Value() ? FP_PORT_CLIENT : FP_PORT_SERVER;
  conf->queues = static_cast<uint16_t>(o.Get("queues").As<Napi::Number>().Uint32Value());
  conf->vlan = static_cast<uint16_t>(o.Get("vlan").As<Napi::Number>().Uint32Value());
  if (o.Has("driver") && o.Get("driver").IsString()) {
    conf->kind = FP_PORT_ETHDEV;
    CopyString(o, "driver", conf->driver, sizeof(conf->driver));
    CopyString(o, "devargs", conf->devargs, sizeof(conf->devargs));
  }
  return AsyncCall::Run(info.Env(), [conf](char* err) { return fp_port_add(conf.get(), err); });
}

static Napi::Value RemovePort(const Napi::CallbackInfo& info) {
  auto name = std::make_shared<std::string>(Arg(info, 0));
  return AsyncCall::Run(info.Env(), [name](char* err) { return fp_port_remove(name->c_str(), err); });
}

static Napi::BigUint64Array Counters(Napi::Env env, const uint64_t* v, size_t n) {
  Napi::BigUint64Array a = Napi::BigUint64Array::New(env, n);
  std::memcpy(a.Data(), v, n * sizeof(uint64_t));
  return a;
}

static Napi::Value Stats(const Napi::CallbackInfo& info) {
  auto st = std::shared_ptr<fp_stats>(new fp_stats(), [](fp_stats* s) {
    fp_stats_free(s);
    delete s;
  });
  return AsyncCall::Run(
      info.Env(), [st](char* err) { return fp_stats_read(st.get(), err); },
      [st](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("tscHz", Napi::Number::New(env, static_cast<double>(st->tsc_hz)));
        o.Set("mbufsTotal", st->mbufs_total);
        o.Set("mbufsAvailable", st->mbufs_available);
        Napi::Array ports = Napi::Array::New(env, st->n_ports);
        for (uint32_t i = 0; i < st->n_ports; i++) {
          const fp_port_stats& p = st->ports[i];
          Napi::Object po = Napi::Object::New(env);
          po.Set("name", p.name);
          po.Set("network", p.network);
          po.Set("linkUp", p.link_up != 0);
          po.Set("queuePairs", p.queue_pairs);
          po.Set("features", Napi::BigInt::New(env, p.features));
          po.Set("counters", Counters(env, p.counters, FP_PORT_COUNTER_MAX));
          ports.Set(i, po);
        }
        o.Set("ports", ports);
        Napi::Array workers = Napi::Array::New(env, st->n_workers);
        for (uint32_t i = 0; i < st->n_workers; i++) {
          Napi::Object wo = Napi::Object::New(env);
          wo.Set("lcore", st->workers[i].lcore);
          wo.Set("counters", Counters(env, st->workers[i].counters, FP_WORKER_COUNTER_MAX));
          workers.Set(i, wo);
        }
        o.Set("workers", workers);
        return o;
      });
}

static Napi::Value Names(Napi::Env env, const char* (*name)(unsigned)) {
  Napi::Array a = Napi::Array::New(env);
  for (unsigned i = 0; name(i) != nullptr; i++) a.Set(i, name(i));
  return a;
}

static Napi::Value PortCounterNames(const Napi::CallbackInfo& info) {
  return Names(info.Env(), fp_port_counter_name);
}

static Napi::Value WorkerCounterNames(const Napi::CallbackInfo& info) {
  return Names(info.Env(), fp_worker_counter_name);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("stop", Napi::Function::New(env, Stop));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setForwarding", Napi::Function::New(env, SetForwarding));
  exports.Set("createNetwork", Napi::Function::New(env, CreateNetwork));
  exports.Set("deleteNetwork", Napi::Function::New(env, DeleteNetwork));
  exports.Set("addPort", Napi::Function::New(env, AddPort));
  exports.Set("removePort", Napi::Function::New(env, RemovePort));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("portCounterNames", Napi::Function::New(env, PortCounterNames));
  exports.Set("workerCounterNames", Napi::Function::New(env, WorkerCounterNames));
  return exports;
}

}  // namespace fastpath

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return fastpath::Init(env, exports);
}

NODE_API_MODULE(fastpath, InitAddon)
