// ExpectIdentity: the package identity checks that the Android, iOS, AAB and
// HarmonyOS tests each spelled out field by field. Header only, so module
// tests can use it without linking sg_testsupport.
#ifndef SHELFGUARD_TESTS_SUPPORT_IDENTITY_EXPECT_H_
#define SHELFGUARD_TESTS_SUPPORT_IDENTITY_EXPECT_H_

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "shelfguard/facts.h"

namespace shelfguard::testing {

// A text field of PackageIdentity, by its member name: an unset optional
// as "(none)", device_families joined with ','. nullopt for a name that is
// no such field (the platform is an enum: tests compare it directly).
inline std::optional<std::string> IdentityField(const PackageIdentity& p, const std::string& name) {
  auto number = [](const std::optional<int>& v) { return v ? std::to_string(*v) : std::string("(none)"); };
  if (name == "id") return p.id;
  if (name == "label") return p.label;
  if (name == "version_code") return p.version_code;
  if (name == "version_name") return p.version_name;
  if (name == "min_sdk") return number(p.min_sdk);
  if (name == "target_sdk") return number(p.target_sdk);
  if (name == "min_os") return p.min_os;
  if (name == "device_families") {
    std::string joined;
    for (const auto& d : p.device_families) joined += (joined.empty() ? "" : ",") + d;
    return joined;
  }
  return std::nullopt;
}

// Expects each field named in `want` (member name -> IdentityField text) to
// have that value in `got`; fields not named are not checked.
inline void ExpectIdentity(const PackageIdentity& got, const std::map<std::string, std::string>& want) {
  for (const auto& [name, value] : want) {
    std::optional<std::string> field = IdentityField(got, name);
    if (!field) {
      ADD_FAILURE() << "PackageIdentity has no field " << name;
      continue;
    }
    EXPECT_EQ(*field, value) << "package." << name;
  }
}

}  // namespace shelfguard::testing

#endif  // SHELFGUARD_TESTS_SUPPORT_IDENTITY_EXPECT_H_
