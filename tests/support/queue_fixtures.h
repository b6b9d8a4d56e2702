// Job specs and results for the queue store tests (src/queue/queue_test.cc,
// tests/pg_store_test.cc): the same builders for both engines.
#ifndef SHELFGUARD_TESTS_SUPPORT_QUEUE_FIXTURES_H_
#define SHELFGUARD_TESTS_SUPPORT_QUEUE_FIXTURES_H_

#include <string>

#include "queue/store.h"

namespace shelfguard::testing {

// A spool job (a file on this node) named `name`, with dedup key `key`.
inline queue::JobSpec SpoolSpec(const std::string& name, const std::string& key = "") {
  queue::JobSpec s;
  s.source = "spool";
  s.name = name;
  s.path = "/spool/" + name;
  s.dedup_key = key;
  return s;
}

// A feed job: its URL lets any node of a cluster claim (and download) it.
inline queue::JobSpec FeedSpec(const std::string& name, const std::string& key = "") {
  queue::JobSpec s = SpoolSpec(name, key);
  s.source = "feed:f";
  s.path = "/downloads/" + name;
  s.url = "https://feed.example/" + name;
  return s;
}

// A violation result for the package `sha`, scanned with sig1/reg1.
inline queue::JobResult ViolationResult(const std::string& sha) {
  queue::JobResult r;
  r.sha256 = sha;
  r.size = 10;
  r.signatures_version = "sig1";
  r.registry_version = "reg1";
  r.verdict = "violation";
  r.report = "{}";
  return r;
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_QUEUE_FIXTURES_H_
