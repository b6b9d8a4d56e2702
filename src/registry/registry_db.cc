#include "registry/registry_db.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>

namespace shelfguard::registry_db {

using nlohmann::json;

// Lists are stored as JSON arrays of strings. Import refuses control
// characters, so only '"' and '\\' need escaping; this hand-written pair is
// several times faster than building nlohmann values per row, and ParseList
// falls back to nlohmann for anything else (a database edited by hand).
std::string ListJson(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : v[i]) {
      if (static_cast<unsigned char>(c) < 0x20) {
        return json(v).dump(-1, ' ', false, json::error_handler_t::replace);
      }
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += ']';
  return out;
}

std::vector<std::string> ParseList(const unsigned char* text) {
  std::vector<std::string> out;
  if (text == nullptr) return out;
  std::string_view t(reinterpret_cast<const char*>(text));
  // Fast path: ["a","b"] with only \" and \\ escapes.
  bool fast = t.size() >= 2 && t.front() == '[' && t.back() == ']';
  size_t i = 1;
  while (fast && i < t.size() - 1) {
    if (t[i] != '"') {
      fast = false;
      break;
    }
    std::string item;
    ++i;
    while (i < t.size() - 1 && t[i] != '"') {
      if (t[i] == '\\') {
        if (i + 1 >= t.size() - 1 || (t[i + 1] != '"' && t[i + 1] != '\\')) {
          fast = false;
          break;
        }
        ++i;
      }
      item += t[i++];
    }
    if (!fast || i >= t.size() - 1) {
      fast = false;
      break;
    }
    ++i;  // closing quote
    out.push_back(std::move(item));
    if (i < t.size() - 1) {
      if (t[i] != ',') {
        fast = false;
        break;
      }
      ++i;
    }
  }
  if (fast) return out;
  out.clear();
  json j = json::parse(t.begin(), t.end(), nullptr, false);
  if (!j.is_array()) return out;
  for (const json& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

// Opens the connection of a database that is private until it is renamed
// into place (a temp file) or never outlives the process (:memory:): no
// journal and no syncs while it is written -- a crash leaves only a stray
// temp file, never a broken live database; the finished file is fsynced once
// before the rename.
Status TunePrivateDb(sqlite3* db) {
  return Exec(db,
              "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"
              " PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;");
}

Status FsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Status::IoError("open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return Status::IoError("fsync " + path + ": " + std::strerror(e));
  return Status::Ok();
}

std::map<std::string, std::string> LoadMeta(sqlite3* db) {
  std::map<std::string, std::string> meta;
  auto st = PrepareStmt(db, "SELECT key, value FROM meta");
  if (!st.ok()) return meta;
  while (sqlite3_step(st->get()) == SQLITE_ROW) {
    meta[ColText(st->get(), 0)] = ColText(st->get(), 1);
  }
  return meta;
}

bool IsSqliteFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[16] = {0};
  in.read(magic, sizeof(magic));
  return in.gcount() == 16 && std::memcmp(magic, "SQLite format 3", 16) == 0;
}

}  // namespace shelfguard::registry_db
