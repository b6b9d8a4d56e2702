// The archive layer: our own bounded reading of the zip structure (EOCD,
// central directory, local headers; APPNOTE.TXT 4.3) for the entry list and
// for what was odd, and libzip for inflating entry data. This file puts the
// parts together (zip_internal.h names them): open, directory, optional
// rebuild, the entry list; then reading one entry.
//
// Why both: libzip stops at the first NUL of a name, refuses archives Android
// installs (truncated or inconsistent central directory) and cannot inflate
// an entry whose method field is unknown. Android's libziparchive inflates
// every method other than 0 (stored) as deflate; we do the same and record an
// anomaly. When libzip refuses the container, the entries we could find (in
// the central directory, else by scanning local headers) are copied into a
// rebuilt in-memory zip that libzip reads; that is recorded as well.
#include "shelfguard/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include "zip_internal.h"
#include "zip_prefetch.h"

namespace shelfguard {

using namespace zip_internal;  // NOLINT(build/namespaces): this file is the zip layer's front

struct Archive::Impl : PackageBytes {
  zip_t* zip = nullptr;
  // Init did not open libzip: the package is in memory and its directory is
  // plain (Directory::plain), so libzip opens it as-is, when an entry first
  // needs it. Opening it for every package cost more than the reads that
  // need it (unusual methods, prefixes, entries over the budget).
  bool zip_deferred = false;
  std::string zip_open_error;  // why the deferred open failed
  std::vector<RawEntry> raw;  // parallel to Archive::entries_
  bool rebuilt = false;       // zip is a rebuilt copy; indices are ours
  // Reads the package bytes (PackageBytes::data) on its thread: a member, so
  // it is stopped and joined before the base holding them is destroyed.
  std::unique_ptr<Prefetcher> prefetch;

