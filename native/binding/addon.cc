// SPDX-License-Identifier: Apache-2.0
// The addon boundary: a small set of plain functions. Type checks and
// conversion only; validation and policy live in TypeScript
// (src/dataplane/). Keep in sync with src/dataplane/native.ts.
#include <napi.h>

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "async_call.h"
#include "event_bridge.h"
#include "fp/fp.h"
#include "fp/fp_os.h"

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
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
    case E2BIG: return "E2BIG";
    case EWOULDBLOCK: return "EWOULDBLOCK";
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

static uint32_t U32(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : 0;
}

// rxqAffinity: [lcore of queue 0, lcore of queue 1, ...], -1 where the
// queue is placed by load. TS checked the length and the lcores.
static void Affinity(const Napi::Value& v, uint32_t* pinned, uint16_t* lcore) {
  *pinned = 0;
  if (!v.IsArray()) return;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t q = 0; q < a.Length() && q < FP_MAX_QUEUES; q++) {
    int32_t l = a.Get(q).ToNumber().Int32Value();
    if (l < 0) continue;
    *pinned |= 1u << q;
    lcore[q] = static_cast<uint16_t>(l);
  }
}

// addPort({name, network, path, client, queues, vlan, macLimit[, rxqAffinity][, security][, memifRingLog2 | driver, devargs, kernel]})
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
  conf->mac_limit = U32(o, "macLimit");
  Affinity(o.Get("rxqAffinity"), &conf->rxq_pinned, conf->rxq_lcore);
  if (o.Get("security").IsObject()) {
    // {macs: Uint8Array[] (6 bytes), ip4: Uint8Array[] (4), ip6: Uint8Array[] (16)}; TS checked the counts.
    Napi::Object sec = o.Get("security").As<Napi::Object>();
    auto list = [&](const char* key, uint8_t* dst, size_t each, size_t max) -> uint8_t {
      Napi::Value v = sec.Get(key);
      if (!v.IsArray()) return 0;
      Napi::Array a = v.As<Napi::Array>();
      uint32_t n = a.Length() < max ? a.Length() : static_cast<uint32_t>(max);
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value e = a.Get(i);
        if (!e.IsTypedArray()) throw Napi::TypeError::New(info.Env(), "security addresses must be Uint8Arrays");
        Napi::Uint8Array b = e.As<Napi::Uint8Array>();
        std::memcpy(dst + i * each, b.Data(), b.ByteLength() < each ? b.ByteLength() : each);
      }
      return static_cast<uint8_t>(n);
    };
    conf->sec.enabled = 1;
    conf->sec.n_macs = list("macs", &conf->sec.macs[0][0], 6, FP_PSEC_MAX_MACS);
    conf->sec.n_ip4 = list("ip4", &conf->sec.ip4[0][0], 4, FP_PSEC_MAX_IPS);
    conf->sec.n_ip6 = list("ip6", &conf->sec.ip6[0][0], 16, FP_PSEC_MAX_IPS);
  }
  if (o.Has("memifRingLog2") && o.Get("memifRingLog2").IsNumber()) {
    conf->kind = FP_PORT_MEMIF;
    conf->memif_log2_ring = static_cast<uint8_t>(o.Get("memifRingLog2").As<Napi::Number>().Uint32Value());
  } else if (o.Has("driver") && o.Get("driver").IsString()) {
    conf->kind = FP_PORT_ETHDEV;
    CopyString(o, "driver", conf->driver, sizeof(conf->driver));
    CopyString(o, "devargs", conf->devargs, sizeof(conf->devargs));
    conf->kernel = o.Has("kernel") && o.Get("kernel").ToBoolean().Value() ? 1 : 0;
  }
  return AsyncCall::Run(info.Env(), [conf](char* err) { return fp_port_add(conf.get(), err); });
}

static Napi::Value RemovePort(const Napi::CallbackInfo& info) {
  auto name = std::make_shared<std::string>(Arg(info, 0));
  return AsyncCall::Run(info.Env(), [name](char* err) { return fp_port_remove(name->c_str(), err); });
}

