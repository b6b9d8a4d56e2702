// The WeChat mini-program analyzer: reads a plaintext .wxapkg (the engine
// decrypts V1MMWX packages first) from ScanContext::bare_bytes() into
// facts.mini_program, permissions (scopes and requiredPrivateInfos), SDK-like
// facts for the platform features the rules ask about (ads, payment, face
// verification, live streaming, camera + OCR, mini-program jumps) and the
// texts searched for filing numbers. docs/mini-programs.md.
#ifndef SHELFGUARD_ANALYZERS_WXAPKG_WXAPKG_ANALYZER_H_
#define SHELFGUARD_ANALYZERS_WXAPKG_WXAPKG_ANALYZER_H_

#include <memory>
#include <string_view>

#include "shelfguard/analyzer.h"

namespace shelfguard {

std::unique_ptr<Analyzer> NewWxapkgAnalyzer();

// True for mini-program permission scopes and private-info APIs that reach
// personal information ("scope.userLocation", "getLocation", ...).
bool IsSensitiveMiniProgramScope(std::string_view name);

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_WXAPKG_WXAPKG_ANALYZER_H_
