#include "shelfguard/archive.h"

#include <zip.h>

#include <algorithm>
#include <cstring>

namespace shelfguard {

struct Archive::Impl {
  zip_t* zip = nullptr;
  std::string data;  // owned bytes when opened from memory
  ~Impl() {
    if (zip != nullptr) zip_discard(zip);
  }
};

Archive::~Archive() = default;

namespace {

std::string ZipErrorString(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string s = zip_error_strerror(&err);
  zip_error_fini(&err);
  return s;
}

Status OpenError(const std::string& label, int code) {
  if (code == ZIP_ER_NOZIP) return Status("not-a-zip", label + ": not a zip archive");
  if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_NOENT) {
    return Status::IoError(label + ": " + ZipErrorString(code));
  }
  return Status("bad-zip", label + ": broken zip archive: " + ZipErrorString(code));
}

}  // namespace

Result<std::unique_ptr<Archive>> Archive::OpenFile(const std::string& path, Budget* budget,
                                                   uint32_t depth) {
  SG_RETURN_IF_ERROR(budget->CheckDepth(depth));
  std::unique_ptr<Archive> a(new Archive());
  a->impl_ = std::make_unique<Impl>();
  a->label_ = path;
  a->budget_ = budget;
  a->depth_ = depth;
  int err = 0;
  a->impl_->zip = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (a->impl_->zip == nullptr) return OpenError(path, err);
  SG_RETURN_IF_ERROR(a->Init());
  return a;
}

Result<std::unique_ptr<Archive>> Archive::OpenMemory(std::string data, std::string label,
                                                     Budget* budget, uint32_t depth) {
  SG_RETURN_IF_ERROR(budget->CheckDepth(depth));
  std::unique_ptr<Archive> a(new Archive());
  a->impl_ = std::make_unique<Impl>();
  a->impl_->data = std::move(data);
  a->label_ = std::move(label);
  a->budget_ = budget;
  a->depth_ = depth;
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t* src = zip_source_buffer_create(a->impl_->data.data(), a->impl_->data.size(), 0,
                                               &zerr);
  if (src == nullptr) {
    zip_error_fini(&zerr);
    return Status::IoError(a->label_ + ": cannot create zip source");
  }
  a->impl_->zip = zip_open_from_source(src, ZIP_RDONLY, &zerr);
  if (a->impl_->zip == nullptr) {
    int code = zip_error_code_zip(&zerr);
    zip_source_free(src);
    zip_error_fini(&zerr);
    return OpenError(a->label_, code);
  }
  zip_error_fini(&zerr);
  SG_RETURN_IF_ERROR(a->Init());
  return a;
}

Status Archive::Init() {
  zip_int64_t n = zip_get_num_entries(impl_->zip, 0);
  if (n < 0) return Status("bad-zip", label_ + ": cannot count entries");
  SG_RETURN_IF_ERROR(budget_->CheckEntryCount(static_cast<uint64_t>(n)));
  entries_.reserve(static_cast<size_t>(n));
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(impl_->zip, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &st) != 0 ||
        st.name == nullptr) {
      anomalies_.push_back({"zip-bad-entry", label_, "entry #" + std::to_string(i) +
                                                         " has an unreadable header"});
      continue;
    }
    ArchiveEntry e;
    e.index = static_cast<uint64_t>(i);
    // The raw name may contain bytes libzip stops at (NUL); take the length
    // libzip reports via zip_get_name with the raw flag.
    e.name = st.name;
    e.compressed = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    e.size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    e.method = (st.valid & ZIP_STAT_COMP_METHOD) ? static_cast<uint16_t>(st.comp_method) : 0;
    e.encrypted = (st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE;
    e.directory = !e.name.empty() && e.name.back() == '/';
    if (e.name.find_first_of("\r\n") != std::string::npos) {
      anomalies_.push_back({"zip-name-control-char", e.name,
                            "entry name contains CR/LF; Android reads it under this exact name"});
    }
    if (e.method != ZIP_CM_STORE && e.method != ZIP_CM_DEFLATE) {
      anomalies_.push_back({"zip-unknown-method", e.name,
                            "compression method " + std::to_string(e.method)});
    }
    if (e.encrypted) {
      anomalies_.push_back({"zip-encrypted-entry", e.name, "entry is encrypted"});
    }
    auto [it, inserted] = by_name_.emplace(e.name, entries_.size());
    if (!inserted) {
      e.duplicate = true;
      anomalies_.push_back({"zip-duplicate-entry", e.name,
                            "entry name occurs more than once; the first one is analysed"});
    }
    entries_.push_back(std::move(e));
  }
  return Status::Ok();
}

const ArchiveEntry* Archive::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

Result<std::string> Archive::Read(std::string_view name, uint64_t max_bytes) {
  const ArchiveEntry* e = Find(name);
  if (e == nullptr) return Status::NotFound(label_ + ": no entry '" + std::string(name) + "'");
  return Read(*e, max_bytes);
}

Result<std::string> Archive::Read(const ArchiveEntry& entry, uint64_t max_bytes) {
  SG_RETURN_IF_ERROR(budget_->CheckDeadline());
  SG_RETURN_IF_ERROR(budget_->CheckEntry(entry.name, entry.compressed, entry.size));
  if (entry.encrypted) return Status::Unsupported(entry.name + ": entry is encrypted");
  zip_file_t* f = zip_fopen_index(impl_->zip, entry.index, 0);
  if (f == nullptr) {
    zip_error_t* ze = zip_get_error(impl_->zip);
    std::string why = zip_error_strerror(ze);
    int code = zip_error_code_zip(ze);
    zip_error_clear(impl_->zip);
    if (code == ZIP_ER_COMPNOTSUPP) {
      return Status::Unsupported(entry.name + ": unsupported compression method " +
                                 std::to_string(entry.method));
    }
    return Status::Malformed(entry.name + ": cannot open entry: " + why);
  }
  uint64_t cap = budget_->limits().max_entry_bytes;
  bool truncate = max_bytes != 0 && max_bytes < cap;
  if (truncate) cap = max_bytes;
  std::string out;
  // Reserve what the entry claims only up to a modest bound: declared sizes
  // are untrusted, so a bomb cannot make us allocate its claim.
  out.reserve(static_cast<size_t>(std::min<uint64_t>({entry.size, cap, 64u << 20})));
  char buf[64 * 1024];
  Status st;
  for (;;) {
    zip_int64_t got = zip_fread(f, buf, sizeof(buf));
    if (got < 0) {
      st = Status::Malformed(entry.name + ": inflate failed: " +
                             zip_error_strerror(zip_file_get_error(f)));
      break;
    }
    if (got == 0) break;
    uint64_t take = static_cast<uint64_t>(got);
    if (truncate && out.size() + take > cap) take = cap - out.size();
    out.append(buf, static_cast<size_t>(take));
    if (truncate && out.size() >= cap) break;
    st = budget_->ChargeInflated(entry.name, take, out.size(), entry.compressed);
    if (!st.ok()) break;
  }
  zip_fclose(f);
  if (!st.ok()) return st;
  return out;
}

}  // namespace shelfguard
