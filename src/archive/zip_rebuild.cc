// A clean zip of the entries found, in memory, for libzip: written when
// libzip refuses the original container (or would misread it), and for one
// entry whose compression method libzip does not know (Android inflates every
// method but 0 as deflate; so does the rebuilt copy).
#include <cstdint>
#include <string>
#include <vector>

#include "zip_internal.h"

namespace shelfguard::zip_internal {

namespace {

void PutLE16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}
void PutLE32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The fields a local header and a directory record share, from the flags
// to the name length: only "encrypted" is kept of the flags, and every
// method but stored is written as deflate.
void PutCommonFields(std::string* out, const RawEntry& e, const std::string& name) {
  PutLE16(out, static_cast<uint16_t>(e.flags & 0x1));
  PutLE16(out, e.method == 0 ? 0 : 8);
  PutLE32(out, 0);  // time and date
  PutLE32(out, e.crc);
  PutLE32(out, static_cast<uint32_t>(e.csize));
  PutLE32(out, static_cast<uint32_t>(e.usize));
  PutLE16(out, static_cast<uint16_t>(name.size()));
}

}  // namespace

std::string ZipErrorString(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string s = zip_error_strerror(&err);
  zip_error_fini(&err);
  return s;
}

// Unknown methods are written as deflate, as Android inflates them. Names are
// replaced by their index: entries are read by index only.
std::string Rebuild(const PackageBytes& im, const std::vector<const RawEntry*>& entries) {
  std::string out;
  std::vector<uint64_t> offsets;
  std::string scratch;
  for (size_t i = 0; i < entries.size(); ++i) {
    const RawEntry& e = *entries[i];
    std::string name = "e" + std::to_string(i);
    offsets.push_back(out.size());
    PutLE32(&out, kLocalSig);
    PutLE16(&out, 20);
    PutCommonFields(&out, e, name);
    PutLE16(&out, 0);
    out += name;
    auto data = im.At(e.data_offset, e.csize, &scratch);
    if (data) out.append(*data);
  }
  uint64_t cd_start = out.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const RawEntry& e = *entries[i];
    std::string name = "e" + std::to_string(i);
    PutLE32(&out, kCentralSig);
    PutLE16(&out, 20);
    PutLE16(&out, 20);
    PutCommonFields(&out, e, name);
    PutLE16(&out, 0);
    PutLE16(&out, 0);
    PutLE16(&out, 0);
    PutLE16(&out, 0);
    PutLE32(&out, 0);
    PutLE32(&out, static_cast<uint32_t>(offsets[i]));
    out += name;
  }
  uint64_t cd_size = out.size() - cd_start;
  PutLE32(&out, kEocdSig);
  PutLE16(&out, 0);
  PutLE16(&out, 0);
  PutLE16(&out, static_cast<uint16_t>(entries.size()));
  PutLE16(&out, static_cast<uint16_t>(entries.size()));
  PutLE32(&out, static_cast<uint32_t>(cd_size));
  PutLE32(&out, static_cast<uint32_t>(cd_start));
  PutLE16(&out, 0);
  return out;
}

zip_t* OpenZipMemory(const std::string& bytes, int* code) {
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &zerr);
  if (src == nullptr) {
    *code = zip_error_code_zip(&zerr);
    zip_error_fini(&zerr);
    return nullptr;
  }
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &zerr);
  if (z == nullptr) {
    *code = zip_error_code_zip(&zerr);
    zip_source_free(src);
  }
  zip_error_fini(&zerr);
  return z;
}

bool FitsRebuild(const RawEntry& e) {
  return e.readable && e.csize <= 0xfffffffe && e.usize <= 0xfffffffe;
}

bool LibzipListsAsRead(const std::string& bytes, const std::vector<RawEntry>& raw) {
  int code = 0;
  zip_t* z = OpenZipMemory(bytes, &code);
  if (z == nullptr) return false;
  bool same = zip_get_num_entries(z, 0) == static_cast<zip_int64_t>(raw.size());
  for (size_t i = 0; same && i < raw.size(); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    // The name as stored, up to a NUL (plain names have none).
    same = zip_stat_index(z, i, ZIP_FL_ENC_RAW, &st) == 0 && (st.valid & ZIP_STAT_NAME) != 0 &&
           raw[i].name == st.name;
  }
  zip_discard(z);
  return same;
}

}  // namespace shelfguard::zip_internal
