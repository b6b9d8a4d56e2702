#ifndef SHELFGUARD_ANALYZERS_ASSET_ANALYZER_H_
#define SHELFGUARD_ANALYZERS_ASSET_ANALYZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shelfguard/analyzer.h"

namespace shelfguard {

// Feeds every entry path (kAsset), asset text files and compiled XML
// resource strings (TextSink), and URL hosts in asset texts (kHost).
// `bundle_modules`: the archive is an Android App Bundle; <module>/assets/
// and <module>/res/raw/ are read as an APK's assets/ and res/raw/
// (BundleApkPath).
std::unique_ptr<Analyzer> NewAssetAnalyzer(bool bundle_modules = false);

// Helpers, exposed for tests.
// Text file bytes → UTF-8 (UTF-16 with BOM transcoded, UTF-8 BOM dropped).
std::string DecodeTextFile(std::string_view bytes);
// HTML → the text shown: inline tags vanish, other tags become "|",
// entities (&nbsp; &amp; &#NNN; &#xHH;) decoded.
std::string HtmlToText(std::string_view html);
// Lower-cased, deduplicated hosts of http/https/ws/wss/ftp URLs, at most `max`.
std::vector<std::string> ExtractHosts(std::string_view text, size_t max);

}  // namespace shelfguard

#endif  // SHELFGUARD_ANALYZERS_ASSET_ANALYZER_H_
