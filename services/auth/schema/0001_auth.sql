-- The auth schema: users and their contacts, credentials, lockout state, devices, second factors,
-- per-user security events and the append-only staff audit log. Every table is keyed by user_id
-- (the future shard key). Runs with search_path set to the service's schema.

-- One row per person or staff member. Contacts are stored normalised (E.164 phone, lower-case
-- email), so the unique constraints mean "one account per phone / per email".
CREATE TABLE users (
  user_id         uuid PRIMARY KEY,
  phone           text,
  email           text,
  phone_verified  boolean NOT NULL DEFAULT false,
  email_verified  boolean NOT NULL DEFAULT false,
  display_name    text NOT NULL,
  locale          text NOT NULL DEFAULT '',
  roles           text[] NOT NULL,
  status          text NOT NULL DEFAULT 'active',
  frozen_reason   text,
  frozen_by       text,
  frozen_at       timestamptz,
  frozen_case_id  text,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  last_login_at   timestamptz,
  CONSTRAINT users_phone_key UNIQUE (phone),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_has_contact CHECK (phone IS NOT NULL OR email IS NOT NULL),
  CONSTRAINT users_phone_e164 CHECK (phone IS NULL OR phone ~ '^\+[1-9][0-9]{6,14}$'),
  CONSTRAINT users_email_normalised CHECK (email IS NULL OR (email = lower(email) AND email LIKE '%_@_%')),
  CONSTRAINT users_status CHECK (status IN ('active', 'frozen')),
  CONSTRAINT users_frozen_has_reason CHECK (status <> 'frozen' OR (frozen_reason IS NOT NULL AND frozen_by IS NOT NULL AND frozen_at IS NOT NULL)),
  CONSTRAINT users_has_role CHECK (cardinality(roles) >= 1),
  CONSTRAINT users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 64)
);
CREATE INDEX users_display_name_prefix ON users (lower(display_name) text_pattern_ops);
CREATE INDEX users_admins ON users (user_id) WHERE 'admin' = ANY (roles);

-- argon2id PHC strings; never the password.
CREATE TABLE credentials (
  user_id              uuid PRIMARY KEY REFERENCES users (user_id),
  password_hash        text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  password_changed_at  timestamptz NOT NULL
);

-- Consecutive wrong passwords and lock periods (core/lockout.h has the rules).
CREATE TABLE lockouts (
  user_id              uuid PRIMARY KEY REFERENCES users (user_id),
  failed_attempts      integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  lock_count           integer NOT NULL DEFAULT 0 CHECK (lock_count >= 0),
  locked_at            timestamptz,
  locked_until         timestamptz,
  locked_indefinitely  boolean NOT NULL DEFAULT false,
  last_failed_at       timestamptz
);

-- Devices that have signed in to an account.
CREATE TABLE devices (
  user_id        uuid NOT NULL REFERENCES users (user_id),
  device_id      text NOT NULL,
  name           text NOT NULL DEFAULT '',
  platform       integer NOT NULL DEFAULT 0,
  app_version    text NOT NULL DEFAULT '',
  first_seen_at  timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  last_ip        text NOT NULL DEFAULT '',
  PRIMARY KEY (user_id, device_id)
);

-- TOTP: the secret sealed with AES-256-GCM (key from --totp-key, associated data
-- "totp-secret:<user id>"), pending until confirmed, and the last accepted time-step counter so
-- that a code is accepted once.
CREATE TABLE totp_secrets (
  user_id             uuid PRIMARY KEY REFERENCES users (user_id),
  secret_sealed       bytea NOT NULL,
  enabled             boolean NOT NULL DEFAULT false,
  pending_expires_at  timestamptz,
  last_used_counter   bigint NOT NULL DEFAULT -1,
  created_at          timestamptz NOT NULL,
  enabled_at          timestamptz,
  CONSTRAINT totp_pending_has_expiry CHECK (enabled OR pending_expires_at IS NOT NULL)
);

-- Recovery codes, keyed HMAC-SHA256 (never the code). A used code keeps its row.
CREATE TABLE recovery_codes (
  user_id    uuid NOT NULL REFERENCES users (user_id),
  code_hash  text NOT NULL,
  used_at    timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- Per-user security history shown to staff (GetUser); the same facts go to the outbox.
CREATE TABLE security_events (
  event_id     uuid PRIMARY KEY,
  user_id      uuid NOT NULL,
  kind         text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  ip           text NOT NULL DEFAULT '',
  device_id    text NOT NULL DEFAULT '',
  device_name  text NOT NULL DEFAULT '',
  platform     integer NOT NULL DEFAULT 0,
  detail       text NOT NULL DEFAULT ''
);
CREATE INDEX security_events_by_user ON security_events (user_id, occurred_at DESC, event_id DESC);

-- Every staff (and service) action. Append-only: the trigger below refuses UPDATE, DELETE and
-- TRUNCATE for every role, the service's own included.
CREATE TABLE audit_log (
  audit_id               uuid PRIMARY KEY,
  actor_id               text NOT NULL,
  actor_roles            text[] NOT NULL,
  action                 text NOT NULL,
  target_user_id         uuid,
  reason                 text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
  identity_check_method  integer NOT NULL DEFAULT 0,
  identity_check_note    text NOT NULL DEFAULT '',
  request_id             text NOT NULL DEFAULT '',
  metadata               jsonb NOT NULL DEFAULT '{}',
  created_at             timestamptz NOT NULL
);
CREATE INDEX audit_log_by_target ON audit_log (target_user_id, audit_id DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, audit_id DESC);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'AUDIT_LOG_IS_APPEND_ONLY';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
