#include "services/auth/storage/pg_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "services/auth/core/errors.h"
#include "uwallet/common/status.h"
#include "uwallet/crypto/encoding.h"

namespace uwallet::auth {
namespace {

// Timestamps travel as RFC 3339 text with microseconds and come back as epoch microseconds.
pg::Param TimeParam(absl::Time time) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return std::nullopt;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", time, absl::UTCTimeZone());
}

absl::Time TimeAt(const pg::Result& result, int row, int column) {
  if (result.IsNull(row, column)) return absl::InfinitePast();
  return absl::FromUnixMicros(result.Int(row, column));
}

#define UW_US(column) "(extract(epoch from " column ") * 1000000)::bigint"

// clang-format off
constexpr char kDevicesSql[] =
    "SELECT device_id, name, platform, app_version, "
    UW_US("first_seen_at") ", " UW_US("last_seen_at") ", last_ip, secret_hash IS NOT NULL"
    " FROM devices WHERE user_id = $1::uuid ORDER BY last_seen_at DESC LIMIT $2";
constexpr char kTotpSelectSql[] =
    "SELECT secret_sealed, enabled, " UW_US("pending_expires_at") ", last_used_counter, "
    UW_US("created_at") ", " UW_US("enabled_at")
    " FROM totp_secrets WHERE user_id = $1::uuid";
// clang-format on

pg::Param OptionalText(const std::string& text) {
  return text.empty() ? pg::Param() : pg::Param(text);
}

// Roles and code hashes are plain identifiers / base64url: no quoting needed in array literals.
std::string ArrayLiteral(const std::vector<std::string>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

std::string JsonText(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::Status ContactTaken(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kAlreadyExists) return status;
  const std::string constraint = pg::ConstraintOf(status);
  if (constraint == "users_phone_key" || constraint == "users_email_key") {
    return WithReason(absl::StatusCode::kAlreadyExists, reason::kContactAlreadyRegistered,
                      "this phone or email is already registered");
  }
  return status;
}

// clang-format off
constexpr char kUserColumns[] =
    "user_id::text, coalesce(phone, ''), coalesce(email, ''), phone_verified, email_verified,"
    " display_name, locale, array_to_string(roles, ','), status, coalesce(frozen_reason, ''),"
    " coalesce(frozen_by, ''), coalesce(frozen_case_id, ''), "
    UW_US("frozen_at") ", " UW_US("created_at") ", " UW_US("updated_at") ", "
    UW_US("last_login_at");
// clang-format on

User UserAt(const pg::Result& r, int row) {
  User user;
  user.user_id = r.String(row, 0);
  user.phone = r.String(row, 1);
  user.email = r.String(row, 2);
  user.phone_verified = r.Bool(row, 3);
  user.email_verified = r.Bool(row, 4);
  user.display_name = r.String(row, 5);
  user.locale = r.String(row, 6);
  user.roles = absl::StrSplit(r.String(row, 7), ',', absl::SkipEmpty());
  user.frozen = r.String(row, 8) == "frozen";
  user.frozen_reason = r.String(row, 9);
  user.frozen_by = r.String(row, 10);
  user.frozen_case_id = r.String(row, 11);
  user.frozen_at = TimeAt(r, row, 12);
  user.created_at = TimeAt(r, row, 13);
  user.updated_at = TimeAt(r, row, 14);
  user.last_login_at = TimeAt(r, row, 15);
  return user;
}

std::vector<User> UsersOf(const pg::Result& r) {
  std::vector<User> users;
  users.reserve(r.Rows());
  for (int row = 0; row < r.Rows(); ++row) users.push_back(UserAt(r, row));
  return users;
}

std::string UserByIdSql(bool for_update) {
  return absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE user_id = $1::uuid",
                      for_update ? " FOR UPDATE" : "");
}

// clang-format off
#define UW_LOCKOUT_COLUMNS                                                        \
  "failed_attempts, lock_count, " UW_US("locked_at") ", " UW_US("locked_until") \
  ", locked_indefinitely, " UW_US("last_failed_at")
// clang-format on

std::string LockoutSql(bool for_update) {
  return absl::StrCat("SELECT " UW_LOCKOUT_COLUMNS " FROM lockouts WHERE user_id = $1::uuid",
                      for_update ? " FOR UPDATE" : "");
}

// The six lockout columns from `column` on; a missing row (NULLs) is a cleared lockout.
LockState LockStateAt(const pg::Result& r, int row, int column) {
  LockState state;
  if (r.IsNull(row, column)) return state;
  state.failed_attempts = static_cast<int>(r.Int(row, column));
  state.lock_count = static_cast<int>(r.Int(row, column + 1));
  state.locked_at = TimeAt(r, row, column + 2);
  state.locked_until = TimeAt(r, row, column + 3);
  state.locked_indefinitely = r.Bool(row, column + 4);
  state.last_failed_at = TimeAt(r, row, column + 5);
  return state;
}

pg::Connection::Query SetLockoutQuery(absl::string_view user_id, const LockState& state) {
  return {
      "INSERT INTO lockouts (user_id, failed_attempts, lock_count, locked_at,"
      " locked_until, locked_indefinitely, last_failed_at)"
      " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id) DO UPDATE SET"
      " failed_attempts = $2, lock_count = $3, locked_at = $4, locked_until = $5,"
      " locked_indefinitely = $6, last_failed_at = $7",
      pg::P(user_id, state.failed_attempts, state.lock_count, TimeParam(state.locked_at),
            TimeParam(state.locked_until), state.locked_indefinitely,
            TimeParam(state.last_failed_at))};
}

// `new_secret_hash` empty: the device keeps the secret it has (or none).
pg::Connection::Query TouchDeviceQuery(absl::string_view user_id, const Device& device,
                                       absl::string_view ip, absl::Time now,
                                       absl::string_view new_secret_hash = "") {
  return {
      "INSERT INTO devices (user_id, device_id, name, platform, app_version,"
      " first_seen_at, last_seen_at, last_ip, secret_hash)"
      " VALUES ($1::uuid, $2, $3, $4, $5, $6, $6, $7, NULLIF($8, ''))"
      " ON CONFLICT (user_id, device_id) DO UPDATE SET name = $3, platform = $4,"
      " app_version = $5, last_seen_at = $6, last_ip = $7,"
      " secret_hash = coalesce(NULLIF($8, ''), devices.secret_hash)"
      " RETURNING (xmax = 0)",
      pg::P(user_id, device.device_id, device.name, device.platform, device.app_version,
            TimeParam(now), ip, new_secret_hash)};
}

pg::Connection::Query SecurityEventQuery(const SecurityEvent& event) {
  return {
      "INSERT INTO security_events (event_id, user_id, kind, occurred_at, ip,"
      " device_id, device_name, platform, detail)"
      " VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9)",
      pg::P(event.event_id, event.user_id, SecurityEventKindName(event.kind),
            TimeParam(event.occurred_at), event.ip, event.device.device_id, event.device.name,
            event.device.platform, event.detail)};
}

events::Outbox::NewEvent SecurityOutboxEvent(const SecurityEvent& event) {
  nlohmann::json payload = {
      {"security_event_id", event.event_id},
      {"user_id", event.user_id},
      {"kind", SecurityEventKindName(event.kind)},
      {"occurred_at", absl::FormatTime(absl::RFC3339_full, event.occurred_at, absl::UTCTimeZone())},
      {"ip", event.ip},
      {"device_id", event.device.device_id},
      {"device_name", event.device.name},
      {"platform", event.device.platform},
      {"detail", event.detail}};
  if (event.kind == SecurityEventKind::kTotpEnabled ||
      event.kind == SecurityEventKind::kTotpDisabled) {
    payload["enabled"] = event.kind == SecurityEventKind::kTotpEnabled;
  }
  for (const auto& [name, value] : event.attributes) payload[name] = value;
  return {.type = OutboxEventType(event.kind),
          .subject_id = event.user_id,
          .payload_json = JsonText(payload)};
}

class PgAuthTx final : public AuthTx {
 public:
  PgAuthTx(pg::Connection& conn, events::Outbox& outbox) : conn_(conn), outbox_(outbox) {}