  ~Impl() {
    if (zip != nullptr) zip_discard(zip);
    if (fd >= 0) close(fd);
  }
};

Archive::~Archive() = default;

namespace {

// Without a usable directory, finds entries by their local headers. That
// needs the whole package in memory (bounded by max_package_bytes).
Status RecoverFromLocalHeaders(PackageBytes& im, Directory* dir, Budget* budget, AnomalyLog* log,
                               const std::string& label) {
  if (!im.Load()) return Status::IoError(label + ": read error");
  std::vector<RawEntry>& raw = dir->raw;
  std::vector<uint64_t> known;
  for (const auto& e : raw) known.push_back(e.local_offset);
  size_t from_cd = raw.size();
  ScanLocalHeaders(im.data, budget->limits().max_entries, &raw, known);
  SG_RETURN_IF_ERROR(budget->CheckEntryCount(raw.size()));
  if (raw.empty()) {
    if (!dir->eocd) return Status("not-a-zip", label + ": not a zip archive");
    return Status("bad-zip", label + ": broken zip archive: " + dir->problem + ", and no local headers found");
  }
  log->Add("zip-central-directory-damaged", label,
           dir->problem + "; " + std::to_string(from_cd) + " entries read from the directory, " +
               std::to_string(raw.size() - from_cd) + " recovered from local headers");
  return Status::Ok();
}

// Opens the original with libzip. *need_rebuild when libzip refuses it or
// counts other entries than the directory we read.
Status OpenWithLibzip(PackageBytes& im, size_t entries, zip_t** zip, bool* need_rebuild, AnomalyLog* log,
                      const std::string& label) {
  int code = 0;
  *zip = im.in_memory ? OpenZipMemory(im.data, &code) : zip_open(label.c_str(), ZIP_RDONLY, &code);
  if (*zip != nullptr) {
    zip_int64_t n = zip_get_num_entries(*zip, 0);
    if (n < 0 || static_cast<uint64_t>(n) != entries) {
      zip_discard(*zip);
      *zip = nullptr;
      *need_rebuild = true;
    }
  } else if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_NOENT || code == ZIP_ER_MEMORY) {
    return Status::IoError(label + ": " + ZipErrorString(code));
  } else {
    log->Add("zip-rebuilt", label,
             "libzip refused the archive (" + ZipErrorString(code) + "); entries are read from a rebuilt directory");
    *need_rebuild = true;
  }
  return Status::Ok();
}

// What Android would make of an entry's name, method and flags.
void LogNameAnomalies(const ArchiveEntry& e, size_t i, const std::string& label, AnomalyLog* log) {
  const bool control = std::any_of(e.name.begin(), e.name.end(),
                                   [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
  // Nearly every entry: nothing to log, so no printable copy of its name.
  if (!control && !e.name.empty() && (e.method == 0 || e.method == 8) && !e.encrypted) return;
  std::string shown = Printable(e.name);
  if (control) {
    log->Add("zip-name-control-char", shown,
            "entry name contains CR, LF or NUL; it is listed under its raw name");
  }
  if (e.name.empty()) log->Add("zip-empty-name", label, "entry #" + std::to_string(i));
  if (e.method != 0 && e.method != 8) {
    log->Add("zip-unknown-method", shown,
            "compression method " + std::to_string(e.method) +
                "; inflated as deflate, as Android does");
  }
  if (e.encrypted) log->Add("zip-encrypted-entry", shown, "entry is marked encrypted");
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
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError(path + ": cannot open: " + std::strerror(errno));
  a->impl_->fd = fd;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::IoError(path + ": not a regular file");
  }
  a->impl_->size = static_cast<uint64_t>(st.st_size);
  if (a->impl_->size > budget->limits().max_package_bytes) {
    return Status::OverLimit(path + ": package is " + std::to_string(a->impl_->size) +
                             " bytes, over max_package_bytes " +
                             std::to_string(budget->limits().max_package_bytes));
  }
  // Small packages are read whole with one read(): directory parsing and
  // inflation then run from memory instead of a pread or fread per entry.
  // Larger ones are read on demand, so memory stays bounded by the entries.
  if (a->impl_->size <= kLoadWholeBytes && !a->impl_->Load()) {
    return Status::IoError(path + ": read error: " + std::strerror(errno));
  }
  SG_RETURN_IF_ERROR(a->Init());
  return a;
}

Result<std::unique_ptr<Archive>> Archive::OpenMemory(std::string data, std::string label,
                                                     Budget* budget, uint32_t depth) {
  SG_RETURN_IF_ERROR(budget->CheckDepth(depth));
  std::unique_ptr<Archive> a(new Archive());
  a->impl_ = std::make_unique<Impl>();
  a->impl_->data = std::move(data);
  a->impl_->in_memory = true;
  a->impl_->size = a->impl_->data.size();
  a->label_ = std::move(label);
  a->budget_ = budget;
  a->depth_ = depth;
  if (a->impl_->size > budget->limits().max_package_bytes) {
    return Status::OverLimit(a->label_ + ": archive is " + std::to_string(a->impl_->size) +
                             " bytes, over max_package_bytes " +
                             std::to_string(budget->limits().max_package_bytes));
  }
  SG_RETURN_IF_ERROR(a->Init());
  return a;
}

Status Archive::Init() {
  Impl& im = *impl_;
  AnomalyLog log(&anomalies_);
  Directory dir = ReadDirectory(im, budget_->limits().max_entries, &log, label_);
  std::vector<RawEntry>& raw = dir.raw;
  bool need_rebuild = dir.need_rebuild;
  SG_RETURN_IF_ERROR(budget_->CheckEntryCount(raw.size()));
  if (!dir.problem.empty()) {
    SG_RETURN_IF_ERROR(RecoverFromLocalHeaders(im, &dir, budget_, &log, label_));
    need_rebuild = true;
  }
  // Local headers, data ranges, and what Android would make of the layout.
  CheckLayout(im, dir.base, &raw, &log, label_);
  // Open with libzip, unless the directory is known to need a rebuild or
  // libzip can wait (Impl::zip_deferred).
  if (!need_rebuild && im.in_memory && dir.plain) {
    im.zip_deferred = true;
  } else if (!need_rebuild) {
    SG_RETURN_IF_ERROR(OpenWithLibzip(im, raw.size(), &im.zip, &need_rebuild, &log, label_));
  }
  std::vector<const RawEntry*> rebuilt_order;
  if (need_rebuild) {
    if (!im.Load()) return Status::IoError(label_ + ": read error");
    for (const auto& e : raw) {
      if (FitsRebuild(e) && rebuilt_order.size() < kMaxRebuiltEntries) rebuilt_order.push_back(&e);
    }
    im.rebuilt = true;
  }

  // The entry list, in directory order. Each name moves from its raw record
  // (which needs it no more) to its entry; by_name_ views the entries' names,
  // so entries_ must not reallocate after this.
  entries_.reserve(raw.size());
  by_name_.reserve(raw.size());
  size_t rebuilt_index = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    RawEntry& r = raw[i];
    ArchiveEntry e;
    e.name = std::move(r.name);
    if (im.rebuilt) {
      if (rebuilt_index < rebuilt_order.size() && rebuilt_order[rebuilt_index] == &r) {
        e.index = rebuilt_index++;
      } else {
        e.index = UINT64_MAX;  // unreadable
      }
    } else {
      e.index = i;
    }
    e.compressed = r.csize;
    e.size = r.usize;
    e.method = r.method;
    e.encrypted = (r.flags & 0x1) != 0;
    e.directory = !e.name.empty() && e.name.back() == '/';
    LogNameAnomalies(e, i, label_, &log);
    const ArchiveEntry& added = entries_.emplace_back(std::move(e));
    if (!by_name_.emplace(added.name, i).second) {
      entries_.back().duplicate = true;
      log.Add("zip-duplicate-entry", Printable(added.name),
              "entry name occurs more than once; the first one is analysed");
    }
  }
  if (im.rebuilt) {
    std::string rebuilt = Rebuild(im, rebuilt_order);
    im.data = std::move(rebuilt);  // the original bytes are no longer needed
    im.size = im.data.size();
    int code = 0;
    im.zip = OpenZipMemory(im.data, &code);
    if (im.zip == nullptr) {
      return Status("bad-zip", label_ + ": broken zip archive: " + ZipErrorString(code));
    }
  }
  im.raw = std::move(raw);
  log.Finish(label_);
  return Status::Ok();
}

void Archive::Prefetch(const std::vector<const ArchiveEntry*>& entries) {
  Impl& im = *impl_;
  if (!im.in_memory || im.rebuilt || im.prefetch != nullptr) return;
  std::vector<Prefetcher::Job> jobs;
  // The helper inflates nothing a read would refuse before inflating: each
  // entry within the entry limits, all of them within what is left of the
  // package's inflate budget (the reads still check and charge as before).
  const uint64_t total_cap = budget_->limits().max_total_inflated;
  uint64_t left = total_cap - std::min(budget_->total_inflated(), total_cap);
  for (const ArchiveEntry* e : entries) {
    // The entries the fast path of ReadEntry would inflate whole.
    if (e == nullptr || e->encrypted || e->index >= im.raw.size()) continue;
    const RawEntry& re = im.raw[e->index];
    if (!re.readable || entries_[e->index].name != e->name) continue;
    if (!budget_->CheckEntry(e->name, e->compressed, e->size).ok() || e->size > left) continue;
    left -= e->size;
    jobs.push_back({e, im.data, re.data_offset, re.csize, re.usize, re.method, re.crc});
  }
  im.prefetch = Prefetcher::Start(std::move(jobs));
}

const ArchiveEntry* Archive::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

Result<std::string> Archive::Read(std::string_view name, uint64_t max_bytes) {
  const ArchiveEntry* e = Find(name);
  if (e == nullptr) return Status::NotFound(label_ + ": no entry '" + Printable(name) + "'");
  return Read(*e, max_bytes);
}

namespace {
ArchiveReadObserver g_read_observer = nullptr;
}  // namespace

void SetArchiveReadObserver(ArchiveReadObserver observer) { g_read_observer = observer; }

Result<std::string> Archive::Read(const ArchiveEntry& entry, uint64_t max_bytes) {
  Result<std::string> r = ReadEntry(entry, max_bytes);
  if (g_read_observer != nullptr && r.ok()) g_read_observer(depth_, entry, r->size());
  return r;
}

Result<std::string> Archive::ReadEntry(const ArchiveEntry& entry, uint64_t max_bytes) {
  SG_RETURN_IF_ERROR(budget_->CheckDeadline());
  SG_RETURN_IF_ERROR(budget_->CheckEntry(entry.name, entry.compressed, entry.size));
  const std::string shown = Printable(entry.name);
  if (entry.encrypted) return Status::Unsupported(shown + ": entry is encrypted");
  if (entry.index == UINT64_MAX) {
    return Status::Malformed(shown + ": entry data cannot be located");
  }
  // Fast path: the package is in memory, its directory was not rebuilt (so
  // the raw entries' offsets are offsets into it), the whole entry is wanted
  // and fits in what is left of the package's inflate budget (otherwise the
  // streaming path below stops exactly at the limit).
  // Without a rebuild, an entry's libzip index is its position in the
  // directory, so entry.index names its raw record (the name must agree: an
  // entry of another archive falls through to libzip, which checks again).
  const uint64_t pos = entry.index;
  const uint64_t total_cap = budget_->limits().max_total_inflated;
  const uint64_t budget_left = total_cap - std::min(budget_->total_inflated(), total_cap);
  const bool in_memory_entry = impl_->in_memory && !impl_->rebuilt && pos < impl_->raw.size() &&
                               impl_->raw[pos].readable && entries_[pos].name == entry.name;
  if (in_memory_entry && entry.size <= budget_left && (max_bytes == 0 || max_bytes >= entry.size)) {
    const RawEntry& re = impl_->raw[pos];
    // Inflated ahead by the prefetch thread when it was asked for (the same
    // call, so the same result); inflated here otherwise.
    std::optional<std::optional<std::string>> ahead;
    if (impl_->prefetch != nullptr) ahead = impl_->prefetch->Take(&entry);
    std::optional<std::string> whole =
        ahead ? std::move(*ahead)
              : InflateWhole(impl_->data, re.data_offset, re.csize, re.method, re.usize, re.crc);
    if (whole) {
      SG_RETURN_IF_ERROR(
          budget_->ChargeInflated(entry.name, whole->size(), whole->size(), entry.compressed));
      return std::move(*whole);
    }
  }
  // A prefix (a sniffed header, a capped text file): decoded here up to
  // `max_bytes` and charged in the pieces libzip's stream would charge;
  // anything InflatePrefix will not vouch for goes to libzip.
  if (in_memory_entry && max_bytes != 0 && max_bytes < entry.size &&
      max_bytes < budget_->limits().max_entry_bytes) {
    const RawEntry& re = impl_->raw[pos];
    std::optional<std::string> head =
        InflatePrefix(impl_->data, re.data_offset, re.csize, re.method, re.usize, re.crc, max_bytes);
    if (head) {
      SG_RETURN_IF_ERROR(ChargeAsStreamed(budget_, entry, head->size()));
      return std::move(*head);
    }
  }
  if (!impl_->rebuilt && entry.method != 0 && entry.method != 8) {
    // libzip cannot inflate an unknown method; Android inflates it as
    // deflate. Copy the raw data into a one-entry zip that says deflate.
    if (entry.index >= impl_->raw.size() || !FitsRebuild(impl_->raw[entry.index])) {
      return Status::Malformed(shown + ": entry data cannot be located");
    }
    std::string one = Rebuild(*impl_, {&impl_->raw[entry.index]});
    int code = 0;
    zip_t* z = OpenZipMemory(one, &code);
    if (z == nullptr) return Status::Malformed(shown + ": " + ZipErrorString(code));
    auto r = ReadZipEntry(z, 0, entry, budget_, max_bytes);
    zip_discard(z);
    return r;
  }
  if (impl_->zip_deferred) {
    // A plain directory (Directory::plain): libzip opens it with the entries
    // we listed. Were it to refuse, the entry is reported unreadable.
    impl_->zip_deferred = false;
    int code = 0;
    impl_->zip = OpenZipMemory(impl_->data, &code);
    zip_int64_t n = impl_->zip == nullptr ? -1 : zip_get_num_entries(impl_->zip, 0);
    if (n < 0 || static_cast<uint64_t>(n) != impl_->raw.size()) {
      if (impl_->zip != nullptr) zip_discard(impl_->zip);
      impl_->zip = nullptr;
      impl_->zip_open_error = label_ + ": libzip cannot open the archive" +
                              (code != 0 ? ": " + ZipErrorString(code) : std::string());
    }
  }
  if (impl_->zip == nullptr) return Status("bad-zip", impl_->zip_open_error);
  return ReadZipEntry(impl_->zip, entry.index, entry, budget_, max_bytes);
}

}  // namespace shelfguard
