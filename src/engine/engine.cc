#include "shelfguard/engine.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>

#include "aab/aab_analyzer.h"
#include "core/uninit_string.h"
#include "assets/asset_analyzer.h"
#include "dex/dex_analyzer.h"
#include "elf/elf_analyzer.h"
#include "filing/number_finder.h"
#include "hap/hap_analyzer.h"
#include "wxapkg/wxapkg_parser.h"
#include "signatures/signature_db.h"

namespace shelfguard {

const char* PlatformName(Platform p) {
  switch (p) {
    case Platform::kAndroid: return "android";
    case Platform::kIos: return "ios";
    case Platform::kHarmony: return "harmony";
    case Platform::kMiniProgram: return "mini-program";
    default: return "unknown";
  }
}

const char* EvidenceKindName(EvidenceKind k) {
  switch (k) {
    case EvidenceKind::kClass: return "class";
    case EvidenceKind::kNativeLib: return "native-lib";
    case EvidenceKind::kAsset: return "asset";
    case EvidenceKind::kComponent: return "component";
    case EvidenceKind::kHost: return "host";
    case EvidenceKind::kString: return "string";
    case EvidenceKind::kObjcClass: return "objc-class";
    case EvidenceKind::kFramework: return "framework";
    case EvidenceKind::kSymbol: return "symbol";
    case EvidenceKind::kHarmonyModule: return "harmony-module";
    case EvidenceKind::kMaven: return "maven";
    case EvidenceKind::kMetaData: return "meta-data";
    default: return "unknown";
  }
}

namespace {

std::string ToHex(const unsigned char* d, unsigned n) {
  static const char* kHex = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = kHex[d[i] >> 4];
    s[2 * i + 1] = kHex[d[i] & 15];
  }
  return s;
}

bool HasSuffix(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

// Decides the platform from the archive layout.
Platform DetectPlatform(const Archive& a) {
  if (a.Find("AndroidManifest.xml") != nullptr) return Platform::kAndroid;
  for (const auto& e : a.entries()) {
    if (e.name.find("Payload/") != std::string::npos && e.name.find(".app/") != std::string::npos)
      return Platform::kIos;
  }
  if (LooksLikeHap(a)) return Platform::kHarmony;
  return Platform::kUnknown;
}

// XAPK / APKS bundles: pick the base APK to analyse.
const ArchiveEntry* FindNestedBaseApk(const Archive& a) {
  const ArchiveEntry* best = nullptr;
  for (const auto& e : a.entries()) {
    if (e.directory || !HasSuffix(e.name, ".apk")) continue;
    if (e.name == "base.apk" || HasSuffix(e.name, "/base.apk")) return &e;
    if (e.name.find("config.") != std::string::npos || e.name.find("split_") != std::string::npos)
      continue;
    if (best == nullptr || e.size > best->size) best = &e;
  }
  return best;
}

void RunList(std::vector<std::unique_ptr<Analyzer>>* analyzers, ScanContext* ctx);

// The first analyzer of each platform reads the package identity (manifest
// and resources, or Info.plist); `manifest_only` stops after it.
// With `prefetch`, the entries the analyzers will read whole (in the order
// they run) inflate one ahead on a helper thread (Archive::Prefetch).
void PrefetchWhatTheyRead(const std::vector<std::unique_ptr<Analyzer>>& analyzers, Archive* archive,
                          bool prefetch) {
  if (!prefetch || archive == nullptr) return;
  std::vector<const ArchiveEntry*> order;
  for (const auto& an : analyzers) {
    std::vector<const ArchiveEntry*> more = an->WillRead(*archive);
    order.insert(order.end(), more.begin(), more.end());
  }
  archive->Prefetch(order);
}

void RunAnalyzers(Platform platform, ScanContext* ctx, bool manifest_only = false,
                  bool prefetch = false) {
  auto analyzers = MakeAnalyzers(platform);
  if (manifest_only && analyzers.size() > 1) analyzers.resize(1);
  PrefetchWhatTheyRead(analyzers, ctx->archive(), prefetch);
  RunList(&analyzers, ctx);
}

void RunList(std::vector<std::unique_ptr<Analyzer>>* analyzers, ScanContext* ctx) {
  for (auto& an : *analyzers) {
    if (ctx->budget().Expired()) {
      ctx->AddError(ctx->budget().CheckDeadline());
      break;
    }
    // Analyzers report problems as values; an exception escaping one (a
    // bug, or bad_alloc) must not take the scan or the process down.
    try {
      an->Analyze(ctx);
    } catch (const std::exception& e) {
      ctx->AddError("internal-error", std::string("analyzer ") + an->name() + " failed: " + e.what());
    } catch (...) {
      ctx->AddError("internal-error", std::string("analyzer ") + an->name() + " failed");
    }
  }
}

// The whole package: read from `path`, or moved out of `data`.
std::string TakeBytes(const std::string* path, std::string* data) {
  if (path == nullptr) return std::move(*data);
  std::ifstream in(*path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// HarmonyOS .app containers (pack.info + inner HAP/HSP files): each inner
// module is analysed into the same facts, as nested APKs are; an .app inside
// an .app recurses, bounded by max_depth and kMaxInnerHaps.
constexpr size_t kMaxInnerHaps = 256;
void RunHarmonyContainer(Archive* outer, ScanContext* ctx, EvidenceSink* evidence, TextSink* text,
                         bool manifest_only) {
  std::vector<const ArchiveEntry*> inner = HapContainerEntries(*outer);
  if (inner.size() > kMaxInnerHaps) {
    ctx->AddAnomaly("hap-container-capped", outer->label(),
                    std::to_string(inner.size()) + " modules; the first " +
                        std::to_string(kMaxInnerHaps) + " are analysed");
    inner.resize(kMaxInnerHaps);
  }
  const uint32_t depth = outer->depth() + 1;
  for (const ArchiveEntry* e : inner) {
    if (ctx->budget().Expired()) {
      ctx->AddError(ctx->budget().CheckDeadline());
      return;
    }
    std::string label = outer->depth() > 0 ? outer->label() + "/" + e->name : e->name;
    if (Status st = ctx->budget().CheckDepth(depth); !st.ok()) {
      ctx->AddAnomaly("hap-nested-too-deep", label, st.message());
      continue;
    }
    auto bytes = outer->Read(*e);
    if (!bytes.ok()) {
      ctx->AddError(bytes.status().code(), label + ": " + bytes.status().message());
      if (bytes.status().code() == "over-limit" || bytes.status().code() == "timeout") return;
      continue;
    }
    auto opened = Archive::OpenMemory(std::move(bytes).value(), label, &ctx->budget(), depth);
    if (!opened.ok()) {
      ctx->AddAnomaly("hap-inner-unreadable", label, opened.status().message());
      continue;
    }
    Archive* a = opened->get();
    for (const auto& an : a->anomalies()) ctx->AddAnomaly(an.code, label + ":" + an.location, an.detail);
    ctx->AddAnomaly("nested-package", label, "HarmonyOS .app module; analysed and merged");
    ScanContext sub(&ctx->facts(), &ctx->budget(), a, evidence, text);
    RunAnalyzers(Platform::kHarmony, &sub, manifest_only);
    RunHarmonyContainer(a, &sub, evidence, text, manifest_only);
  }
}

}  // namespace

namespace {
// Fetched once: EVP_sha256() makes OpenSSL 3 look the implementation up on
// every digest, which costs more than hashing a short message id.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}
}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (EVP_Digest(data.data(), data.size(), md, &n, Sha256Md(), nullptr) != 1) return "";
  return ToHex(md, n);
}

Result<std::string> Sha256File(const std::string& path, uint64_t* size) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    // The codes report-format.md promises for a file that is not there (or a
    // dangling symlink) and one that may not be read.
    int err = errno;
    std::string what = path + ": cannot open: " + std::strerror(err);
    if (err == ENOENT || err == ENOTDIR || err == ELOOP) return Status::NotFound(what);
    if (err == EACCES || err == EPERM) return Status("permission-denied", what);
    return Status::IoError(what);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), Sha256Md(), nullptr);
  std::vector<char> buf(1 << 16);
  uint64_t total = 0;
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    EVP_DigestUpdate(ctx.get(), buf.data(), got);
    total += got;
  }
  bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return Status::IoError(path + ": read error");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &n);
  if (size != nullptr) *size = total;
  return ToHex(md, n);
}

