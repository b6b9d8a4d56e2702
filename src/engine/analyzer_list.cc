// The explicit, ordered list of analyzers per platform. Order matters: the
// manifest comes first (package id, components feed later analyzers).
#include "shelfguard/analyzer.h"

#include "android/android_analyzer.h"
#include "assets/asset_analyzer.h"
#include "dex/dex_analyzer.h"
#include "elf/elf_analyzer.h"
#include "hap/hap_analyzer.h"
#include "ios/ios_analyzer.h"
#include "wxapkg/wxapkg_analyzer.h"

namespace shelfguard {

std::vector<std::unique_ptr<Analyzer>> MakeAnalyzers(Platform platform) {
  std::vector<std::unique_ptr<Analyzer>> list;
  switch (platform) {
    case Platform::kAndroid:
      list.push_back(NewAndroidManifestAnalyzer());  // AndroidManifest.xml + resources.arsc
      list.push_back(NewDexAnalyzer());              // classes*.dex and extra DEX
      list.push_back(NewElfAnalyzer());              // lib/<abi>/*.so
      list.push_back(NewAssetAnalyzer());            // paths, assets text, layouts
      break;
    case Platform::kIos:
      list.push_back(NewIosAnalyzer());  // Info.plist, provisioning, Mach-O, .strings
      list.push_back(NewAssetAnalyzer());
      break;
    case Platform::kHarmony:
      list.push_back(NewHapAnalyzer());    // module.json / config.json, .abc, resources.index
      list.push_back(NewDexAnalyzer());    // FA-model Java HAPs: classes.dex
      list.push_back(NewElfAnalyzer());    // libs/<abi>/*.so
      list.push_back(NewAssetAnalyzer());  // package paths
      break;
    case Platform::kMiniProgram:
      list.push_back(NewWxapkgAnalyzer());  // the (decrypted) .wxapkg in bare_bytes
      break;
    default:
      break;
  }
  return list;
}

}  // namespace shelfguard