// setRxqAffinity(name, [lcore per queue, -1: by load])
static Napi::Value SetRxqAffinity(const Napi::CallbackInfo& info) {
  auto name = std::make_shared<std::string>(Arg(info, 0));
  auto pins = std::make_shared<std::pair<uint32_t, std::array<uint16_t, FP_MAX_QUEUES>>>();
  pins->second.fill(0);
  Affinity(info.Length() > 1 ? info[1] : info.Env().Undefined(), &pins->first, pins->second.data());
  return AsyncCall::Run(info.Env(), [name, pins](char* err) {
    return fp_port_set_rxq_affinity(name->c_str(), pins->first, pins->second.data(), err);
  });
}

// Bytes of a Buffer/Uint8Array (or nothing) into dst; the TS side sizes them.
static void CopyBytes(const Napi::Object& o, const char* key, uint8_t* dst, size_t len) {
  Napi::Value v = o.Get(key);
  if (!v.IsTypedArray()) return;
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  std::memcpy(dst, a.Data(), a.ByteLength() < len ? a.ByteLength() : len);
}


static void ToFlowRule(const Napi::Object& o, fp_flow_rule* r) {
  std::memset(r, 0, sizeof(*r));
  r->id = U32(o, "id");
  r->priority = U32(o, "priority");
  Napi::Object m = o.Get("match").As<Napi::Object>();
  fp_flow_match* mt = &r->match;
  mt->fields = U32(m, "fields");
  if (m.Get("inPort").IsString()) CopyString(m, "inPort", mt->in_port, sizeof(mt->in_port));
  CopyBytes(m, "dlSrc", mt->dl_src, 6);
  CopyBytes(m, "dlSrcMask", mt->dl_src_mask, 6);
  CopyBytes(m, "dlDst", mt->dl_dst, 6);
  CopyBytes(m, "dlDstMask", mt->dl_dst_mask, 6);
  mt->vlan = static_cast<uint16_t>(U32(m, "vlan"));
  mt->dl_type = static_cast<uint16_t>(U32(m, "dlType"));
  CopyBytes(m, "nwSrc", mt->nw_src, 16);
  CopyBytes(m, "nwDst", mt->nw_dst, 16);
  mt->nw_src_len = static_cast<uint8_t>(U32(m, "nwSrcLen"));
  mt->nw_dst_len = static_cast<uint8_t>(U32(m, "nwDstLen"));
  mt->nw_proto = static_cast<uint8_t>(U32(m, "nwProto"));
  mt->tp_src_lo = static_cast<uint16_t>(U32(m, "tpSrcLo"));
  mt->tp_src_hi = static_cast<uint16_t>(U32(m, "tpSrcHi"));
  mt->tp_dst_lo = static_cast<uint16_t>(U32(m, "tpDstLo"));
  mt->tp_dst_hi = static_cast<uint16_t>(U32(m, "tpDstHi"));
  mt->tcp_flags = static_cast<uint16_t>(U32(m, "tcpFlags"));
  mt->tcp_flags_mask = static_cast<uint16_t>(U32(m, "tcpFlagsMask"));
  mt->frag = static_cast<uint8_t>(U32(m, "frag"));
  mt->frag_mask = static_cast<uint8_t>(U32(m, "fragMask"));
  Napi::Object a = o.Get("actions").As<Napi::Object>();
  fp_flow_actions* ac = &r->actions;
  ac->verdict = static_cast<uint8_t>(U32(a, "verdict"));
  ac->vlan_op = static_cast<uint8_t>(U32(a, "vlanOp"));
  ac->push_vlan = static_cast<uint16_t>(U32(a, "pushVlan"));
  Napi::Value dst = a.Get("dstMac");
  if (dst.IsTypedArray()) {
    ac->set_dst = 1;
    CopyBytes(a, "dstMac", ac->dst_mac, 6);
  }
  Napi::Value outs = a.Get("outputs");
  if (outs.IsArray()) {
    Napi::Array arr = outs.As<Napi::Array>();
    // More than FP_FLOW_MAX_OUTPUTS is reported by the C side.
    ac->n_outputs = static_cast<uint8_t>(arr.Length() > 255 ? 255 : arr.Length());
    for (uint32_t i = 0; i < arr.Length() && i < FP_FLOW_MAX_OUTPUTS; i++) {
      std::string s = arr.Get(i).As<Napi::String>().Utf8Value();
      std::memcpy(ac->outputs[i], s.data(), s.size() < FP_NAME_MAX ? s.size() : FP_NAME_MAX);
    }
  }
}

