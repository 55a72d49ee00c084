-- The fraud service's tables. Every row is keyed by the user it is about (the shard key, DESIGN.md §6).

-- Per-user risk features, built from auth / payments / ledger events by pure functions
-- (core/features.cc) and read by Assess with ONE primary-key lookup. The document holds bounded
-- lists (recent failed logins, known devices and payees with first-seen times, recent payments
-- for velocity, PIN failures, recent transfers) and scalars (last password / 2FA change, usual
-- amount statistics); its shape is core::Features.
CREATE TABLE risk_features (
  user_id    text PRIMARY KEY,
  features   jsonb NOT NULL,
  events_applied bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL
);

-- Rules as data: one row per rule (the current version) and every version ever written.
CREATE TABLE rules (
  rule_id     text PRIMARY KEY,
  name        text NOT NULL,
  description text NOT NULL,
  mode        smallint NOT NULL CHECK (mode IN (1, 2, 3)),  -- enabled, shadow, disabled
  threshold   bigint NOT NULL CHECK (threshold >= 0),
  window_s    bigint NOT NULL CHECK (window_s >= 0),
  score       integer NOT NULL CHECK (score BETWEEN 0 AND 1000),
  decision    smallint NOT NULL CHECK (decision BETWEEN 0 AND 4),
  params      jsonb NOT NULL DEFAULT '{}',
  version     bigint NOT NULL CHECK (version >= 1),
  updated_at  timestamptz NOT NULL,
  updated_by  text NOT NULL
);
CREATE TABLE rule_versions (
  rule_id    text NOT NULL REFERENCES rules (rule_id),
  version    bigint NOT NULL,
  mode       smallint NOT NULL,
  threshold  bigint NOT NULL,
  window_s   bigint NOT NULL,
  score      integer NOT NULL,
  decision   smallint NOT NULL,
  params     jsonb NOT NULL,
  note       text NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL,
  PRIMARY KEY (rule_id, version)
);

-- Every assessment (acting and shadow reasons), append-only.
CREATE TABLE decisions (
  assessment_id  uuid PRIMARY KEY,
  user_id        text NOT NULL,
  kind           smallint NOT NULL,
  amount_minor   bigint NOT NULL,
  currency       text NOT NULL,
  counterparty_id text NOT NULL,
  device_id      text NOT NULL,
  ip             text NOT NULL,
  reference_id   text NOT NULL,
  decision       smallint NOT NULL,
  score          integer NOT NULL,
  reasons        jsonb NOT NULL,
  shadow_reasons jsonb NOT NULL,
  created_at     timestamptz NOT NULL
);
CREATE INDEX decisions_by_user ON decisions (user_id, created_at DESC);

-- Alerts to the user. delivered_at is set once pushed to watchers and the notifier (a background
-- loop retries undelivered ones: at-least-once delivery).
CREATE TABLE alerts (
  alert_id        uuid PRIMARY KEY,  -- UUIDv7: ordered by creation
  user_id         text NOT NULL,
  category        smallint NOT NULL CHECK (category IN (1, 2)),
  kind            smallint NOT NULL,
  severity        smallint NOT NULL CHECK (severity IN (1, 2, 3)),
  title           text NOT NULL,
  body            text NOT NULL,
  payment_id      text NOT NULL DEFAULT '',
  amount_minor    bigint,
  currency        text NOT NULL DEFAULT '',
  device_id       text NOT NULL DEFAULT '',
  device_name     text NOT NULL DEFAULT '',
  ip              text NOT NULL DEFAULT '',
  source_event_id text,
  created_at      timestamptz NOT NULL,
  acknowledged_at timestamptz,
  delivered_at    timestamptz,
  UNIQUE (user_id, source_event_id, kind)
);
CREATE INDEX alerts_by_user ON alerts (user_id, alert_id DESC);
CREATE INDEX alerts_undelivered ON alerts (created_at) WHERE delivered_at IS NULL;

CREATE TABLE alert_settings (
  user_id          text PRIMARY KEY,
  threshold_minor  bigint CHECK (threshold_minor IS NULL OR threshold_minor >= 0),
  threshold_currency text NOT NULL DEFAULT '',
  channels         smallint[] NOT NULL DEFAULT '{}',
  updated_at       timestamptz NOT NULL
);

-- Cases for analysts and their timelines.
CREATE TABLE cases (
  case_id         uuid PRIMARY KEY,
  user_id         text NOT NULL,
  kind            smallint NOT NULL CHECK (kind IN (1, 2, 3)),
  status          smallint NOT NULL CHECK (status IN (1, 2, 3)),
  score           integer NOT NULL DEFAULT 0,
  summary         text NOT NULL,
  ticket_id       text NOT NULL DEFAULT '',
  payment_ids     text[] NOT NULL DEFAULT '{}',
  opened_at       timestamptz NOT NULL,
  resolved_at     timestamptz,
  resolution_note text NOT NULL DEFAULT '',
  resolved_by     text NOT NULL DEFAULT ''
);
CREATE INDEX cases_open ON cases (status, score DESC, opened_at);
CREATE INDEX cases_by_user ON cases (user_id, opened_at DESC);
CREATE TABLE case_events (
  case_id     uuid NOT NULL REFERENCES cases (case_id),
  seq         bigserial,
  occurred_at timestamptz NOT NULL,
  kind        text NOT NULL,
  description text NOT NULL,
  actor_id    text NOT NULL,
  decision    smallint NOT NULL DEFAULT 0,
  reasons     jsonb NOT NULL DEFAULT '[]',
  event_id    text NOT NULL DEFAULT '',
  metadata    jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (case_id, seq)
);

-- "My account was stolen": one row per report, with a completion time per step, so that a retry
-- (or the background resumer) completes the remaining steps and never repeats a done one. At most
-- one unfinished report per user: a second report continues it.
CREATE TABLE stolen_reports (
  report_id          uuid PRIMARY KEY,
  user_id            text NOT NULL,
  idempotency_key    text NOT NULL,
  destination_sha256 text NOT NULL DEFAULT '',
  description        text NOT NULL,
  case_id            uuid NOT NULL REFERENCES cases (case_id),
  ticket_id          text NOT NULL DEFAULT '',
  created_at         timestamptz NOT NULL,
  freeze_login_at    timestamptz,
  freeze_wallet_at   timestamptz,
  revoke_sessions_at timestamptz,
  void_holds_at      timestamptz,
  cancel_schedules_at timestamptz,
  open_case_at       timestamptz,
  open_ticket_at     timestamptz,
  notify_at          timestamptz,
  completed_at       timestamptz,
  UNIQUE (user_id, idempotency_key)
);
CREATE UNIQUE INDEX stolen_reports_one_open ON stolen_reports (user_id) WHERE completed_at IS NULL;
CREATE INDEX stolen_reports_unfinished ON stolen_reports (created_at) WHERE completed_at IS NULL;

-- Transactions the user flagged as not theirs (idempotent per user and transaction).
CREATE TABLE flagged_transactions (
  user_id        text NOT NULL,
  transaction_id text NOT NULL,
  case_id        uuid NOT NULL REFERENCES cases (case_id),
  ticket_id      text NOT NULL DEFAULT '',
  description    text NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (user_id, transaction_id)
);
