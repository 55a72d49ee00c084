#include "services/auth/test/fakes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/auth/core/errors.h"

namespace uwallet::auth::testing {
namespace {

absl::Status Down() { return absl::UnavailableError("fake server down"); }

class FakeTx final : public AuthTx {
 public:
  explicit FakeTx(FakeAuthStore::State& state) : s_(state) {}

  absl::StatusOr<std::optional<User>> UserById(absl::string_view user_id, bool) override {
    auto it = s_.users.find(std::string(user_id));
    if (it == s_.users.end()) return std::optional<User>();
    return std::optional<User>(it->second);
  }

  absl::StatusOr<std::optional<User>> UserByContact(const Contact& contact, bool) override {
    for (const auto& [id, user] : s_.users) {
      if (user.Owns(contact)) return std::optional<User>(user);
    }
    return std::optional<User>();
  }

  absl::Status CheckContactsFree(const User& user) {
    for (const auto& [id, other] : s_.users) {
      if (id == user.user_id) continue;
      if ((!user.phone.empty() && other.phone == user.phone) ||
          (!user.email.empty() && other.email == user.email)) {
        return WithReason(absl::StatusCode::kAlreadyExists, reason::kContactAlreadyRegistered,
                          "taken");
      }
    }
    return absl::OkStatus();
  }

  absl::Status InsertUser(const User& user, absl::string_view password_hash) override {
    if (s_.users.count(user.user_id)) return absl::AlreadyExistsError("duplicate id");
    UW_RETURN_IF_ERROR(CheckContactsFree(user));
    s_.users[user.user_id] = user;
    s_.password_hashes[user.user_id] = std::string(password_hash);
    s_.lockouts[user.user_id] = LockState{};
    return absl::OkStatus();
  }

  absl::Status UpdateUser(const User& user) override {
    if (!s_.users.count(user.user_id)) return absl::NotFoundError("no user");
    UW_RETURN_IF_ERROR(CheckContactsFree(user));
    s_.users[user.user_id] = user;
    return absl::OkStatus();
  }

  absl::StatusOr<bool> AnyUserWithRole(absl::string_view role) override {
    return std::any_of(s_.users.begin(), s_.users.end(),
                       [&](const auto& entry) { return entry.second.HasRole(role); });
  }

  absl::StatusOr<std::vector<User>> FindUsers(const UserQuery& query) override {
    std::vector<User> found;
    for (const auto& [id, user] : s_.users) {
      if (!query.after_user_id.empty() && id <= query.after_user_id) continue;
      const bool match = !query.user_id.empty() ? id == query.user_id
                         : query.by_contact
                             ? user.Owns(query.contact)
                             : user.display_name.rfind(query.display_name_prefix, 0) == 0;
      if (match) found.push_back(user);
      if (static_cast<int>(found.size()) >= query.limit) break;
    }
    return found;
  }

  absl::StatusOr<std::string> PasswordHash(absl::string_view user_id) override {
    auto it = s_.password_hashes.find(std::string(user_id));
    if (it == s_.password_hashes.end()) return absl::InternalError("no credentials");
    return it->second;
  }

  absl::Status SetPasswordHash(absl::string_view user_id, absl::string_view hash,
                               absl::Time) override {
    s_.password_hashes[std::string(user_id)] = std::string(hash);
    return absl::OkStatus();
  }

  absl::StatusOr<LockState> Lockout(absl::string_view user_id, bool) override {
    return s_.lockouts[std::string(user_id)];
  }

  absl::StatusOr<std::map<std::string, LockState>> Lockouts(
      const std::vector<std::string>& user_ids) override {
    std::map<std::string, LockState> locks;
    for (const std::string& id : user_ids) {
      if (auto it = s_.lockouts.find(id); it != s_.lockouts.end()) locks[id] = it->second;
    }
    return locks;
  }

  absl::Status SetLockout(absl::string_view user_id, const LockState& state) override {
    s_.lockouts[std::string(user_id)] = state;
    return absl::OkStatus();
  }