// setFlowTable(network, missDrop, rules[]): Promise<void>
static Napi::Value SetFlowTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsBoolean() || !info[2].IsArray())
    throw Napi::TypeError::New(env, "setFlowTable(network, missDrop, rules)");
  std::string net = info[0].As<Napi::String>().Utf8Value();
  Napi::Array arr = info[2].As<Napi::Array>();
  auto rules = std::make_shared<std::vector<fp_flow_rule>>(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) ToFlowRule(arr.Get(i).As<Napi::Object>(), &(*rules)[i]);
  auto conf = std::make_shared<fp_flow_table_conf>();
  std::memset(conf.get(), 0, sizeof(*conf));
  std::memcpy(conf->network, net.data(), net.size() < FP_NAME_MAX ? net.size() : FP_NAME_MAX - 1);
  conf->miss_drop = info[1].As<Napi::Boolean>().Value() ? 1 : 0;
  conf->n_rules = static_cast<uint32_t>(rules->size());
  conf->rules = rules->data();
  return AsyncCall::Run(env, [conf, rules](char* err) { return fp_flow_table_set(conf.get(), err); });
}

// flowStats(network): Promise<{ids: Uint32Array, packets: BigUint64Array, bytes: BigUint64Array}>
// Entry 0 is the table miss (id 0).
static Napi::Value FlowStats(const Napi::CallbackInfo& info) {
  auto net = std::make_shared<std::string>(Arg(info, 0));
  auto st = std::shared_ptr<fp_flow_stats>(new fp_flow_stats(), [](fp_flow_stats* s) {
    fp_flow_stats_free(s);
    delete s;
  });
  return AsyncCall::Run(
      info.Env(), [net, st](char* err) { return fp_flow_stats_read(net->c_str(), st.get(), err); },
      [st](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        Napi::Uint32Array ids = Napi::Uint32Array::New(env, st->n);
        Napi::BigUint64Array pk = Napi::BigUint64Array::New(env, st->n);
        Napi::BigUint64Array by = Napi::BigUint64Array::New(env, st->n);
        for (uint32_t i = 0; i < st->n; i++) {
          ids[i] = st->counters[i].id;
          pk[i] = st->counters[i].packets;
          by[i] = st->counters[i].bytes;
        }
        o.Set("ids", ids);
        o.Set("packets", pk);
        o.Set("bytes", by);
        return o;
      });
}

// setPunt(network, classes: Array<{enabled, pps, burst}>) in class order.
static Napi::Value SetPunt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsArray())
    throw Napi::TypeError::New(env, "setPunt(network, classes)");
  auto net = std::make_shared<std::string>(info[0].As<Napi::String>().Utf8Value());
  auto conf = std::make_shared<std::vector<fp_punt_class_conf>>(FP_PUNT_MAX);
  Napi::Array arr = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length() && i < FP_PUNT_MAX; i++) {
    Napi::Object c = arr.Get(i).As<Napi::Object>();
    (*conf)[i].enabled = c.Get("enabled").ToBoolean().Value() ? 1 : 0;
    (*conf)[i].pps = U32(c, "pps");
    (*conf)[i].burst = U32(c, "burst");
  }
  return AsyncCall::Run(env, [net, conf](char* err) { return fp_punt_set(net->c_str(), conf->data(), err); });
}

// puntStats(network): Promise<{passed: BigUint64Array, policed: BigUint64Array}> in class order.
static Napi::Value PuntStats(const Napi::CallbackInfo& info) {
  auto net = std::make_shared<std::string>(Arg(info, 0));
  auto st = std::make_shared<fp_punt_stats>();
  return AsyncCall::Run(
      info.Env(), [net, st](char* err) { return fp_punt_stats_read(net->c_str(), st.get(), err); },
      [st](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        Napi::BigUint64Array passed = Napi::BigUint64Array::New(env, FP_PUNT_MAX);
        Napi::BigUint64Array policed = Napi::BigUint64Array::New(env, FP_PUNT_MAX);
        std::memcpy(passed.Data(), st->passed, sizeof(st->passed));
        std::memcpy(policed.Data(), st->policed, sizeof(st->policed));
        o.Set("passed", passed);
        o.Set("policed", policed);
        return o;
      });
}

