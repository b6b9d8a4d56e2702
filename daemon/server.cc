#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string_view>
#include <thread>

#include "daemon_impl.h"
#include "feed.h"
#include "net/consumer_protocol.h"
#include "protocol.h"
#include "safe_file.h"
#include "shelfguard/archive.h"

namespace shelfguard::daemon {

namespace fs = std::filesystem;

Status DaemonImpl::BindSockets() {
  const Config& c = *cfg_;
  std::string secret = c.ServerSecret();
  struct Spec {
    const char* name;
    const SocketConfig* sc;
    std::unique_ptr<zmq::socket_t>* sock;
    zmq::socket_type type;
  };
  Spec specs[] = {{"submit", &c.submit, &submit_, zmq::socket_type::router},
                  {"control", &c.control, &control_, zmq::socket_type::router},
                  {"delivery", &c.delivery, &delivery_, zmq::socket_type::router},
                  // XPUB: a PUB socket that also reports subscriptions, so
                  // finding messages are only built while someone watches.
                  {"publish", &c.publish, &publish_, zmq::socket_type::xpub}};
  try {
    bool any_curve = false;
    for (const auto& s : specs) any_curve = any_curve || s.sc->curve;
    if (any_curve) {
      zap_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::rep);
      zap_->set(zmq::sockopt::linger, 0);
      zap_->bind("inproc://zeromq.zap.01");
    }
    for (const auto& s : specs) {
      auto sock = std::make_unique<zmq::socket_t>(ctx_, s.type);
      sock->set(zmq::sockopt::linger, 500);
      if (s.type == zmq::socket_type::router && std::string(s.name) == "submit") {
        sock->set(zmq::sockopt::maxmsgsize, c.submit_max_bytes + (64 << 10));
      } else if (s.type == zmq::socket_type::router) {
        sock->set(zmq::sockopt::maxmsgsize, int64_t{1} << 20);
      }
      if (s.sc->curve) {
        sock->set(zmq::sockopt::curve_server, 1);
        sock->set(zmq::sockopt::curve_secretkey, secret);
        sock->set(zmq::sockopt::zap_domain, std::string(s.name));
        std::vector<std::string> raw;
        for (const auto& k : s.sc->allow) {
          uint8_t key[32];
          zmq_z85_decode(key, k.c_str());
          raw.emplace_back(reinterpret_cast<char*>(key), 32);
        }
        zap_allow_[s.name] = raw;
      }
      try {
        sock->bind(s.sc->endpoint);
      } catch (const zmq::error_t& e) {
        return Status::IoError("key '" + std::string(s.name) + ".endpoint': cannot bind '" +
                               s.sc->endpoint + "': " + e.what());
      }
      *s.sock = std::move(sock);
    }
  } catch (const zmq::error_t& e) {
    return Status::IoError(std::string("zeromq: ") + e.what());
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- ZeroMQ

// One multipart message. At most kMaxFrames are kept (the rest are read and
// dropped, and the message then has more frames than any request allows).
static std::vector<zmq::message_t> RecvAll(zmq::socket_t& s) {
  constexpr size_t kMaxFrames = 8;
  std::vector<zmq::message_t> frames;
  for (;;) {
    zmq::message_t m;
    if (!s.recv(m, zmq::recv_flags::dontwait)) break;
    bool more = m.more();
    if (frames.size() <= kMaxFrames) frames.push_back(std::move(m));
    if (!more) break;
  }
  return frames;
}

void DaemonImpl::Guarded(const char* socket, const std::function<void()>& handler) {
  try {
    handler();
  } catch (const std::exception& e) {
    handler_errors_++;
    Log(LogLevel::kError, "request.error", {{"socket", socket}, {"error", e.what()}});
  }
}

void DaemonImpl::SendRouted(zmq::socket_t& s, const std::string& identity, bool delimiter,
                            const std::string& body) {
  try {
    s.send(zmq::buffer(identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    if (delimiter) s.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    s.send(zmq::buffer(body), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kWarn, "zmq.send_failed", {{"error", e.what()}});
  }
}

void DaemonImpl::HandleSubmit(std::vector<zmq::message_t>& fr) {
  // REQ framing: [identity][empty][request JSON][package bytes?]
  if (fr.size() < 3 || fr[1].size() != 0) return;
  std::string identity = fr[0].to_string();
  auto reply_error = [&](const std::string& why, const char* code = "bad-request") {
    SendRouted(*submit_, identity, true, Dump({{"ok", false}, {"error", why}, {"code", code}}));
  };
  if (fr.size() > 4) return reply_error("request: at most two frames (request, package bytes)");
  if (stopping_) return reply_error("shutting down; ask again after the restart", "stopping");
  auto c = cfg();
  SubmitRequest req;
  std::string bad = ParseSubmitRequest(fr[2].to_string(), &req);
  if (!bad.empty()) return reply_error(bad);
  // A client's request id makes the submission resumable: asking again
  // with it (after a timeout or a daemon restart) attaches to the same job,
  // or answers from its stored result.
  const std::string& rid = req.request_id;
  if (!rid.empty()) {
    auto known = store_->FindJobByKey("submit:" + rid);
    // A store that cannot answer has not "never seen" the request.
    if (!known.ok()) return reply_error("queue store unavailable; ask again later", "io-error");
    if (known->has_value()) return ResumeSubmit(identity, **known);
    if (req.resume) return reply_error("unknown request " + rid + "; send the package again", "unknown-request");
  }
  // Bounded: every pending submission holds a client and a queue slot.
  if (static_cast<int64_t>(pending_submits_.size()) >= c->submit_max_pending) {
    limits_hit_["submit.max_pending"]++;
    return reply_error("busy: " + std::to_string(pending_submits_.size()) +
                           " submissions pending (submit.max_pending); ask again later",
                       "busy");
  }
  // And per client, so that one peer cannot take every slot from the others.
  const std::string client = SubmitClient(fr);
  if (auto held = client_pending_count_.find(client);
      held != client_pending_count_.end() && held->second >= c->submit_max_client_pending) {
    limits_hit_["submit.max_client_pending"]++;
    return reply_error("busy: " + std::to_string(held->second) +
                           " submissions of this client pending (submit.max_client_pending); ask again later",
                       "busy");
  }
  // Bounded in bytes too: a burst of large submissions is refused before
  // its bytes are spooled, not after memory and disk have taken them.
  // And per client: its first pending submission is always taken
  // (submit.max_bytes bounds it), more only within
  // submit.max_client_pending_bytes.
  auto over_bytes = [&](int64_t size) {
    auto mine = client_pending_bytes_.find(client);
    int64_t own = mine == client_pending_bytes_.end() ? 0 : mine->second;
    if (own > 0 && own + size > c->submit_max_client_pending_bytes) {
      limits_hit_["submit.max_client_pending_bytes"]++;
      reply_error("busy: " + std::to_string(own) +
                      " bytes of this client's submissions pending (submit.max_client_pending_bytes); "
                      "ask again later",
                  "busy");
      return true;
    }
    if (pending_bytes_total_ == 0 || pending_bytes_total_ + size <= c->submit_max_pending_bytes) return false;
    limits_hit_["submit.max_pending_bytes"]++;
    reply_error("busy: " + std::to_string(pending_bytes_total_) +
                    " bytes of submissions pending (submit.max_pending_bytes); ask again later",
                "busy");
    return true;
  };
  int64_t bytes = 0;
  // The bytes, handed to a worker before they are queued. Whatever way this
  // handler ends (an error reply, an exception), the worker waiting for them
  // is told; Settle() keeps the first answer, the queued job on success.
  std::shared_ptr<Submitted> early;
  struct SettleOnExit {
    std::shared_ptr<Submitted>& sub;
    ~SettleOnExit() {
      if (sub) sub->Settle(std::nullopt);
    }
  } settle_on_exit{early};
  queue::JobSpec spec;
  spec.source = "submit";
  if (!rid.empty()) spec.dedup_key = "submit:" + rid;
  int64_t now = NowMs();
  std::string uniq = std::to_string(now) + "-" + std::to_string(name_counter_.fetch_add(1));
  if (fr.size() == 4) {
    if (static_cast<int64_t>(fr[3].size()) > c->submit_max_bytes) return reply_error("package over submit.max_bytes");
    bytes = static_cast<int64_t>(fr[3].size());
    if (over_bytes(bytes)) return;
    spec.name = req.name.empty() ? "submitted.apk" : req.name;
    spec.path = SpoolSub("submit") + "/" + uniq + "-" + SafeName(spec.name);
    // A free worker starts scanning the bytes now, while they are written
    // to the spool and queued below (issue 18: the write and the worker
    // reading the file back were 3-4 ms of a 5 MB package's round trip).
    // The verdict is stored and sent only once both are done.
    if (!fr[3].empty() && fr[3].size() <= kArchiveLoadWholeBytes) {
      early = HandBytesToWorker(&fr[3], spec.path, spec.name);
    }
    // fsync'ed only with daemon.full_sync: the queue row that names the file
    // is itself only crash-safe (synchronous=NORMAL) without it, and the page
    // cache keeps the bytes across a crash of the process; on a loaded disk
    // the fsync of 5 MB took 30-50 ms of the round trip (issue 18).
    if (!WriteOwnedFile(spec.path, static_cast<const char*>(fr[3].data()), fr[3].size(), -1, 0, c->full_sync)) {
      return reply_error("cannot spool the package", "io-error");
    }
    spec.owned = true;
  } else if (!req.url.empty()) {
    if (!c->submit_allow_urls) return reply_error("field 'url': URL submissions are disabled (submit.allow_urls)");
    if (req.url.rfind("http://", 0) != 0 && req.url.rfind("https://", 0) != 0) {
      return reply_error("field 'url': must be http(s)");
    }
    if (!req.sha256.empty() && !IsHex64(req.sha256)) return reply_error("field 'sha256': 64 lower-case hex digits");
    spec.url = req.url;
    spec.expect_sha256 = req.sha256;
    spec.name = req.name.empty() ? RedactUrl(req.url.substr(req.url.rfind('/') + 1)) : req.name;
    if (spec.name.empty()) spec.name = "download";
    spec.path = SpoolSub("downloads") + "/submit-" + uniq + "-" + SafeName(spec.name);
    spec.owned = true;
  } else if (!req.path.empty()) {
    if (!c->submit_allow_paths) {
      return reply_error("field 'path': path submissions are disabled (submit.allow_paths)");
    }
    // The client's file is opened once, beneath a configured root, without
    // following links or blocking, checked on that descriptor and copied
    // into the daemon's own spool: what is scanned is what was checked, and
    // the client's file is never touched again (nor deleted).
    std::string why;
    int in = OpenBeneathRoots(c->submit_path_roots, req.path, &why);
    if (in < 0) return reply_error("field 'path': " + why + ": " + req.path);
    struct stat st;
    if (::fstat(in, &st) != 0 || static_cast<int64_t>(st.st_size) > c->submit_max_bytes) {
      ::close(in);
      return reply_error("field 'path': larger than submit.max_bytes: " + req.path);
    }
    bytes = static_cast<int64_t>(st.st_size);
    if (over_bytes(bytes)) {
      ::close(in);
      return;
    }
    spec.name = req.name.empty() ? fs::path(req.path).filename().string() : req.name;
    spec.path = SpoolSub("submit") + "/" + uniq + "-" + SafeName(spec.name);
    bool ok = WriteOwnedFile(spec.path, nullptr, 0, in, static_cast<uint64_t>(c->submit_max_bytes), c->full_sync);
    ::close(in);
    if (!ok) return reply_error("field 'path': cannot read: " + req.path, "io-error");
    spec.owned = true;
  } else {
    return reply_error("request: give \"path\", \"url\" or the package bytes as a second frame");
  }
  // Bytes and path submissions (a file on this node) are queued already
  // claimed by this node and go straight to the next free worker: one
  // commit instead of two (queue, then claim), and the row is on disk, so a
  // crash before the verdict re-runs it (RecoverRunning at the restart). A
  // URL submission is queued for any node of a cluster to download.
  Result<int64_t> id = int64_t{0};
  if (spec.url.empty()) {
    auto job = store_->EnqueueClaimed(spec, now, LeaseMs(*c));
    if (!job.ok()) {
      id = job.status();
    } else if (job->has_value()) {
      id = (*job)->id;
      if (early) {
        HoldJob(*id, true);
        early->Settle(std::move(**job));
      } else {
        HandToWorker(std::move(**job));
      }
    }
  } else {
    id = store_->Enqueue(spec, now);
  }
  if (!id.ok() || *id == 0) {
    if (spec.owned) ::unlink(spec.path.c_str());
    return reply_error("cannot queue the submission", "io-error");
  }
  pending_submits_[*id] = identity;
  pending_submit_client_[*id] = client;
  client_pending_count_[client]++;
  if (bytes > 0) {
    pending_submit_bytes_[*id] = bytes;
    pending_bytes_total_ += bytes;
    client_pending_bytes_[client] += bytes;
  }
  Log(LogLevel::kInfo, "job.queued", {{"job", *id}, {"package", spec.name}, {"source", "submit"}});
  Wake();
}

void DaemonImpl::ForgetSubmit(int64_t job_id) {
  pending_submits_.erase(job_id);
  int64_t bytes = 0;
  if (auto it = pending_submit_bytes_.find(job_id); it != pending_submit_bytes_.end()) {
    bytes = it->second;
    pending_bytes_total_ -= bytes;
    pending_submit_bytes_.erase(it);
  }
  auto who = pending_submit_client_.find(job_id);
  if (who == pending_submit_client_.end()) return;
  // Erased at zero: the maps hold only clients with something pending.
  if (auto n = client_pending_count_.find(who->second); n != client_pending_count_.end() && --n->second <= 0) {
    client_pending_count_.erase(n);
  }
  auto mine = client_pending_bytes_.find(who->second);
  if (bytes > 0 && mine != client_pending_bytes_.end() && (mine->second -= bytes) <= 0) client_pending_bytes_.erase(mine);
  pending_submit_client_.erase(who);
}

std::string DaemonImpl::SubmitClient(const std::vector<zmq::message_t>& fr) {
  // Metadata of the request frame: "User-Id" is what the ZAP handler
  // answered (the client's Z85 CURVE key); "Peer-Address" is the tcp peer's
  // IP. A local client (ipc) can open many connections, each its own
  // client here: the global caps still bound all of them together.
  auto meta = [&](const char* name) -> std::string {
    const char* v = zmq_msg_gets(const_cast<zmq_msg_t*>(fr[2].handle()), name);
    return v != nullptr ? std::string(v) : std::string();
  };
  if (std::string uid = meta("User-Id"); !uid.empty()) return "key:" + uid;
  if (std::string addr = meta("Peer-Address"); !addr.empty()) return "addr:" + addr;
  return "conn:" + fr[0].to_string();
}

void DaemonImpl::ResumeSubmit(const std::string& identity, const queue::Job& job) {
  if (job.state == "queued" || job.state == "running") {
    pending_submits_[job.id] = identity;  // the reply goes to the newest asker
    Log(LogLevel::kInfo, "submit.resumed", {{"job", job.id}, {"package", job.spec.name}, {"state", job.state}});
    return;
  }
  Result<std::optional<queue::JobResult>> stored = std::optional<queue::JobResult>();
  if (job.state == "done") stored = store_->GetResult(job.id);
  if (!stored.ok()) {
    return SendRouted(*submit_, identity, true,
                      Dump({{"ok", false}, {"job_id", job.id}, {"error", "queue store unavailable; ask again later"},
                            {"code", "io-error"}}));
  }
  const std::optional<queue::JobResult>& r = *stored;
  if (!r) {
    return SendRouted(*submit_, identity, true,
                      Dump({{"ok", false}, {"job_id", job.id}, {"error", job.error.empty() ? "failed" : job.error},
                            {"code", "failed"}}));
  }
  // The stored report's findings, under the names a live reply uses.
  json report = json::parse(r->report, nullptr, false);
  std::vector<std::string> findings;
  if (report.is_object() && report.contains("findings") && report["findings"].is_array()) {
    for (const auto& f : report["findings"]) {
      if (!f.is_object()) continue;
      nlohmann::ordered_json m = {{"type", "finding"}, {"job_id", job.id}, {"rule_id", f.value("rule", "")},
                                  {"severity", f.value("severity", "")}, {"message_en", f.value("message", "")},
                                  {"message_zh", f.value("message_zh", "")}, {"basis", f.value("basis", "")}};
      m["evidence"] = nlohmann::ordered_json::parse(f.value("evidence", json::array()).dump());
      findings.push_back(m.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    }
  }
  SendRouted(*submit_, identity, true,
             SubmitReply({{"ok", true}, {"job_id", job.id}, {"verdict", r->verdict}, {"error", r->error},
                          {"sha256", r->sha256}, {"resumed", true}},
                         findings, r->report));
}

void DaemonImpl::HandleControl(const std::vector<zmq::message_t>& fr) {
  if (fr.size() < 3 || fr[1].size() != 0) return;
  ControlRequest req;
  std::string bad = fr.size() == 3 ? ParseControlRequest(fr[2].to_string(), &req)
                                   : std::string("request: exactly one frame");
  json reply;
  if (!bad.empty()) {
    reply = {{"ok", false}, {"error", bad}, {"code", "bad-request"}};
  } else if (req.cmd == "status") {
    reply = StatusJson();
    reply["ok"] = true;
  } else if (req.cmd == "ping") {
    reply = {{"ok", true}, {"pong", true}};
  } else if (req.cmd == "version") {
    auto s = scanner();
    reply = {{"ok", true},
             {"versions", {{"engine", SHELFGUARD_VERSION}, {"signatures", s->sig_version}, {"registry", s->reg_version}}}};
  } else {  // reload: done by the main thread, as for SIGHUP, so this loop keeps serving
    reload_requested_.store(true);
    reply = {{"ok", true}, {"reload", "requested"}};
  }
  SendRouted(*control_, fr[0].to_string(), true, Dump(reply));
}

void DaemonImpl::HandleDelivery(const std::vector<zmq::message_t>& fr) {
  // DEALER framing: [identity][request JSON]
  if (fr.size() < 2) return;
  std::string identity = fr[0].to_string();
  auto reply_error = [&](const std::string& why) {
    SendRouted(*delivery_, identity, false, net::ErrorReply("bad-request", why));
  };
  if (fr.size() != 2) return reply_error("request: exactly one frame");
  net::ConsumerRequest req;
  std::string bad = net::ParseConsumerRequest(fr[1].to_string(), &req);
  if (!bad.empty()) return reply_error(bad);
  const std::string& consumer = req.consumer;
  last_consumer_ms_.store(NowMs());
  if (req.type == "hello") {
    // A (re)connecting consumer: what this consumer name held in flight is
    // redelivered at once rather than after the ack timeout. A fetch the
    // name's previous connection left parked is answered (empty), not dropped.
    auto n = store_->ReleaseConsumer(consumer);
    std::vector<Fetch> keep;
    for (auto& f : fetches_) {
      if (f.consumer == consumer) {
        SendRouted(*delivery_, f.identity, false, net::BatchReply({}));
      } else {
        keep.push_back(std::move(f));
      }
    }
    fetches_.swap(keep);
    consumer_identity_[consumer] = identity;
    Log(LogLevel::kInfo, "consumer.hello", {{"consumer", consumer}, {"released", n.ok() ? *n : 0}});
    SendRouted(*delivery_, identity, false, net::WelcomeReply(n.ok() ? *n : 0));
  } else if (req.type == "fetch") {
    if (static_cast<int64_t>(fetches_.size()) >= cfg()->max_parked_fetches) {
      // Bounded: each parked fetch costs a look at the outbox on every pass.
      limits_hit_["delivery.max_parked"]++;
      return SendRouted(*delivery_, identity, false,
                        net::ErrorReply("busy", "too many parked fetches (delivery.max_parked); ask again later"));
    }
    auto known = consumer_identity_.find(consumer);
    if (known == consumer_identity_.end()) {
      if (consumer_identity_.size() >= 4096) consumer_identity_.clear();  // bounded; holders re-register on fetch
      consumer_identity_[consumer] = identity;
    } else if (known->second != identity) {
      // A second connection using the name without hello: the newest fetcher holds it.
      known->second = identity;
    }
    fetches_.push_back({identity, consumer, req.max, NowMs() + req.wait_ms});
  } else {
    // Only the connection that holds messages in flight for this consumer
    // may acknowledge them; anything else (a submitter acking ids from its
    // reply, a stranger, an id not in flight) is refused and counted.
    int64_t acked = 0;
    auto holder = consumer_identity_.find(consumer);
    if (holder != consumer_identity_.end() && holder->second == identity) {
      auto n = store_->Ack(req.ids, consumer, NowMs());
      acked = n.ok() ? *n : 0;
    }
    int64_t refused = static_cast<int64_t>(req.ids.size()) - acked;
    if (refused > 0) {
      acks_refused_ += refused;
      Log(LogLevel::kWarn, "delivery.ack_refused", {{"consumer", consumer}, {"refused", refused}});
    }
    SendRouted(*delivery_, identity, false, net::AckedReply(acked, refused));
  }
}

void DaemonImpl::ServeFetches(bool force) {
  if (fetches_.empty()) return;
  int64_t now = NowMs();
  if (!force && now - last_fetch_scan_ms_ < 50) return;
  last_fetch_scan_ms_ = now;
  auto c = cfg();
  std::vector<Fetch> keep;
  for (auto& f : fetches_) {
    auto msgs = store_->TakeDeliverable(f.consumer, std::min<int>(f.max, static_cast<int>(c->batch)), now,
                                        c->ack_timeout_ms);
    if (msgs.ok() && !msgs->empty()) {
      std::vector<std::string> payloads;
      payloads.reserve(msgs->size());
      for (const auto& m : *msgs) payloads.push_back(m.payload);
      SendRouted(*delivery_, f.identity, false, net::BatchReply(payloads));
      Log(LogLevel::kDebug, "delivery.batch", {{"consumer", f.consumer}, {"messages", msgs->size()}});
    } else if (now >= f.deadline_ms || stopping_) {
      SendRouted(*delivery_, f.identity, false, net::BatchReply({}));
    } else {
      keep.push_back(f);
    }
  }
  fetches_.swap(keep);
}

void DaemonImpl::HandleZap() {
  auto fr = RecvAll(*zap_);
  // ZAP request: version, request id, domain, address, identity, mechanism, credentials...
  if (fr.size() < 6) return;
  std::string version = fr[0].to_string(), rid = fr[1].to_string(), domain = fr[2].to_string();
  std::string mech = fr[5].to_string();
  bool ok = false;
  std::string user_id;
  if (mech == "CURVE" && fr.size() >= 7 && fr[6].size() == 32) {
    std::string key = fr[6].to_string();
    for (const auto& k : zap_allow_[domain]) ok = ok || k == key;
    // The key (Z85) becomes the connection's User-Id: the per-client limits
    // count a CURVE client by its key, however many connections it opens.
    char z85[41] = {0};
    if (ok && zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(key.data()), 32) != nullptr) user_id = z85;
  } else if (mech == "NULL") {
    ok = zap_allow_.find(domain) == zap_allow_.end();
  }
  if (!ok) Log(LogLevel::kWarn, "auth.denied", {{"socket", domain}, {"mechanism", mech}});
  try {
    zap_->send(zmq::buffer(version), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(rid), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(std::string(ok ? "200" : "400")), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(std::string(ok ? "OK" : "client key not allowed")), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(user_id), zmq::send_flags::sndmore);
    zap_->send(zmq::buffer(std::string()), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kError, "auth.error", {{"error", e.what()}});
  }
}

void DaemonImpl::HandleSubscriptions() {
  // XPUB passes on the first subscription to a topic and the unsubscription
  // (or disconnect) of its last subscriber: a set of topics is exact.
  for (;;) {
    zmq::message_t m;
    if (!publish_->recv(m, zmq::recv_flags::dontwait)) break;
    if (m.size() == 0) continue;
    const char* d = static_cast<const char*>(m.data());
    std::string topic(d + 1, m.size() - 1);
    if (d[0] == 1) {
      watch_topics_.insert(topic);
    } else if (d[0] == 0) {
      watch_topics_.erase(topic);
    }
  }
  bool any = false;
  for (const auto& t : watch_topics_) any = any || std::string_view("finding").substr(0, t.size()) == t;
  if (any != watchers_.load()) Log(LogLevel::kInfo, "publish.watchers", {{"watching", any}});
  watchers_.store(any);
}

void DaemonImpl::IoLoop() {
  try {
    std::vector<zmq::pollitem_t> items = {{submit_->handle(), 0, ZMQ_POLLIN, 0},
                                          {control_->handle(), 0, ZMQ_POLLIN, 0},
                                          {delivery_->handle(), 0, ZMQ_POLLIN, 0},
                                          {publish_->handle(), 0, ZMQ_POLLIN, 0}};
    if (zap_) items.push_back({zap_->handle(), 0, ZMQ_POLLIN, 0});
    // A worker's event (a verdict to send) wakes the poll at once instead of
    // waiting out its timeout: that wait was up to 20 ms of every submission's
    // round trip (issue 18).
    size_t ev_item = items.size();
    if (event_fd_ >= 0) items.push_back({nullptr, event_fd_, ZMQ_POLLIN, 0});
    while (!workers_done_.load()) {
      zmq::poll(items.data(), items.size(), std::chrono::milliseconds(20));
      if (ev_item < items.size() && (items[ev_item].revents & ZMQ_POLLIN)) {
        uint64_t n;
        while (::read(event_fd_, &n, sizeof n) < 0 && errno == EINTR) {
        }
      }
      // No exception may leave a handler: the requests are checked field by
      // field (protocol.h), and anything missed is logged and counted here
      // rather than taking the daemon down.
      if (items[0].revents & ZMQ_POLLIN) {
        Guarded("submit", [&] {
          auto frames = RecvAll(*submit_);
          HandleSubmit(frames);
        });
      }
      if (items[1].revents & ZMQ_POLLIN) Guarded("control", [&] { HandleControl(RecvAll(*control_)); });
      if (items[2].revents & ZMQ_POLLIN) Guarded("delivery", [&] { HandleDelivery(RecvAll(*delivery_)); });
      if (items[3].revents & ZMQ_POLLIN) HandleSubscriptions();
      if (zap_ && (items[4].revents & ZMQ_POLLIN)) HandleZap();
      std::deque<Event> evs;
      {
        std::lock_guard<std::mutex> l(ev_mu_);
        evs.swap(events_);
      }
      bool delivered_new = false;
      for (auto& e : evs) {
        delivered_new = delivered_new || e.outbox;
        for (const auto& m : e.publish) {
          try {
            publish_->send(zmq::str_buffer("finding"), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
            publish_->send(zmq::buffer(m), zmq::send_flags::dontwait);
          } catch (const zmq::error_t&) {
          }
          delivered_new = true;
        }
        if (e.submit) {
          auto it = pending_submits_.find(e.job_id);
          if (it != pending_submits_.end()) {
            SendRouted(*submit_, it->second, true, e.reply);
            ForgetSubmit(e.job_id);
          }
        }
      }
      ServeFetches(delivered_new);
    }
    // Workers are done: answer what can still be answered, then close.
    for (auto& f : fetches_) SendRouted(*delivery_, f.identity, false, net::BatchReply({}));
    for (auto& [id, who] : pending_submits_) {
      SendRouted(*submit_, who, true,
                 Dump({{"ok", false}, {"job_id", id}, {"error", "daemon stopped; the job stays queued"},
                       {"code", "stopping"}}));
    }
  } catch (const zmq::error_t& e) {
    Log(LogLevel::kError, "zmq.error", {{"error", e.what()}});
  }
}


}  // namespace shelfguard::daemon