  absl::StatusOr<std::optional<User>> UserById(absl::string_view user_id,
                                               bool for_update) override {
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec(UserByIdSql(for_update), pg::P(user_id)));
    if (r.Rows() == 0) return std::optional<User>();
    return std::optional<User>(UserAt(r, 0));
  }

  absl::StatusOr<std::optional<User>> UserByContact(const Contact& contact,
                                                    bool for_update) override {
    const char* column = contact.kind == ContactKind::kPhone ? "phone" : "email";
    UW_ASSIGN_OR_RETURN(
        pg::Result r, conn_.Exec(absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE ", column,
                                              " = $1", for_update ? " FOR UPDATE" : ""),
                                 pg::P(contact.value)));
    if (r.Rows() == 0) return std::optional<User>();
    return std::optional<User>(UserAt(r, 0));
  }

  absl::Status InsertUser(const User& user, absl::string_view password_hash) override {
    UW_RETURN_IF_ERROR(ContactTaken(
        conn_
            .Exec("INSERT INTO users (user_id, phone, email, phone_verified, email_verified,"
                  " display_name, locale, roles, status, created_at, updated_at)"
                  " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::text[], 'active', $9, $9)",
                  pg::P(user.user_id, OptionalText(user.phone), OptionalText(user.email),
                        user.phone_verified, user.email_verified, user.display_name, user.locale,
                        ArrayLiteral(user.roles), TimeParam(user.created_at)))
            .status()));
    UW_RETURN_IF_ERROR(conn_
                           .Exec("INSERT INTO credentials (user_id, password_hash,"
                                 " password_changed_at) VALUES ($1::uuid, $2, $3)",
                                 pg::P(user.user_id, password_hash, TimeParam(user.created_at)))
                           .status());
    return conn_.Exec("INSERT INTO lockouts (user_id) VALUES ($1::uuid)", pg::P(user.user_id))
        .status();
  }

  absl::Status UpdateUser(const User& user) override {
    return ContactTaken(
        conn_
            .Exec("UPDATE users SET phone = $2, email = $3, phone_verified = $4,"
                  " email_verified = $5, display_name = $6, locale = $7, roles = $8::text[],"
                  " status = $9, frozen_reason = $10, frozen_by = $11, frozen_at = $12,"
                  " frozen_case_id = $13, updated_at = $14, last_login_at = $15"
                  " WHERE user_id = $1::uuid",
                  pg::P(user.user_id, OptionalText(user.phone), OptionalText(user.email),
                        user.phone_verified, user.email_verified, user.display_name, user.locale,
                        ArrayLiteral(user.roles), user.frozen ? "frozen" : "active",
                        OptionalText(user.frozen_reason), OptionalText(user.frozen_by),
                        TimeParam(user.frozen_at), OptionalText(user.frozen_case_id),
                        TimeParam(user.updated_at), TimeParam(user.last_login_at)))
            .status());
  }

  absl::StatusOr<bool> AnyUserWithRole(absl::string_view role) override {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        conn_.Exec("SELECT EXISTS (SELECT 1 FROM users WHERE $1 = ANY (roles))", pg::P(role)));
    return r.Bool(0, 0);
  }

  absl::StatusOr<std::vector<User>> FindUsers(const UserQuery& query) override {
    const pg::Param after =
        query.after_user_id.empty() ? pg::Param() : pg::Param(query.after_user_id);
    pg::Result r;
    if (!query.user_id.empty()) {
      UW_ASSIGN_OR_RETURN(r, conn_.Exec(absl::StrCat("SELECT ", kUserColumns,
                                                     " FROM users WHERE user_id = $1::uuid"
                                                     " AND ($2::uuid IS NULL OR user_id > $2::uuid)"
                                                     " ORDER BY user_id LIMIT $3"),
                                        pg::P(query.user_id, after, query.limit)));
    } else if (query.by_contact) {
      const char* column = query.contact.kind == ContactKind::kPhone ? "phone" : "email";
      UW_ASSIGN_OR_RETURN(
          r, conn_.Exec(absl::StrCat("SELECT ", kUserColumns, " FROM users WHERE ", column,
                                     " = $1 AND ($2::uuid IS NULL OR user_id > $2::uuid)"
                                     " ORDER BY user_id LIMIT $3"),
                        pg::P(query.contact.value, after, query.limit)));
    } else {
      std::string pattern;
      for (char c : query.display_name_prefix) {
        if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
        pattern.push_back(c);
      }
      pattern.push_back('%');
      UW_ASSIGN_OR_RETURN(
          r, conn_.Exec(absl::StrCat("SELECT ", kUserColumns,
                                     " FROM users WHERE lower(display_name) LIKE lower($1)"
                                     " AND ($2::uuid IS NULL OR user_id > $2::uuid)"
                                     " ORDER BY user_id LIMIT $3"),
                        pg::P(pattern, after, query.limit)));
    }
    return UsersOf(r);
  }

  absl::StatusOr<std::string> PasswordHash(absl::string_view user_id) override {
    UW_ASSIGN_OR_RETURN(pg::Result r,
                        conn_.Exec("SELECT password_hash FROM credentials WHERE user_id = $1::uuid",
                                   pg::P(user_id)));
    if (r.Rows() == 0) return absl::InternalError("user without credentials");
    return r.String(0, 0);
  }

  absl::Status SetPasswordHash(absl::string_view user_id, absl::string_view hash,
                               absl::Time now) override {
    return conn_
        .Exec(
            "UPDATE credentials SET password_hash = $2, password_changed_at = $3"
            " WHERE user_id = $1::uuid",
            pg::P(user_id, hash, TimeParam(now)))
        .status();
  }

  absl::StatusOr<LockState> Lockout(absl::string_view user_id, bool for_update) override {
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec(LockoutSql(for_update), pg::P(user_id)));
    if (r.Rows() == 0) return LockState();
    return LockStateAt(r, 0, 0);
  }

  absl::StatusOr<std::map<std::string, LockState>> Lockouts(
      const std::vector<std::string>& user_ids) override {
    std::map<std::string, LockState> locks;
    if (user_ids.empty()) return locks;
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec("SELECT user_id::text, " UW_LOCKOUT_COLUMNS
                                                 " FROM lockouts WHERE user_id = ANY($1::uuid[])",
                                                 pg::P(ArrayLiteral(user_ids))));
    for (int i = 0; i < r.Rows(); ++i) locks[r.String(i, 0)] = LockStateAt(r, i, 1);
    return locks;
  }

  absl::Status SetLockout(absl::string_view user_id, const LockState& state) override {
    const pg::Connection::Query query = SetLockoutQuery(user_id, state);
    return conn_.Exec(query.sql, query.params).status();
  }

  absl::StatusOr<bool> TouchDevice(absl::string_view user_id, const Device& device,
                                   absl::string_view ip, absl::Time now) override {
    const pg::Connection::Query query = TouchDeviceQuery(user_id, device, ip, now);
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec(query.sql, query.params));
    return r.Rows() == 1 && r.Bool(0, 0);
  }

  absl::StatusOr<std::vector<KnownDevice>> Devices(absl::string_view user_id) override {
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec(kDevicesSql, pg::P(user_id, kKnownDevicesMax)));
    std::vector<KnownDevice> devices;
    for (int row = 0; row < r.Rows(); ++row) {
      KnownDevice known;
      known.device.device_id = r.String(row, 0);
      known.device.name = r.String(row, 1);
      known.device.platform = static_cast<int>(r.Int(row, 2));
      known.device.app_version = r.String(row, 3);
      known.first_seen_at = TimeAt(r, row, 4);
      known.last_seen_at = TimeAt(r, row, 5);
      known.last_ip = r.String(row, 6);
      known.trusted = r.Bool(row, 7);
      devices.push_back(std::move(known));
    }
    return devices;
  }

  absl::StatusOr<std::optional<Device>> ForgetDevice(absl::string_view user_id,
                                                     absl::string_view device_id) override {
    UW_ASSIGN_OR_RETURN(pg::Result r,
                        conn_.Exec("UPDATE devices SET secret_hash = NULL"
                                   " WHERE user_id = $1::uuid AND device_id = $2"
                                   " RETURNING device_id, name, platform, app_version",
                                   pg::P(user_id, device_id)));
    if (r.Rows() == 0) return std::optional<Device>();
    return std::optional<Device>(Device{.device_id = r.String(0, 0),
                                        .name = r.String(0, 1),
                                        .platform = static_cast<int>(r.Int(0, 2)),
                                        .app_version = r.String(0, 3)});
  }

  absl::StatusOr<int> ForgetAllDevices(absl::string_view user_id) override {
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec("UPDATE devices SET secret_hash = NULL"
                                                 " WHERE user_id = $1::uuid"
                                                 " AND secret_hash IS NOT NULL",
                                                 pg::P(user_id)));
    return static_cast<int>(r.Affected());
  }

  absl::StatusOr<std::optional<SignInLock>> LockForSignIn(absl::string_view user_id,
                                                          const Device& device) override {
    // One round trip. The statements run in order, each with its own snapshot (READ COMMITTED):
    // the device is looked up after the user's row lock is held, so it sees every device a
    // concurrent sign-in of this user recorded.
    std::vector<pg::Connection::Query> queries = {{UserByIdSql(true), pg::P(user_id)},
                                                  {LockoutSql(true), pg::P(user_id)}};
    const bool ask = !device.device_id.empty() && !device.secret_hash.empty();
    if (ask) {
      queries.push_back(
          {"SELECT EXISTS (SELECT 1 FROM devices"
           " WHERE user_id = $1::uuid AND device_id = $2 AND secret_hash = $3)",
           pg::P(user_id, device.device_id, device.secret_hash)});
    }
    UW_ASSIGN_OR_RETURN(std::vector<pg::Result> results, conn_.ExecPipeline(queries));
    if (results[0].Rows() == 0) return std::optional<SignInLock>();
    SignInLock lock;
    lock.user = UserAt(results[0], 0);
    if (results[1].Rows() == 1) lock.lock = LockStateAt(results[1], 0, 0);
    lock.device_known = ask && results[2].Bool(0, 0);
    return std::optional<SignInLock>(std::move(lock));
  }

  absl::Status RecordSignIn(const SignInRecord& record) override {
    // One round trip for every write.
    std::vector<pg::Connection::Query> queries;
    if (record.clear_lockout) queries.push_back(SetLockoutQuery(record.user_id, LockState()));
    queries.push_back({"UPDATE users SET last_login_at = $2 WHERE user_id = $1::uuid",
                       pg::P(record.user_id, TimeParam(record.now))});
    if (record.device) {
      queries.push_back(TouchDeviceQuery(record.user_id, *record.device, record.ip, record.now,
                                         record.new_device_secret_hash));
    }
    std::vector<events::Outbox::NewEvent> outbox_events;
    for (const SecurityEvent& event : record.events) {
      queries.push_back(SecurityEventQuery(event));
      outbox_events.push_back(SecurityOutboxEvent(event));
    }
    if (!outbox_events.empty()) {
      UW_ASSIGN_OR_RETURN(events::Outbox::BatchStatement outbox,
                          outbox_.PrepareBatch(outbox_events));
      queries.push_back({std::move(outbox.sql), std::move(outbox.params)});
    }
    // The sign-in's last round trip carries the COMMIT (see ports.h).
    return conn_.ExecPipelineAndCommit(queries).status();
  }

  absl::StatusOr<std::optional<TotpRecord>> Totp(absl::string_view user_id,
                                                 bool for_update) override {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        conn_.Exec(absl::StrCat(kTotpSelectSql, for_update ? " FOR UPDATE" : ""), pg::P(user_id)));
    if (r.Rows() == 0) return std::optional<TotpRecord>();
    TotpRecord record;
    record.user_id = std::string(user_id);
    std::string hex = r.String(0, 0);
    if (hex.size() < 2 || hex[0] != '\\' || hex[1] != 'x') {
      return absl::DataLossError("unexpected bytea format");
    }
    UW_ASSIGN_OR_RETURN(record.sealed_secret, crypto::HexDecode(hex.substr(2)));
    record.enabled = r.Bool(0, 1);
    record.pending_expires_at = TimeAt(r, 0, 2);
    record.last_used_counter = r.Int(0, 3);
    record.created_at = TimeAt(r, 0, 4);
    record.enabled_at = TimeAt(r, 0, 5);
    return std::optional<TotpRecord>(std::move(record));
  }

  absl::Status PutTotp(const TotpRecord& record) override {
    return conn_
        .Exec(
            "INSERT INTO totp_secrets (user_id, secret_sealed, enabled, pending_expires_at,"
            " last_used_counter, created_at, enabled_at)"
            " VALUES ($1::uuid, $2::bytea, $3, $4, $5, $6, $7) ON CONFLICT (user_id) DO UPDATE"
            " SET secret_sealed = $2::bytea, enabled = $3, pending_expires_at = $4,"
            " last_used_counter = $5, created_at = $6, enabled_at = $7",
            pg::P(record.user_id, absl::StrCat("\\x", crypto::HexEncode(record.sealed_secret)),
                  record.enabled, TimeParam(record.pending_expires_at), record.last_used_counter,
                  TimeParam(record.created_at), TimeParam(record.enabled_at)))
        .status();
  }

  absl::Status DeleteTotp(absl::string_view user_id) override {
    UW_RETURN_IF_ERROR(
        conn_.Exec("DELETE FROM recovery_codes WHERE user_id = $1::uuid", pg::P(user_id)).status());
    return conn_.Exec("DELETE FROM totp_secrets WHERE user_id = $1::uuid", pg::P(user_id)).status();
  }

  absl::StatusOr<bool> AdvanceTotpCounter(absl::string_view user_id, int64_t counter) override {
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec("UPDATE totp_secrets SET last_used_counter = $2"
                                                 " WHERE user_id = $1::uuid AND enabled"
                                                 " AND last_used_counter < $2",
                                                 pg::P(user_id, counter)));
    return r.Affected() == 1;
  }

  absl::Status ReplaceRecoveryCodes(absl::string_view user_id,
                                    const std::vector<std::string>& code_hashes) override {
    UW_RETURN_IF_ERROR(
        conn_.Exec("DELETE FROM recovery_codes WHERE user_id = $1::uuid", pg::P(user_id)).status());
    return conn_
        .Exec(
            "INSERT INTO recovery_codes (user_id, code_hash)"
            " SELECT $1::uuid, unnest($2::text[])",
            pg::P(user_id, ArrayLiteral(code_hashes)))
        .status();
  }

  absl::StatusOr<bool> UseRecoveryCode(absl::string_view user_id, absl::string_view code_hash,
                                       absl::Time now) override {
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec("UPDATE recovery_codes SET used_at = $3"
                                                 " WHERE user_id = $1::uuid AND code_hash = $2"
                                                 " AND used_at IS NULL",
                                                 pg::P(user_id, code_hash, TimeParam(now))));
    return r.Affected() == 1;
  }

  absl::StatusOr<int> UnusedRecoveryCodes(absl::string_view user_id) override {
    UW_ASSIGN_OR_RETURN(pg::Result r, conn_.Exec("SELECT count(*) FROM recovery_codes"
                                                 " WHERE user_id = $1::uuid AND used_at IS NULL",
                                                 pg::P(user_id)));
    return static_cast<int>(r.Int(0, 0));
  }

  absl::Status AppendSecurityEvent(const SecurityEvent& event) override {
    const pg::Connection::Query query = SecurityEventQuery(event);
    UW_RETURN_IF_ERROR(conn_.Exec(query.sql, query.params).status());
    const events::Outbox::NewEvent outbox_event = SecurityOutboxEvent(event);
    return outbox_
        .Append(conn_, outbox_event.type, outbox_event.subject_id, outbox_event.payload_json)
        .status();
  }

  absl::StatusOr<std::vector<SecurityEvent>> RecentSecurityEvents(absl::string_view user_id,
                                                                  int limit) override {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        conn_.Exec("SELECT event_id::text, kind, " UW_US(
                       "occurred_at") ", ip, device_id, device_name, platform, detail"
                                      " FROM security_events WHERE user_id = $1::uuid"
                                      " ORDER BY occurred_at DESC, event_id DESC LIMIT $2",
                   pg::P(user_id, limit)));
    std::vector<SecurityEvent> events;
    for (int row = 0; row < r.Rows(); ++row) {
      SecurityEvent event;
      event.event_id = r.String(row, 0);
      event.user_id = std::string(user_id);
      if (!SecurityEventKindFromName(r.String(row, 1), &event.kind)) continue;
      event.occurred_at = TimeAt(r, row, 2);
      event.ip = r.String(row, 3);
      event.device.device_id = r.String(row, 4);
      event.device.name = r.String(row, 5);
      event.device.platform = static_cast<int>(r.Int(row, 6));
      event.detail = r.String(row, 7);
      events.push_back(std::move(event));
    }
    return events;
  }

  absl::Status AppendAudit(const AuditEntry& entry) override {
    nlohmann::json metadata = nlohmann::json::object();
    for (const auto& [name, value] : entry.metadata) metadata[name] = value;
    return conn_
        .Exec(
            "INSERT INTO audit_log (audit_id, actor_id, actor_roles, action, target_user_id,"
            " reason, identity_check_method, identity_check_note, request_id, metadata,"
            " created_at) VALUES ($1::uuid, $2, $3::text[], $4, $5::uuid, $6, $7, $8, $9,"
            " $10::jsonb, $11)",
            pg::P(entry.audit_id, entry.actor_id, ArrayLiteral(entry.actor_roles), entry.action,
                  OptionalText(entry.target_user_id), entry.reason, entry.identity_check.method,
                  entry.identity_check.note, entry.request_id, JsonText(metadata),
                  TimeParam(entry.created_at)))
        .status();
  }

  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) override {
    UW_ASSIGN_OR_RETURN(
        pg::Result r,
        conn_.Exec("SELECT audit_id::text, actor_id, array_to_string(actor_roles, ','), action,"
                   " coalesce(target_user_id::text, ''), reason, identity_check_method,"
                   " identity_check_note, request_id, metadata::text, " UW_US(
                       "created_at") " FROM audit_log"
                                     " WHERE ($1::uuid IS NULL OR target_user_id = $1::uuid)"
                                     " AND ($2::text IS NULL OR actor_id = $2)"
                                     " AND ($3::text IS NULL OR action = $3)"
                                     " AND ($4::timestamptz IS NULL OR created_at >= $4)"
                                     " AND ($5::timestamptz IS NULL OR created_at < $5)"
                                     " AND ($6::uuid IS NULL OR audit_id < $6::uuid)"
                                     " ORDER BY audit_id DESC LIMIT $7",
                   pg::P(OptionalText(filter.target_user_id), OptionalText(filter.actor_id),
                         OptionalText(filter.action), TimeParam(filter.from), TimeParam(filter.to),
                         OptionalText(filter.before_audit_id), filter.limit)));
    std::vector<AuditEntry> entries;
    for (int row = 0; row < r.Rows(); ++row) {
      AuditEntry entry;
      entry.audit_id = r.String(row, 0);
      entry.actor_id = r.String(row, 1);
      entry.actor_roles = absl::StrSplit(r.String(row, 2), ',', absl::SkipEmpty());
      entry.action = r.String(row, 3);
      entry.target_user_id = r.String(row, 4);
      entry.reason = r.String(row, 5);
      entry.identity_check.method = static_cast<int>(r.Int(row, 6));
      entry.identity_check.note = r.String(row, 7);
      entry.request_id = r.String(row, 8);
      const nlohmann::json metadata = nlohmann::json::parse(r.String(row, 9), nullptr, false);
      if (metadata.is_object()) {
        for (const auto& [name, value] : metadata.items()) {
          entry.metadata[name] = value.is_string() ? value.get<std::string>() : value.dump();
        }
      }
      entry.created_at = TimeAt(r, row, 10);
      entries.push_back(std::move(entry));
    }
    return entries;
  }

 private:
  pg::Connection& conn_;
  events::Outbox& outbox_;
};

}  // namespace

