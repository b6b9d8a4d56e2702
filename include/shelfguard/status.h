// Status and Result<T>: errors are values, never exceptions across modules.
//
// A Status is either OK or carries a stable machine-readable code (used in
// reports as errors[].code) and a human message naming what went wrong.
#ifndef SHELFGUARD_STATUS_H_
#define SHELFGUARD_STATUS_H_

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace shelfguard {

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(std::string code, std::string message)
      : code_(std::move(code)), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  // Input is structurally broken (bad magic, offset past end, ...).
  static Status Malformed(std::string msg) { return Status("malformed", std::move(msg)); }
  // Input exceeds a configured Limits value.
  static Status OverLimit(std::string msg) { return Status("over-limit", std::move(msg)); }
  static Status NotFound(std::string msg) { return Status("not-found", std::move(msg)); }
  static Status Unsupported(std::string msg) { return Status("unsupported", std::move(msg)); }
  static Status IoError(std::string msg) { return Status("io-error", std::move(msg)); }
  static Status Invalid(std::string msg) { return Status("invalid-argument", std::move(msg)); }
  static Status Timeout(std::string msg) { return Status("timeout", std::move(msg)); }

  bool ok() const { return code_.empty(); }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "ok" : code_ + ": " + message_; }
  // Ignores the status explicitly (documents a deliberate choice).
  void IgnoreError() const {}

 private:
  std::string code_;  // empty == OK
  std::string message_;
};

namespace internal {
// Called when value() is used on an error: a programming error. Prints the
// status and aborts, in every build type, rather than throwing
// std::bad_variant_access across a module boundary.
[[noreturn]] inline void ResultValueOnError(const Status& status) {
  std::fprintf(stderr, "shelfguard: Result::value() on an error: %s\n", status.ToString().c_str());
  std::abort();
}
}  // namespace internal

// Result<T>: a T or a non-OK Status. Accessing value() (or * / ->) of an
// error prints the status and aborts, in every build type; callers must
// check ok() first.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}              // NOLINT implicit
  Result(Status status) : v_(std::move(status)) {}       // NOLINT implicit

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return *Checked(); }
  const T& value() const& { return *const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(*Checked()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  T* Checked() {
    T* v = std::get_if<T>(&v_);
    if (v == nullptr) internal::ResultValueOnError(std::get<Status>(v_));
    return v;
  }
  std::variant<T, Status> v_;
};

#define SG_RETURN_IF_ERROR(expr)          \
  do {                                    \
    ::shelfguard::Status sg_st_ = (expr); \
    if (!sg_st_.ok()) return sg_st_;      \
  } while (0)

}  // namespace shelfguard

#endif  // SHELFGUARD_STATUS_H_
