#include "services/fraud/core/alert_words.h"

#include <cstdint>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "uwallet/common/locale.h"

namespace uwallet::fraud {
namespace {

std::string Arg(const Alert& alert, const std::string& name) {
  auto it = alert.message_args.find(name);
  return it == alert.message_args.end() ? std::string() : it->second;
}

// "¥12.34" for yuan, "12.34 USD" for another currency; "" when the argument is not an amount.
std::string Money(const Alert& alert, const std::string& name) {
  int64_t minor = 0;
  if (!absl::SimpleAtoi(Arg(alert, name), &minor)) return "";
  const std::string currency = Arg(alert, "currency");
  const uint64_t magnitude = minor < 0 ? 0 - static_cast<uint64_t>(minor) : minor;
  const std::string digits =
      absl::StrFormat("%s%d.%02d", minor < 0 ? "-" : "", magnitude / 100, magnitude % 100);
  if (currency.empty() || currency == "CNY") return absl::StrCat("¥", digits);
  return absl::StrCat(digits, " ", currency);
}

struct ReasonWords {
  const char* en;  // the end of a sentence
  const char* zh;  // a sentence (the web console says the same)
};

// Payments' failure reasons in both languages, in one place.
const ReasonWords* WordsOfReason(const std::string& reason) {
  static const auto* words = new std::map<std::string, ReasonWords>{
      {"INSUFFICIENT_FUNDS",
       {"there was not enough money in your wallet for the amount and fee", "余额不足。"}},
      {"LIMIT_EXCEEDED", {"it was over your payment limit", "超过了付款限额。"}},
      {"ACCOUNT_FROZEN", {"your account is frozen; contact support", "账户已冻结，请联系客服。"}},
      {"CARD_DECLINED",
       {"your bank declined it; try another card", "银行拒绝了这笔交易，请换一张卡或联系银行。"}},
      {"BANK_UNAVAILABLE",
       {"your bank did not answer; try again later", "暂时连不上银行，请稍后再试。"}},
      {"PAYEE_NOT_FOUND", {"the payee could not be found", "找不到这个收款人。"}},
      {"MERCHANT_NOT_FOUND", {"the merchant could not be found", "找不到这个商户。"}},
      {"QR_CODE_EXPIRED",
       {"the payment code had expired or was already paid", "这个二维码已过期或已付款。"}},
  };
  auto it = words->find(reason);
  return it == words->end() ? nullptr : &it->second;
}

std::string NounZh(const std::string& kind) {
  if (kind == "transfer") return "你的转账";
  if (kind == "top_up") return "你的充值";
  if (kind == "withdrawal") return "你的提现";
  if (kind == "refund") return "你的退款";
  return "你的付款";
}

constexpr char kNotYou[] = "如果不是你本人操作，请立即报告账户被盗。";

// The Chinese words for the alert's key; false when the key is not one this version words.
bool Chinese(const Alert& a, AlertWords* out) {
  const std::string& key = a.message_key;
  const std::string amount = Money(a, "amount_minor");
  if (key == "new_device") {
    const std::string device = Arg(a, "device_name");
    *out = {"新设备登录", absl::StrCat("你的账户在一台新设备",
                                       device.empty() ? "" : absl::StrCat("（", device, "）"),
                                       "上登录了。", kNotYou)};
  } else if (key == "device_forgotten") {
    const std::string device = Arg(a, "device_name");
    *out = {"设备已不再受信任",
            absl::StrCat("一台设备", device.empty() ? "" : absl::StrCat("（", device, "）"),
                         "已不再受你的账户信任，并已退出登录。", kNotYou)};
  } else if (key == "password_changed") {
    *out = {"登录密码已修改", absl::StrCat("你的登录密码已修改。", kNotYou)};
  } else if (key == "two_factor_changed") {
    *out = {"两步验证已变更", "你账户的两步验证设置已变更。"};
  } else if (key == "account_locked") {
    *out = {"账户已锁定", "由于多次输错密码，你的账户已被锁定。"};
  } else if (key == "account_frozen") {
    *out = {"账户已冻结", "你的账户已被冻结，请联系客服恢复使用。"};
  } else if (key == "contact_changed") {
    *out = {"联系方式已变更", "你账户绑定的手机号或邮箱已变更。"};
  } else if (key == "payment_held") {
    *out = {"付款待安全审核",
            amount.empty()
                ? std::string("一笔付款已暂停，等待安全审核。")
                : absl::StrCat("一笔 ", amount, " 的付款已暂停，等待安全审核。", kNotYou)};
  } else if (key == "payment_declined") {
    *out = {"付款被拒绝",
            absl::StrCat("为保障账户安全，一笔 ", amount, " 的付款被拒绝。", kNotYou)};
  } else if (key == "payment_failed") {
    const std::string kind = Arg(a, "payment_kind");
    *out = {"付款未完成", absl::StrCat(NounZh(kind), "（", amount, "）未能完成：",
                                       FailureInChinese(Arg(a, "reason")),
                                       kind == "top_up" ? "没有扣款。" : "钱包里的钱没有被扣除。")};
  } else if (key == "schedule_run_failed") {
    const std::string payee = Arg(a, "payee");
    *out = {
        "定时转账未完成",
        absl::StrCat(payee.empty() ? "你的定时转账" : absl::StrCat("你给 ", payee, " 的定时转账"),
                     "（", amount, "）未能完成：", FailureInChinese(Arg(a, "reason")),
                     "钱包里的钱没有被扣除，下次日期仍会照常执行。")};
  } else if (key == "refund_received") {
    *out = {"退款已到账", absl::StrCat(amount, " 已退回你的钱包。")};
  } else if (key == "refund_request_declined") {
    const std::string refunded = Arg(a, "refunded_minor");
    *out = {"退款申请被拒绝",
            absl::StrCat("商家拒绝了你 ", amount, " 的退款申请",
                         refunded.empty() || refunded == "0"
                             ? ""
                             : absl::StrCat("（其中 ", Money(a, "refunded_minor"), " 已退款）"),
                         "，理由：“", Arg(a, "merchant_reason"),
                         "”。如有异议，可以对这笔付款发起争议。")};
  } else if (key == "payment_sent") {
    *out = {"已付款", absl::StrCat(amount, " 已从你的钱包付出。")};
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string FailureInWords(const std::string& reason) {
  if (const ReasonWords* words = WordsOfReason(reason)) return words->en;
  return reason.empty() ? std::string("it could not be completed")
                        : absl::StrCat("it could not be completed (", reason, ")");
}

std::string FailureInChinese(const std::string& reason) {
  if (const ReasonWords* words = WordsOfReason(reason)) return words->zh;
  return absl::StrCat("未能完成（", reason.empty() ? "—" : reason, "）。");
}

AlertWords WordsFor(const Alert& alert, absl::string_view locale) {
  AlertWords words{alert.title, alert.body};
  if (SpeaksChinese(locale)) (void)Chinese(alert, &words);
  return words;
}

}  // namespace uwallet::fraud