  absl::StatusOr<bool> TouchDevice(absl::string_view user_id, const Device& device,
                                   absl::string_view ip, absl::Time now) override {
    auto key = std::make_pair(std::string(user_id), device.device_id);
    auto it = s_.devices.find(key);
    const bool fresh = it == s_.devices.end();
    KnownDevice& known = s_.devices[key];
    if (fresh) known.first_seen_at = now;
    // device.secret_hash is what the sign-in presented; the stored secret stays as it is.
    std::string stored_secret = std::move(known.device.secret_hash);
    known.device = device;
    known.device.secret_hash = std::move(stored_secret);
    known.last_seen_at = now;
    known.last_ip = std::string(ip);
    return fresh;
  }

  absl::StatusOr<std::vector<KnownDevice>> Devices(absl::string_view user_id) override {
    std::vector<KnownDevice> devices;
    for (const auto& [key, known] : s_.devices) {
      if (key.first != user_id) continue;
      devices.push_back(known);
      devices.back().trusted = !known.device.secret_hash.empty();
    }
    return devices;
  }

  absl::StatusOr<std::optional<Device>> ForgetDevice(absl::string_view user_id,
                                                     absl::string_view device_id) override {
    auto it = s_.devices.find(std::make_pair(std::string(user_id), std::string(device_id)));
    if (it == s_.devices.end()) return std::optional<Device>();
    it->second.device.secret_hash.clear();
    return std::optional<Device>(it->second.device);
  }

  absl::StatusOr<int> ForgetAllDevices(absl::string_view user_id) override {
    int forgotten = 0;
    for (auto& [key, known] : s_.devices) {
      if (key.first != user_id || known.device.secret_hash.empty()) continue;
      known.device.secret_hash.clear();
      ++forgotten;
    }
    return forgotten;
  }

  absl::StatusOr<std::optional<SignInLock>> LockForSignIn(absl::string_view user_id,
                                                          const Device& device) override {
    UW_ASSIGN_OR_RETURN(std::optional<User> user, UserById(user_id, true));
    if (!user) return std::optional<SignInLock>();
    SignInLock lock;
    lock.user = *std::move(user);
    UW_ASSIGN_OR_RETURN(lock.lock, Lockout(user_id, true));
    auto known = s_.devices.find(std::make_pair(std::string(user_id), device.device_id));
    lock.device_known = !device.device_id.empty() && !device.secret_hash.empty() &&
                        known != s_.devices.end() &&
                        known->second.device.secret_hash == device.secret_hash;
    return std::optional<SignInLock>(std::move(lock));
  }