absl::Status PgAuthStore::Transact(const std::function<absl::Status(AuthTx&)>& body) {
  return pool_.Transact([&](pg::Connection& conn) -> absl::Status {
    PgAuthTx tx(conn, outbox_);
    return body(tx);
  });
}

absl::StatusOr<std::optional<SignInCandidate>> PgAuthStore::FindSignInCandidate(
    const Contact& contact, const Device& device) {
  // One statement is one snapshot: no transaction (and no BEGIN/COMMIT round trips) needed.
  static const std::string kSelect = absl::StrCat(
      "SELECT ", kUserColumns,
      ", (SELECT password_hash FROM credentials c WHERE c.user_id = users.user_id), l.*,"
      " coalesce((SELECT enabled FROM totp_secrets t WHERE t.user_id = users.user_id), false),"
      " EXISTS (SELECT 1 FROM devices d WHERE d.user_id = users.user_id),"
      " $2 <> '' AND $4 <> '' AND EXISTS (SELECT 1 FROM (SELECT device_id, secret_hash"
      " FROM devices d WHERE d.user_id = users.user_id ORDER BY last_seen_at DESC LIMIT $3) k"
      " WHERE k.device_id = $2 AND k.secret_hash = $4)"
      " FROM users LEFT JOIN LATERAL (SELECT " UW_LOCKOUT_COLUMNS
      " FROM lockouts WHERE lockouts.user_id = users.user_id) l ON true WHERE ");
  const char* column = contact.kind == ContactKind::kPhone ? "phone" : "email";
  UW_ASSIGN_OR_RETURN(pg::Result r, pool_.Exec(absl::StrCat(kSelect, column, " = $1"),
                                               pg::P(contact.value, device.device_id,
                                                     kKnownDevicesMax, device.secret_hash)));
  if (r.Rows() == 0) return std::optional<SignInCandidate>();
  constexpr int kHash = 16;  // after the 16 user columns
  if (r.IsNull(0, kHash)) return absl::InternalError("user without credentials");
  SignInCandidate candidate;
  candidate.user = UserAt(r, 0);
  candidate.password_hash = r.String(0, kHash);
  candidate.lock = LockStateAt(r, 0, kHash + 1);
  candidate.totp_enabled = r.Bool(0, kHash + 7);
  candidate.has_devices = r.Bool(0, kHash + 8);
  candidate.device_known = r.Bool(0, kHash + 9);
  return std::optional<SignInCandidate>(std::move(candidate));
}

}  // namespace uwallet::auth