// Bytes of a Uint8Array field (an address), up to len; TS checked the sizes.
static void Bytes(const Napi::Value& v, uint8_t* dst, size_t len) {
  if (!v.IsTypedArray()) return;
  Napi::Uint8Array b = v.As<Napi::Uint8Array>();
  std::memcpy(dst, b.Data(), b.ByteLength() < len ? b.ByteLength() : len);
}

// addUplink({name, driver, devargs, queues, ip: Uint8Array(4), prefixLen, gateway: Uint8Array(4), mtu[, rxqAffinity]})
static Napi::Value AddUplink(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "addUplink(conf)");
  Napi::Object o = info[0].As<Napi::Object>();
  auto conf = std::make_shared<fp_uplink_conf>();
  std::memset(conf.get(), 0, sizeof(*conf));
  CopyString(o, "name", conf->name, sizeof(conf->name));
  CopyString(o, "driver", conf->driver, sizeof(conf->driver));
  CopyString(o, "devargs", conf->devargs, sizeof(conf->devargs));
  conf->queues = static_cast<uint16_t>(U32(o, "queues"));
  Bytes(o.Get("ip"), conf->ip, 4);
  conf->prefix_len = static_cast<uint8_t>(U32(o, "prefixLen"));
  Bytes(o.Get("gateway"), conf->gateway, 4);
  conf->mtu = static_cast<uint16_t>(U32(o, "mtu"));
  Affinity(o.Get("rxqAffinity"), &conf->rxq_pinned, conf->rxq_lcore);
  return AsyncCall::Run(info.Env(), [conf](char* err) { return fp_uplink_add(conf.get(), err); });
}

static Napi::Value RemoveUplink(const Napi::CallbackInfo& info) {
  auto name = std::make_shared<std::string>(Arg(info, 0));
  return AsyncCall::Run(info.Env(), [name](char* err) { return fp_uplink_remove(name->c_str(), err); });
}

