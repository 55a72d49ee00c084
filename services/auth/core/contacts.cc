#include "services/auth/core/contacts.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "services/auth/core/errors.h"

namespace uwallet::auth {
namespace {

constexpr size_t kPhoneDigitsMin = 7;   // the shortest national numbers plus a country code
constexpr size_t kPhoneDigitsMax = 15;  // E.164

bool IsEmailLocalChar(unsigned char c) {
  return absl::ascii_isalnum(c) ||
         std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

bool IsDomainLabelChar(unsigned char c) { return absl::ascii_isalnum(c) || c == '-'; }

}  // namespace

bool CountUtf8(absl::string_view text, size_t* code_points) {
  size_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t value = 0;
    if (c < 0x80) {
      length = 1;
      value = c;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2;
      value = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      value = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      value = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      value = (value << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kMinForLength[length]) return false;       // overlong
    if (value > 0x10FFFF) return false;                    // beyond Unicode
    if (value >= 0xD800 && value <= 0xDFFF) return false;  // surrogate
    i += length;
    ++count;
  }
  *code_points = count;
  return true;
}

absl::StatusOr<Contact> NormalizePhone(absl::string_view text, absl::string_view field) {
  if (text.size() > kContactInputBytesMax) return InvalidField(field, "too long");
  text = absl::StripAsciiWhitespace(text);
  std::string digits;
  bool plus = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && i == 0) {
      plus = true;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
      continue;
    } else {
      return InvalidField(field, "a phone number has digits only, in E.164 form (+8613800138000)");
    }
  }
  if (!plus) {
    if (digits.size() > 2 && digits[0] == '0' && digits[1] == '0') {
      digits.erase(0, 2);
    } else {
      return InvalidField(field, "a phone number needs its country code (+8613800138000)");
    }
  }
  if (digits.size() < kPhoneDigitsMin || digits.size() > kPhoneDigitsMax || digits[0] == '0') {
    return InvalidField(field, "not an E.164 phone number");
  }
  return Contact{ContactKind::kPhone, absl::StrCat("+", digits)};
}

absl::StatusOr<Contact> NormalizeEmail(absl::string_view text, absl::string_view field) {
  if (text.size() > kContactInputBytesMax) return InvalidField(field, "too long");
  std::string email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (email.size() > kEmailBytesMax) return InvalidField(field, "too long");
  const size_t at = email.find('@');
  if (at == std::string::npos || email.find('@', at + 1) != std::string::npos) {
    return InvalidField(field, "not an email address");
  }
  const absl::string_view local = absl::string_view(email).substr(0, at);
  const absl::string_view domain = absl::string_view(email).substr(at + 1);
  if (local.empty() || local.size() > kEmailLocalBytesMax || local.front() == '.' ||
      local.back() == '.' || local.find("..") != absl::string_view::npos) {
    return InvalidField(field, "not an email address");
  }
  for (unsigned char c : local) {
    if (!IsEmailLocalChar(c)) return InvalidField(field, "not an email address");
  }
  if (domain.size() < 3 || domain.find('.') == absl::string_view::npos) {
    return InvalidField(field, "not an email address");
  }
  size_t label_length = 0;
  for (size_t i = 0; i < domain.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(domain[i]);
    if (c == '.') {
      if (label_length == 0 || domain[i - 1] == '-') {
        return InvalidField(field, "not an email address");
      }
      label_length = 0;
      continue;
    }
    if (!IsDomainLabelChar(c) || (label_length == 0 && c == '-') || ++label_length > 63) {
      return InvalidField(field, "not an email address");
    }
  }
  if (label_length == 0 || domain.back() == '-') return InvalidField(field, "not an email address");
  return Contact{ContactKind::kEmail, std::move(email)};
}

absl::StatusOr<Contact> NormalizeContact(absl::string_view text, absl::string_view field) {
  if (text.size() > kContactInputBytesMax) return InvalidField(field, "too long");
  if (absl::StripAsciiWhitespace(text).empty()) return InvalidField(field, "required");
  if (text.find('@') != absl::string_view::npos) return NormalizeEmail(text, field);
  return NormalizePhone(text, field);
}

std::string MaskContact(const Contact& contact) {
  const std::string& v = contact.value;
  if (contact.kind == ContactKind::kPhone) {
    if (v.size() <= 8) return std::string(v.size(), '*');
    // Keep the country code and a few digits at both ends: "+86138****8000".
    return absl::StrCat(v.substr(0, v.size() - 8), "****", v.substr(v.size() - 4));
  }
  const size_t at = v.find('@');
  if (at == std::string::npos || at == 0) return "***";
  return absl::StrCat(v.substr(0, 1), "***", v.substr(at));
}

std::string MaskDisplayName(absl::string_view name) {
  // Split into code points (the name is valid UTF-8: checked when it was stored).
  std::vector<absl::string_view> points;
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    size_t length = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    length = std::min(length, name.size() - i);
    points.push_back(name.substr(i, length));
    i += length;
  }
  if (points.empty()) return "";
  if (points.size() == 1) return "*";
  if (points.size() == 2) return absl::StrCat(points[0], "*");
  return absl::StrCat(points.front(), "*", points.back());
}

}  // namespace uwallet::auth