  absl::Status RecordSignIn(const SignInRecord& record) override {
    if (record.clear_lockout) UW_RETURN_IF_ERROR(SetLockout(record.user_id, LockState()));
    auto it = s_.users.find(record.user_id);
    if (it == s_.users.end()) return absl::NotFoundError("no user");
    it->second.last_login_at = record.now;
    if (record.device) {
      UW_RETURN_IF_ERROR(
          TouchDevice(record.user_id, *record.device, record.ip, record.now).status());
      if (!record.new_device_secret_hash.empty()) {
        s_.devices[std::make_pair(record.user_id, record.device->device_id)].device.secret_hash =
            record.new_device_secret_hash;
      }
    }
    for (const SecurityEvent& event : record.events) UW_RETURN_IF_ERROR(AppendSecurityEvent(event));
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<TotpRecord>> Totp(absl::string_view user_id, bool) override {
    auto it = s_.totp.find(std::string(user_id));
    if (it == s_.totp.end()) return std::optional<TotpRecord>();
    return std::optional<TotpRecord>(it->second);
  }

  absl::Status PutTotp(const TotpRecord& record) override {
    s_.totp[record.user_id] = record;
    return absl::OkStatus();
  }

  absl::Status DeleteTotp(absl::string_view user_id) override {
    s_.totp.erase(std::string(user_id));
    for (auto it = s_.recovery_codes.begin(); it != s_.recovery_codes.end();) {
      it = it->first.first == user_id ? s_.recovery_codes.erase(it) : std::next(it);
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> AdvanceTotpCounter(absl::string_view user_id, int64_t counter) override {
    auto it = s_.totp.find(std::string(user_id));
    if (it == s_.totp.end() || !it->second.enabled || it->second.last_used_counter >= counter) {
      return false;
    }
    it->second.last_used_counter = counter;
    return true;
  }

  absl::Status ReplaceRecoveryCodes(absl::string_view user_id,
                                    const std::vector<std::string>& code_hashes) override {
    for (auto it = s_.recovery_codes.begin(); it != s_.recovery_codes.end();) {
      it = it->first.first == user_id ? s_.recovery_codes.erase(it) : std::next(it);
    }
    for (const auto& hash : code_hashes) s_.recovery_codes[{std::string(user_id), hash}] = false;
    return absl::OkStatus();
  }

  absl::StatusOr<bool> UseRecoveryCode(absl::string_view user_id, absl::string_view code_hash,
                                       absl::Time) override {
    auto it = s_.recovery_codes.find({std::string(user_id), std::string(code_hash)});
    if (it == s_.recovery_codes.end() || it->second) return false;
    it->second = true;
    return true;
  }

  absl::StatusOr<int> UnusedRecoveryCodes(absl::string_view user_id) override {
    int count = 0;
    for (const auto& [key, used] : s_.recovery_codes) count += key.first == user_id && !used;
    return count;
  }

  absl::Status AppendSecurityEvent(const SecurityEvent& event) override {
    s_.events.push_back(event);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<SecurityEvent>> RecentSecurityEvents(absl::string_view user_id,
                                                                  int limit) override {
    std::vector<SecurityEvent> events;
    for (auto it = s_.events.rbegin(); it != s_.events.rend(); ++it) {
      if (it->user_id == user_id) events.push_back(*it);
      if (static_cast<int>(events.size()) >= limit) break;
    }
    return events;
  }

  absl::Status AppendAudit(const AuditEntry& entry) override {
    s_.audit.push_back(entry);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) override {
    std::vector<AuditEntry> entries;
    for (auto it = s_.audit.rbegin(); it != s_.audit.rend(); ++it) {
      if (!filter.target_user_id.empty() && it->target_user_id != filter.target_user_id) continue;
      if (!filter.actor_id.empty() && it->actor_id != filter.actor_id) continue;
      if (!filter.action.empty() && it->action != filter.action) continue;
      if (!filter.before_audit_id.empty() && it->audit_id >= filter.before_audit_id) continue;
      entries.push_back(*it);
      if (static_cast<int>(entries.size()) >= filter.limit) break;
    }
    return entries;
  }

 private:
  FakeAuthStore::State& s_;
};

}  // namespace

// ---- FakeAuthStore ----

absl::Status FakeAuthStore::Transact(const std::function<absl::Status(AuthTx&)>& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  State working = state_;
  FakeTx tx(working);
  UW_RETURN_IF_ERROR(body(tx));
  state_ = std::move(working);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SignInCandidate>> FakeAuthStore::FindSignInCandidate(
    const Contact& contact, const Device& device) {
  std::optional<SignInCandidate> found;
  UW_RETURN_IF_ERROR(Transact([&](AuthTx& tx) -> absl::Status {
    UW_ASSIGN_OR_RETURN(std::optional<User> user, tx.UserByContact(contact, false));
    if (!user) return absl::OkStatus();
    SignInCandidate candidate;
    candidate.user = *std::move(user);
    UW_ASSIGN_OR_RETURN(candidate.password_hash, tx.PasswordHash(candidate.user.user_id));
    UW_ASSIGN_OR_RETURN(candidate.lock, tx.Lockout(candidate.user.user_id, false));
    UW_ASSIGN_OR_RETURN(std::optional<TotpRecord> totp, tx.Totp(candidate.user.user_id, false));
    candidate.totp_enabled = totp.has_value() && totp->enabled;
    UW_ASSIGN_OR_RETURN(std::vector<KnownDevice> devices, tx.Devices(candidate.user.user_id));
    // The most recently used first, as the store keeps them.
    std::sort(devices.begin(), devices.end(), [](const KnownDevice& a, const KnownDevice& b) {
      return a.last_seen_at > b.last_seen_at;
    });
    if (static_cast<int>(devices.size()) > kKnownDevicesMax) devices.resize(kKnownDevicesMax);
    candidate.has_devices = !devices.empty();
    candidate.device_known =
        !device.device_id.empty() && !device.secret_hash.empty() &&
        std::any_of(devices.begin(), devices.end(), [&](const KnownDevice& known) {
          return known.device.device_id == device.device_id &&
                 known.device.secret_hash == device.secret_hash;
        });
    found = std::move(candidate);
    return absl::OkStatus();
  }));
  return found;
}

FakeAuthStore::State FakeAuthStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

int FakeAuthStore::CountEvents(absl::string_view user_id, SecurityEventKind kind) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(std::count_if(
      state_.events.begin(), state_.events.end(),
      [&](const SecurityEvent& event) { return event.user_id == user_id && event.kind == kind; }));
}

// ---- FakeCodeStore ----

absl::Status FakeCodeStore::Put(absl::string_view key, absl::string_view code_hash,
                                absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  entries_[std::string(key)] = Entry{std::string(code_hash), 0, clock_.Now() + ttl};
  return absl::OkStatus();
}

absl::StatusOr<CodeCheck> FakeCodeStore::Check(absl::string_view key, absl::string_view code_hash,
                                               int max_attempts) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || clock_.Now() >= it->second.expires_at) {
    if (it != entries_.end()) entries_.erase(it);
    return CodeCheck{CodeCheckResult::kGone, 0};
  }
  if (it->second.hash == code_hash) {
    entries_.erase(it);
    return CodeCheck{CodeCheckResult::kAccepted, 0};
  }
  const int left = max_attempts - ++it->second.wrong;
  if (left <= 0) entries_.erase(it);
  return CodeCheck{CodeCheckResult::kWrong, left};
}

absl::StatusOr<bool> FakeCodeStore::Exists(absl::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  auto it = entries_.find(std::string(key));
  return it != entries_.end() && clock_.Now() < it->second.expires_at;
}

// ---- FakeRateLimiter ----

absl::StatusOr<RateDecision> FakeRateLimiter::Hit(absl::string_view key, int64_t limit,
                                                  absl::Duration window) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  const absl::Time now = clock_.Now();
  Window& current = windows_[std::string(key)];
  if (now >= current.ends_at) current = Window{0, now + window};
  ++current.count;
  return RateDecision{.allowed = current.count <= limit,
                      .count = current.count,
                      .retry_after = current.ends_at - now};
}

absl::Status FakeRateLimiter::Reset(absl::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  windows_.erase(std::string(key));
  return absl::OkStatus();
}

// ---- FakeTokenStore ----

absl::Status FakeTokenStore::Put(absl::string_view key, absl::string_view value,
                                 absl::Duration ttl) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  values_[std::string(key)] = {std::string(value), clock_.Now() + ttl};
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> FakeTokenStore::Get(absl::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  auto it = values_.find(std::string(key));
  if (it == values_.end() || clock_.Now() >= it->second.second) return std::optional<std::string>();
  return std::optional<std::string>(it->second.first);
}

absl::StatusOr<std::optional<std::string>> FakeTokenStore::Take(absl::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return std::optional<std::string>();
  std::optional<std::string> value;
  if (clock_.Now() < it->second.second) value = it->second.first;
  values_.erase(it);
  return value;
}

absl::Status FakeTokenStore::Delete(absl::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  values_.erase(std::string(key));
  return absl::OkStatus();
}

// ---- FakeSessionStore ----

FakeSessionStore::Entry* FakeSessionStore::Live(absl::string_view session_id) {
  auto it = sessions_.find(std::string(session_id));
  if (it == sessions_.end()) return nullptr;
  if (clock_.Now() >= it->second.kept_until) {
    by_token_.erase(it->second.token_hash);
    sessions_.erase(it);
    return nullptr;
  }
  return &it->second;
}

absl::Status FakeSessionStore::Create(const SessionRecord& session, absl::string_view token_hash,
                                      absl::Duration keep_for, int sessions_max) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  if (sessions_max < 1) return absl::InvalidArgumentError("sessions_max must be at least 1");
  std::vector<std::string> ids;
  for (const auto& [id, entry] : sessions_) {
    if (entry.session.user_id == session.user_id) ids.push_back(id);
  }
  std::vector<std::pair<absl::Time, std::string>> live;  // last seen, session id
  for (const std::string& id : ids) {
    if (Entry* entry = Live(id)) live.emplace_back(entry->session.last_seen_at, id);
  }
  std::sort(live.begin(), live.end());
  for (size_t i = 0; i + sessions_max <= live.size(); ++i) {
    auto it = sessions_.find(live[i].second);
    by_token_.erase(it->second.token_hash);
    sessions_.erase(it);
  }
  sessions_[session.session_id] = Entry{session, std::string(token_hash), clock_.Now() + keep_for};
  by_token_[std::string(token_hash)] = session.session_id;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<SessionRecord>> FakeSessionStore::ByTokenHash(
    absl::string_view token_hash) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  auto it = by_token_.find(std::string(token_hash));
  if (it == by_token_.end()) return std::optional<SessionRecord>();
  Entry* entry = Live(it->second);
  if (entry == nullptr || entry->token_hash != token_hash) return std::optional<SessionRecord>();
  return std::optional<SessionRecord>(entry->session);
}

absl::StatusOr<std::optional<SessionRecord>> FakeSessionStore::ById(absl::string_view session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  Entry* entry = Live(session_id);
  if (entry == nullptr) return std::optional<SessionRecord>();
  return std::optional<SessionRecord>(entry->session);
}

absl::StatusOr<bool> FakeSessionStore::Touch(absl::string_view session_id, absl::Time last_seen_at,
                                             absl::string_view ip, absl::Duration keep_for) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  Entry* entry = Live(session_id);
  if (entry == nullptr) return false;
  entry->session.last_seen_at = last_seen_at;
  entry->session.ip = std::string(ip);
  entry->kept_until = clock_.Now() + keep_for;
  return true;
}