static std::string MacString(const uint8_t* m) {
  char b[18];
  std::snprintf(b, sizeof(b), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return b;
}

static std::string IpString(const uint8_t* a) {
  char b[16];
  std::snprintf(b, sizeof(b), "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
  return b;
}

// uplinkInfo(name) -> {linkUp, mac, mtu, neighbours: [{ip, mac, resolved}]}
static Napi::Value UplinkInfo(const Napi::CallbackInfo& info) {
  auto name = std::make_shared<std::string>(Arg(info, 0));
  auto out = std::make_shared<struct fp_uplink_info>();
  return AsyncCall::Run(
      info.Env(), [name, out](char* err) { return fp_uplink_read(name->c_str(), out.get(), err); },
      [out](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("linkUp", Napi::Boolean::New(env, out->link_up != 0));
        o.Set("mac", Napi::String::New(env, MacString(out->mac)));
        o.Set("mtu", Napi::Number::New(env, out->mtu));
        Napi::Array a = Napi::Array::New(env, out->n_neigh);
        for (uint32_t i = 0; i < out->n_neigh; i++) {
          Napi::Object n = Napi::Object::New(env);
          n.Set("ip", Napi::String::New(env, IpString(out->neigh[i].ip)));
          n.Set("mac", Napi::String::New(env, out->neigh[i].resolved ? MacString(out->neigh[i].mac) : ""));
          n.Set("resolved", Napi::Boolean::New(env, out->neigh[i].resolved != 0));
          a.Set(i, n);
        }
        o.Set("neighbours", a);
        return o;
      });
}

// setVxlan({network, uplink ('' removes), vni, peerMacLimit, peers: Uint8Array(4)[], statics: [{mac: Uint8Array(6), vlan, peer: Uint8Array(4)}]})
static Napi::Value SetVxlan(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "setVxlan(conf)");
  Napi::Object o = info[0].As<Napi::Object>();
  auto conf = std::make_shared<fp_vxlan_conf>();
  std::memset(conf.get(), 0, sizeof(*conf));
  CopyString(o, "network", conf->network, sizeof(conf->network));
  CopyString(o, "uplink", conf->uplink, sizeof(conf->uplink));
  conf->vni = U32(o, "vni");
  conf->peer_mac_limit = U32(o, "peerMacLimit");
  if (o.Get("peers").IsArray()) {
    Napi::Array a = o.Get("peers").As<Napi::Array>();
    if (a.Length() > FP_UPLINK_MAX_PEERS) throw Napi::RangeError::New(info.Env(), "too many peers");
    conf->n_peers = static_cast<uint16_t>(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) Bytes(a.Get(i), conf->peers[i], 4);
  }
  if (o.Get("statics").IsArray()) {
    Napi::Array a = o.Get("statics").As<Napi::Array>();
    if (a.Length() > FP_VXLAN_MAX_STATIC) throw Napi::RangeError::New(info.Env(), "too many static MACs");
    conf->n_static = static_cast<uint16_t>(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Object e = a.Get(i).As<Napi::Object>();
      Bytes(e.Get("mac"), conf->statics[i].mac, 6);
      conf->statics[i].vlan = static_cast<uint16_t>(U32(e, "vlan"));
      Bytes(e.Get("peer"), conf->statics[i].peer, 4);
    }
  }
  return AsyncCall::Run(info.Env(), [conf](char* err) { return fp_network_vxlan_set(conf.get(), err); });
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
        o.Set("guardRegions", st->guard_regions);
        o.Set("guardLost", Napi::Number::New(env, static_cast<double>(st->guard_lost)));
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
          po.Set("peerErrors", Counters(env, p.peer_errors, FP_PEER_ERROR_MAX));
          po.Set("macs", p.macs);
          Napi::Array qs = Napi::Array::New(env, p.queues);
          for (uint16_t q = 0; q < p.queues; q++) {
            const fp_queue_stats& s = p.queue[q];
            Napi::Object qo = Napi::Object::New(env);
            qo.Set("lcore", s.lcore);
            qo.Set("pinned", s.pinned != 0);
            qo.Set("rxEnabled", s.rx_enabled != 0);
            qo.Set("txEnabled", s.tx_enabled != 0);
            qo.Set("rxPackets", Napi::BigInt::New(env, s.rx_packets));
            qo.Set("txPackets", Napi::BigInt::New(env, s.tx_packets));
            qo.Set("rxCycles", Napi::BigInt::New(env, s.rx_cycles));
            qs.Set(q, qo);
          }
          po.Set("queues", qs);
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

static Napi::Value PuntClassNames(const Napi::CallbackInfo& info) {
  return Names(info.Env(), fp_punt_class_name);
}

static Napi::Value PeerErrorNames(const Napi::CallbackInfo& info) {
  return Names(info.Env(), fp_peer_error_name);
}

// lockFile(path): {locked: true} or {locked: false, holder: pid}. Sync: it
// runs once, first thing at start-up, and must finish before anything else.
static Napi::Value LockFile(const Napi::CallbackInfo& info) {
  std::string path = Arg(info, 0);
  char err[FP_ERR_LEN] = "";
  int holder = 0;
  int rc = fp_os_lock(path.c_str(), &holder, err);
  Napi::Object o = Napi::Object::New(info.Env());
  if (rc == -EWOULDBLOCK) {
    o.Set("locked", false);
    o.Set("holder", holder);
    return o;
  }
  if (rc != 0) throw MakeError(info.Env(), rc, err);
  o.Set("locked", true);
  return o;
}

// lockHolder(path): the pid holding an fcntl lock on it (EAL's config file), 0: none.
static Napi::Value LockHolder(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), fp_os_lock_holder(Arg(info, 0).c_str()));
}

// pinThreads(cpu): every thread of the process on that CPU (fp_os.h); throws.
static Napi::Value PinThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "pinThreads(cpu)");
  char err[FP_ERR_LEN] = "";
  int rc = fp_os_pin_threads(info[0].As<Napi::Number>().Int32Value(), err);
  if (rc != 0) throw MakeError(info.Env(), rc, err);
  return info.Env().Undefined();
}