Result<std::shared_ptr<const Engine>> Engine::Create(const EngineOptions& options) {
  std::shared_ptr<Engine> e(new Engine());
  e->options_ = options;
  if (e->options_.signatures_dir.empty()) e->options_.signatures_dir = DefaultSignaturesDir();
  auto sigs = LoadSignatures(e->options_.signatures_dir);
  if (!sigs.ok()) return sigs.status();
  e->signatures_ = std::move(sigs).value();
  return std::shared_ptr<const Engine>(e);
}

std::string Engine::signatures_version() const { return signatures_->version(); }

namespace {

// Reads `path` whole into *out when it is a regular file of at most
// kArchiveLoadWholeBytes; false otherwise (too big, or any error: the
// caller then takes the streaming path, which reports errors itself).
bool ReadSmallFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
            static_cast<uint64_t>(st.st_size) <= kArchiveLoadWholeBytes;
  if (ok) {
    // Filled by read() below, or cleared: no zero-fill first.
    ResizeUninitialized(out, static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < out->size()) {
      ssize_t r = ::read(fd, out->data() + got, out->size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    ok = got == out->size();
    // A file that grew since the stat is read on the streaming path.
    char extra;
    ok = ok && ::read(fd, &extra, 1) == 0;
  }
  ::close(fd);
  if (!ok) out->clear();
  return ok;
}

}  // namespace

Facts Engine::ScanWxapkg(const std::string& name, const std::string* path, std::string* data,
                         Facts facts, Budget* budget, EvidenceSink* evidence,
                         TextSink* text) const {
  facts.package.platform = Platform::kMiniProgram;
  std::string bytes = TakeBytes(path, data);
  MiniProgramFacts& mp = facts.mini_program;
  if (wxapkg::IsEncryptedWxapkg(bytes)) {
    mp.encrypted = true;
    std::string appid = options_.wx_appid;
    mp.appid_source = "option";
    if (appid.empty()) {
      appid = wxapkg::AppidFromPath(name);
      mp.appid_source = "file-name";
    }
    if (appid.empty()) {
      mp.appid_source.clear();
      facts.errors.push_back({"encrypted", name + ": encrypted PC-WeChat package (V1MMWX), not "
                                                  "analysed: give its appid with --wx-appid or "
                                                  "keep wx<16 hex> in the file or directory name"});
      return facts;
    }
    auto plain = wxapkg::Decrypt(bytes, appid);
    if (!plain.ok()) {
      facts.errors.push_back({"encrypted", name + ": encrypted PC-WeChat package (V1MMWX), not "
                                                  "analysed: " + plain.status().message()});
      return facts;
    }
    bytes = std::move(plain).value();
    mp.decrypted = true;
    mp.appid = appid;
  }
  if (options_.manifest_only) facts.scope = "manifest";
  ScanContext ctx(&facts, budget, nullptr, evidence, text);
  ctx.set_bare_bytes(bytes);
  RunAnalyzers(Platform::kMiniProgram, &ctx);
  evidence->Finish(&facts);
  text->Finish(&facts);
  facts.analysed = facts.errors.empty() || !facts.mini_program.kind.empty();
  return facts;
}

Facts Engine::ScanFile(const std::string& path) const { return Scan(path, &path, nullptr); }

Facts Engine::ScanBytes(const std::string& name, std::string data) const {
  return Scan(name, nullptr, &data);
}

ReadAhead ReadPackageAhead(const std::string& path) {
  ReadAhead ahead;
  ahead.path = path;
  if (ReadSmallFile(path, &ahead.bytes)) ahead.sha256 = Sha256Hex(ahead.bytes);
  // A digest that failed (empty) leaves the file to ScanFile's own path.
  if (ahead.sha256.empty()) ahead.bytes.clear();
  return ahead;
}

Facts Engine::ScanReadAhead(ReadAhead ahead) const {
  if (ahead.sha256.empty()) return ScanFile(ahead.path);
  return Scan(ahead.path, nullptr, &ahead.bytes, &ahead.sha256);
}

Facts Engine::Scan(const std::string& name, const std::string* path, std::string* data,
                   const std::string* sha256) const {
  Facts facts;
  facts.file = name;
  facts.signatures_version = signatures_version();
  // A package small enough to be read whole is read once: hashed and then
  // opened from memory, instead of hashed from the file and read again.
  std::string loaded;
  if (path != nullptr && ReadSmallFile(*path, &loaded)) {
    data = &loaded;
    path = nullptr;
  }
  if (path != nullptr) {
    auto sha = Sha256File(*path, &facts.size);
    if (!sha.ok()) {
      facts.errors.push_back({sha.status().code(), sha.status().message()});
      return facts;
    }
    facts.sha256 = *sha;
  } else {
    facts.size = data->size();
    facts.sha256 = sha256 != nullptr ? *sha256 : Sha256Hex(*data);
  }
  if (facts.size > options_.limits.max_package_bytes) {
    facts.errors.push_back({"over-limit", name + ": package is " + std::to_string(facts.size) +
                                              " bytes, over max_package_bytes " +
                                              std::to_string(options_.limits.max_package_bytes)});
    return facts;
  }
  Budget budget(options_.limits);
  auto evidence = signatures_->NewSink();
  auto text = NewNumberFinder();

  // WeChat mini-program packages are not zips: read whole, decrypted when
  // they are PC-WeChat V1MMWX packages and an appid is known.
  {
    std::string_view head;
    std::string head_buf;
    if (path != nullptr) {
      std::ifstream in(*path, std::ios::binary);
      head_buf.resize(wxapkg::kHeaderBytes);
      in.read(head_buf.data(), static_cast<std::streamsize>(head_buf.size()));
      head_buf.resize(static_cast<size_t>(in.gcount()));
      head = head_buf;
    } else {
      head = *data;
    }
    if (wxapkg::IsWxapkg(head) || wxapkg::IsEncryptedWxapkg(head)) {
      return ScanWxapkg(name, path, data, std::move(facts), &budget, evidence.get(), text.get());
    }
  }

  // Bare DEX files are analysed as Android code without a container.
  char magic[4] = {0, 0, 0, 0};
  if (path != nullptr) {
    std::ifstream in(*path, std::ios::binary);
    in.read(magic, 4);
  } else if (data->size() >= 4) {
    std::copy_n(data->data(), 4, magic);
  }
  bool janus = false;
  if (std::string_view(magic, 4) == std::string_view("dex\n", 4)) {
    // A DEX with a zip appended (the Janus layout, CVE-2017-13156) is both a
    // DEX and an APK: Android installs it as an APK, so when the zip holds a
    // manifest it is analysed as one, and the prefix is recorded.
    auto probe = path != nullptr ? Archive::OpenFile(*path, &budget)
                                 : Archive::OpenMemory(*data, name, &budget, 0);
    janus = probe.ok() && (*probe)->Find("AndroidManifest.xml") != nullptr;
  }
  if (janus) {
    facts.anomalies.push_back({"janus-dex-prefix", name,
                               "a DEX file precedes the zip data; old Android versions run it "
                               "instead of classes.dex (CVE-2017-13156)"});
  } else if (std::string_view(magic, 4) == std::string_view("dex\n", 4)) {
    std::string bytes = TakeBytes(path, data);
    facts.package.platform = Platform::kAndroid;
    facts.scope = "code";  // no manifest, resources or assets to assess
    ScanContext ctx(&facts, &budget, nullptr, evidence.get(), text.get());
    ctx.set_bare_bytes(bytes);
    RunAnalyzers(Platform::kAndroid, &ctx);
    evidence->Finish(&facts);
    text->Finish(&facts);
    facts.analysed = true;
    return facts;
  }

  auto opened = path != nullptr ? Archive::OpenFile(*path, &budget)
                                : Archive::OpenMemory(std::move(*data), name, &budget, 0);
  if (!opened.ok()) {
    facts.errors.push_back({opened.status().code(), opened.status().message()});
    return facts;
  }
  std::unique_ptr<Archive> archive = std::move(opened).value();
  Platform platform = DetectPlatform(*archive);
  std::unique_ptr<Archive> outer;
  if (platform == Platform::kUnknown) {
    if (const ArchiveEntry* nested = FindNestedBaseApk(*archive)) {
      auto bytes = archive->Read(*nested);
      if (!bytes.ok()) {
        facts.errors.push_back({bytes.status().code(), bytes.status().message()});
        return facts;
      }
      auto inner = Archive::OpenMemory(std::move(bytes).value(), nested->name, &budget, 1);
      if (!inner.ok()) {
        facts.errors.push_back({inner.status().code(), inner.status().message()});
        return facts;
      }
      facts.anomalies.push_back({"nested-package", nested->name,
                                 "bundle (XAPK/APKS); the base APK is analysed"});
      for (const auto& an : archive->anomalies()) facts.anomalies.push_back(an);
      outer = std::move(archive);
      archive = std::move(inner).value();
      platform = DetectPlatform(*archive);
    } else if (LooksLikeAab(*archive)) {
      // Android App Bundle: protobuf manifests and resources per module.
      for (const auto& an : archive->anomalies()) facts.anomalies.push_back(an);
      facts.package.platform = Platform::kAndroid;
      if (options_.manifest_only) facts.scope = "manifest";
      ScanContext ctx(&facts, &budget, archive.get(), evidence.get(), text.get());
      std::vector<std::unique_ptr<Analyzer>> list;
      list.push_back(NewAabAnalyzer());
      if (!options_.manifest_only) {
        list.push_back(NewDexAnalyzer());  // <module>/dex/*.dex
        // <module>/lib/<abi>/*.so, <module>/assets/ and the package paths,
        // each at the path it has in an APK.
        list.push_back(NewElfAnalyzer(/*bundle_modules=*/true));
        list.push_back(NewAssetAnalyzer(/*bundle_modules=*/true));
      }
      PrefetchWhatTheyRead(list, archive.get(), options_.prefetch);
      RunList(&list, &ctx);
      evidence->Finish(&facts);
      text->Finish(&facts);
      facts.analysed = !facts.package.id.empty();
      return facts;
    }
  }
  for (const auto& an : archive->anomalies()) facts.anomalies.push_back(an);
  if (platform == Platform::kUnknown) {
    facts.errors.push_back({"not-a-package", name + ": zip archive without AndroidManifest.xml "
                                                    "or Payload/*.app: not an APK or IPA"});
    return facts;
  }
  facts.package.platform = platform;
  if (options_.manifest_only) facts.scope = "manifest";
  ScanContext ctx(&facts, &budget, archive.get(), evidence.get(), text.get());
  RunAnalyzers(platform, &ctx, options_.manifest_only, options_.prefetch);
  if (platform == Platform::kHarmony)
    RunHarmonyContainer(archive.get(), &ctx, evidence.get(), text.get(), options_.manifest_only);
  evidence->Finish(&facts);
  text->Finish(&facts);
  facts.analysed = true;
  return facts;
}

}  // namespace shelfguard