absl::StatusOr<bool> FakeSessionStore::Rotate(absl::string_view session_id,
                                              absl::string_view new_token_hash,
                                              absl::Time step_up_at, absl::Duration keep_for) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  Entry* entry = Live(session_id);
  if (entry == nullptr) return false;
  by_token_.erase(entry->token_hash);
  entry->token_hash = std::string(new_token_hash);
  entry->session.step_up_at = step_up_at;
  entry->kept_until = clock_.Now() + keep_for;
  by_token_[entry->token_hash] = std::string(session_id);
  return true;
}

absl::StatusOr<std::vector<SessionRecord>> FakeSessionStore::ListForUser(
    absl::string_view user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  std::vector<std::string> ids;
  for (const auto& [id, entry] : sessions_) {
    if (entry.session.user_id == user_id) ids.push_back(id);
  }
  std::vector<SessionRecord> sessions;
  for (const std::string& id : ids) {
    if (Entry* entry = Live(id)) sessions.push_back(entry->session);
  }
  return sessions;
}

absl::StatusOr<bool> FakeSessionStore::Revoke(absl::string_view session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  auto it = sessions_.find(std::string(session_id));
  if (it == sessions_.end()) return false;
  by_token_.erase(it->second.token_hash);
  sessions_.erase(it);
  return true;
}

absl::StatusOr<int> FakeSessionStore::RevokeAllForUser(absl::string_view user_id,
                                                       absl::string_view except_session_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  int count = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.session.user_id == user_id && it->first != except_session_id) {
      by_token_.erase(it->second.token_hash);
      it = sessions_.erase(it);
      ++count;
    } else {
      ++it;
    }
  }
  return count;
}

absl::Status FakeSessionStore::MarkContactVerified(absl::string_view user_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (unavailable) return Down();
  for (auto& [id, entry] : sessions_) {
    if (entry.session.user_id == user_id) entry.session.contact_verified = true;
  }
  return absl::OkStatus();
}

}  // namespace uwallet::auth::testing