// exitNow(code): end the process at once (_exit), skipping every teardown.
// fastpathd's graceful stop, once its API is closed and its state final: the
// kernel closes what the data plane held (vhost-user and memif connections,
// taps), exactly as after a crash, which replay handles; tenants lose their
// link when the process ends, not during the ~50-90 ms an orderly EAL
// teardown and Node's exit take here. Nothing to flush: logs are written
// synchronously.
static Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "exitNow(code)");
  _exit(info[0].As<Napi::Number>().Int32Value());
}

// setAccess(dir, name, type: 'socket'|'dir', mode, uid, gid): Promise<void>;
// uid/gid -1 leave them as they are. Never follows a link.
static Napi::Value SetAccess(const Napi::CallbackInfo& info) {
  auto dir = std::make_shared<std::string>(Arg(info, 0));
  auto name = std::make_shared<std::string>(Arg(info, 1));
  std::string type = Arg(info, 2);
  if (info.Length() < 6 || !info[3].IsNumber() || !info[4].IsNumber() || !info[5].IsNumber())
    throw Napi::TypeError::New(info.Env(), "setAccess(dir, name, type, mode, uid, gid)");
  unsigned want = type == "socket" ? S_IFSOCK : type == "dir" ? S_IFDIR : 0;
  int mode = info[3].As<Napi::Number>().Int32Value();
  long uid = static_cast<long>(info[4].As<Napi::Number>().Int64Value());
  long gid = static_cast<long>(info[5].As<Napi::Number>().Int64Value());
  return AsyncCall::Run(info.Env(), [dir, name, want, mode, uid, gid](char* err) {
    return fp_os_set_access(dir->c_str(), name->c_str(), want, mode, uid, gid, err);
  });
}

// removeTree(dir, name, maxEntries): Promise<void>. Never follows a link.
static Napi::Value RemoveTree(const Napi::CallbackInfo& info) {
  auto dir = std::make_shared<std::string>(Arg(info, 0));
  auto name = std::make_shared<std::string>(Arg(info, 1));
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "removeTree(dir, name, maxEntries)");
  unsigned max = info[2].As<Napi::Number>().Uint32Value();
  return AsyncCall::Run(info.Env(), [dir, name, max](char* err) {
    return fp_os_remove_tree(dir->c_str(), name->c_str(), max, err);
  });
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("stop", Napi::Function::New(env, Stop));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setForwarding", Napi::Function::New(env, SetForwarding));
  exports.Set("createNetwork", Napi::Function::New(env, CreateNetwork));
  exports.Set("deleteNetwork", Napi::Function::New(env, DeleteNetwork));
  exports.Set("addPort", Napi::Function::New(env, AddPort));
  exports.Set("addUplink", Napi::Function::New(env, AddUplink));
  exports.Set("removeUplink", Napi::Function::New(env, RemoveUplink));
  exports.Set("uplinkInfo", Napi::Function::New(env, UplinkInfo));
  exports.Set("setVxlan", Napi::Function::New(env, SetVxlan));
  exports.Set("removePort", Napi::Function::New(env, RemovePort));
  exports.Set("setRxqAffinity", Napi::Function::New(env, SetRxqAffinity));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("setFlowTable", Napi::Function::New(env, SetFlowTable));
  exports.Set("flowStats", Napi::Function::New(env, FlowStats));
  exports.Set("setPunt", Napi::Function::New(env, SetPunt));
  exports.Set("puntStats", Napi::Function::New(env, PuntStats));
  exports.Set("puntClassNames", Napi::Function::New(env, PuntClassNames));
  exports.Set("peerErrorNames", Napi::Function::New(env, PeerErrorNames));
  exports.Set("lockFile", Napi::Function::New(env, LockFile));
  exports.Set("lockHolder", Napi::Function::New(env, LockHolder));
  exports.Set("exitNow", Napi::Function::New(env, ExitNow));
  exports.Set("pinThreads", Napi::Function::New(env, PinThreads));
  exports.Set("setAccess", Napi::Function::New(env, SetAccess));
  exports.Set("removeTree", Napi::Function::New(env, RemoveTree));
  exports.Set("portCounterNames", Napi::Function::New(env, PortCounterNames));
  exports.Set("workerCounterNames", Napi::Function::New(env, WorkerCounterNames));
  return exports;
}

}  // namespace fastpath

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return fastpath::Init(env, exports);
}

NODE_API_MODULE(fastpath, InitAddon)
