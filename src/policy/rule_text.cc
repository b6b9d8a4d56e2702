// The rule catalogue in words (../shared/docs/rules.md), for reports that
// describe rules to people: SARIF reportingDescriptors, the HTML page and the
// spreadsheet summaries. The checks themselves live in rules.cc; the rule
// list test asserts that every rule there has its text here.
#include <string_view>
#include <vector>

#include "policy/rules.h"

namespace shelfguard::policy {

const std::vector<RuleText>& RuleTexts() {
  static const std::vector<RuleText>* kTexts = new std::vector<RuleText>{
      {"FILING-UNFILED", "App is not filed", "应用未备案",
       "The package id (Android package / iOS bundle id) has no filing in the registry.",
       "包名（Android 包名 / iOS Bundle ID）在备案库中没有备案记录。"},
      {"FILING-RECORD-REJECTED", "Registry record rejected", "备案记录被拒绝",
       "The registry holds a record for the package id, but it was rejected when the registry "
       "was loaded (invalid field, duplicate); the filing could not be checked.",
       "备案库中有该包名的记录，但加载备案库时因字段无效或重复被拒绝，无法核对备案。"},
      {"FILING-REVOKED", "Filing revoked or suspended", "备案已撤销或暂停",
       "The filing's status is revoked, suspended or black-listed.",
       "备案状态为撤销、暂停或列入黑名单。"},
      {"FILING-PROVIDER-BANNED", "Provider black-listed", "提供者被列入黑名单",
       "The provider (unified social credit code) is black-listed and fewer than six months have "
       "passed.",
       "提供者（统一社会信用代码）被列入黑名单且未满六个月。"},
      {"FILING-NOT-DISPLAYED", "Filing number not displayed", "未展示备案号",
       "No 教APP备 number appears anywhere the app shows text (resources, layouts, assets, code "
       "strings, Info.plist, .strings files, native strings).",
       "应用展示文本的任何位置（资源、布局、资产、代码字符串、Info.plist、.strings、原生字符串）均未出现教APP备号。"},
      {"FILING-MISMATCH", "Displayed filing number does not match", "展示的备案号与备案不符",
       "A displayed 教APP备 number differs from the registry's for this app, or belongs to another "
       "app.",
       "展示的教APP备号与备案库中本应用的备案号不同，或属于其他应用。"},
      {"FILING-MALFORMED", "Malformed filing number", "备案号格式错误",
       "A displayed number is not 教APP备 + 7 digits + 号 with a valid GB/T 2260 province prefix.",
       "展示的备案号不是“教APP备”+ 7 位数字 +“号”的格式，或省份代码（GB/T 2260）无效。"},
      {"FILING-ICP-MISSING", "ICP filing missing", "缺少 ICP 备案",
       "The registry has no ICP filing for the provider, or the app displays no App-ICP number.",
       "备案库中没有提供者的 ICP 备案，或应用未展示 App-ICP 备案号。"},
      {"FILING-MLPS-MISSING", "Graded-protection filing missing", "缺少等级保护备案",
       "The registry has no graded-protection (等保) filing for the business system.",
       "备案库中没有业务系统的网络安全等级保护备案。"},
      {"FILING-STALE", "Filing not updated", "备案信息未及时更新",
       "The package shows permissions, SDKs or a version the filing does not (the filing was not "
       "updated within 10 working days of a change).",
       "安装包中的权限、SDK 或版本未在备案中体现（变更后 10 个工作日内未更新备案）。"},
      {"PRIV-UNDISCLOSED-PERMISSION", "Undisclosed permission", "未声明的权限",
       "An Android dangerous permission, or an iOS usage-description key, is not declared in the "
       "filing.",
       "Android 危险权限或 iOS 使用说明键未在备案中声明。"},
      {"PRIV-UNNECESSARY", "Personal information beyond what is necessary", "超出必要范围的个人信息",
       "Personal information beyond what a learning app needs (location, contacts, SMS, call log, "
       "phone state, calendar, body sensors).",
       "收集超出学习教育类应用必要范围的个人信息（位置、通讯录、短信、通话记录、电话状态、日历、身体传感器）。"},
      {"PRIV-BIOMETRIC", "Biometric collection not declared", "未声明的生物特征采集",
       "A face/biometric SDK or capability without a declared biometric collection and its review.",
       "存在人脸/生物特征 SDK 或能力，但未声明生物特征采集及其审查。"},
      {"PRIV-TRACKING-SDK", "Analytics/tracking SDKs", "统计/跟踪类 SDK",
       "Analytics or tracking SDKs present, listed for the SDK disclosure the app must publish.",
       "存在统计或跟踪类 SDK，列出以供应用公示 SDK 信息。"},
      {"CONTENT-AD-SDK", "Advertising SDK", "广告 SDK",
       "An advertising SDK is present.", "应用集成了广告 SDK。"},
      {"CONTENT-GAME", "Game engine or game SDK", "游戏引擎或游戏 SDK",
       "A game engine or game SDK is present, or game-download links.",
       "应用集成了游戏引擎或游戏 SDK，或含游戏下载链接。"},
      {"CONTENT-PAYMENT-REQUIRED-USE", "Payment in a required-use app", "要求使用类应用含支付",
       "A payment SDK in an app filed as required-use (要求使用).",
       "备案为“要求使用”的应用集成了支付 SDK。"},
      {"CONTENT-PHOTO-SEARCH", "Photo-search homework", "拍照搜题",
       "A photo-search-homework (拍照搜题) capability.", "应用具有拍照搜题功能。"},
      {"CONTENT-LIVE-SUBJECT", "Live streaming in subject training", "学科类培训含直播",
       "A live-streaming SDK in a subject-training app.", "学科类培训应用集成了直播 SDK。"},
      {"CATEGORY-PRESCHOOL", "Training for preschool children", "面向学龄前儿童的培训",
       "Filed as training for preschool children.", "备案为面向学龄前儿童的培训。"},
      {"CATEGORY-SUBJECT-UNLICENSED", "Subject training without a licence", "学科类培训无许可证",
       "Filed as subject training (学科类) without a licence number.",
       "备案为学科类培训但没有办学许可证号。"},
      {"SEC-DEBUGGABLE", "Debuggable release", "发布版本可调试",
       "android:debuggable=\"true\" in a release.", "发布版本设置了 android:debuggable=\"true\"。"},
      {"SEC-CLEARTEXT", "Cleartext traffic allowed", "允许明文传输",
       "Cleartext traffic allowed (usesCleartextTraffic, network security config, iOS "
       "NSAllowsArbitraryLoads).",
       "允许明文流量（usesCleartextTraffic、网络安全配置、iOS NSAllowsArbitraryLoads）。"},
      {"SEC-ALLOW-BACKUP", "Backup allowed", "允许备份",
       "allowBackup not disabled while personal data is collected.",
       "收集个人数据时未关闭 allowBackup。"},
      {"SEC-EXPORTED", "Exported components without a guard", "导出组件无权限保护",
       "Exported components without a permission guard.", "存在未受权限保护的导出组件。"},
      {"SEC-PACKED", "Packed code: analysis incomplete", "代码加固：分析不完整",
       "The code is packed or encrypted (Legu, Jiagu, Bangcle, iJiami; FairPlay-encrypted "
       "Mach-O): analysis incomplete.",
       "代码经过加固或加密（乐固、加固保、梆梆、爱加密；FairPlay 加密的 Mach-O），分析不完整。"},
      {"SEC-MALFORMED", "Malformed package: analysis incomplete", "安装包格式异常：分析不完整",
       "The package is malformed or over a limit; the report says what was and was not analysed.",
       "安装包格式异常或超出限制；报告说明已分析和未分析的部分。"},
  };
  return *kTexts;
}

const RuleText* FindRuleText(std::string_view id) {
  for (const RuleText& t : RuleTexts())
    if (id == t.id) return &t;
  return nullptr;
}

}  // namespace shelfguard::policy
