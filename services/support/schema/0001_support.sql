-- Support: tickets, messages, status history, attachments, disputes, FAQ, text modules, CSAT,
-- question log, agent availability. Every customer-owned row carries user_id (the shard key).

CREATE TABLE tickets (
  ticket_id              text PRIMARY KEY,
  user_id                text NOT NULL,
  category               smallint NOT NULL CHECK (category BETWEEN 1 AND 8),
  channel                smallint NOT NULL CHECK (channel BETWEEN 1 AND 5),
  subject                text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
  status                 smallint NOT NULL CHECK (status BETWEEN 1 AND 5),
  priority               smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
  assignee_id            text NOT NULL DEFAULT '',
  payment_id             text NOT NULL DEFAULT '',
  case_id                text NOT NULL DEFAULT '',
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  first_response_due_at  timestamptz NOT NULL,
  resolution_due_at      timestamptz NOT NULL,
  first_responded_at     timestamptz,
  resolved_at            timestamptz,
  closed_at              timestamptz,
  sla_paused_at          timestamptz,
  sla_paused_s           bigint NOT NULL DEFAULT 0 CHECK (sla_paused_s >= 0),
  reopen_until           timestamptz,
  rating_score           smallint NOT NULL DEFAULT 0 CHECK (rating_score BETWEEN 0 AND 5),
  rating_comment         text NOT NULL DEFAULT '',
  rated_at               timestamptz,
  attachment_count       integer NOT NULL DEFAULT 0 CHECK (attachment_count BETWEEN 0 AND 10),
  version                bigint NOT NULL DEFAULT 1,
  idempotency_key        text,
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX tickets_user_updated ON tickets (user_id, updated_at DESC);
CREATE INDEX tickets_queue ON tickets (status, resolution_due_at);
CREATE INDEX tickets_created ON tickets (created_at);

CREATE TABLE ticket_messages (
  message_id          text PRIMARY KEY,
  ticket_id           text NOT NULL REFERENCES tickets (ticket_id),
  user_id             text NOT NULL,
  seq                 bigserial NOT NULL,
  author_kind         smallint NOT NULL CHECK (author_kind BETWEEN 1 AND 3),
  author_id           text NOT NULL,
  author_display_name text NOT NULL DEFAULT '',
  body                text NOT NULL CHECK (length(body) <= 20000),
  internal_note       boolean NOT NULL DEFAULT false,
  text_module_id      text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL,
  -- Customers never write internal notes.
  CHECK (NOT (internal_note AND author_kind = 1))
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, seq);

CREATE TABLE ticket_status_changes (
  ticket_id    text NOT NULL REFERENCES tickets (ticket_id),
  seq          bigserial NOT NULL,
  from_status  smallint NOT NULL,
  to_status    smallint NOT NULL,
  changed_at   timestamptz NOT NULL,
  actor_id     text NOT NULL,
  note         text NOT NULL DEFAULT '',
  PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE attachments (
  attachment_id  text PRIMARY KEY,
  ticket_id      text NOT NULL REFERENCES tickets (ticket_id),
  message_id     text NOT NULL REFERENCES ticket_messages (message_id),
  user_id        text NOT NULL,
  file_name      text NOT NULL,
  content_type   text NOT NULL CHECK (content_type IN
                   ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf')),
  size_bytes     bigint NOT NULL CHECK (size_bytes BETWEEN 1 AND 5242880),
  content        bytea NOT NULL,
  created_at     timestamptz NOT NULL,
  CHECK (octet_length(content) = size_bytes)
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE disputes (
  dispute_id         text PRIMARY KEY,
  ticket_id          text NOT NULL UNIQUE REFERENCES tickets (ticket_id),
  user_id            text NOT NULL,
  payment_id         text NOT NULL,
  reason             smallint NOT NULL CHECK (reason BETWEEN 1 AND 5),
  status             smallint NOT NULL CHECK (status BETWEEN 1 AND 4),
  amount_minor       bigint NOT NULL CHECK (amount_minor > 0),
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  hold_id            text NOT NULL DEFAULT '',
  decision           smallint NOT NULL DEFAULT 0 CHECK (decision BETWEEN 0 AND 3),
  refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
  refund_payment_id  text NOT NULL DEFAULT '',
  decision_note      text NOT NULL DEFAULT '',
  decided_by         text NOT NULL DEFAULT '',
  opened_at          timestamptz NOT NULL,
  resolved_at        timestamptz
);
-- One open dispute per payment.
CREATE UNIQUE INDEX disputes_open_per_payment ON disputes (payment_id) WHERE status = 1;

-- Staff actions on disputes, append only.
CREATE TABLE dispute_audit (
  audit_id    bigserial PRIMARY KEY,
  dispute_id  text NOT NULL REFERENCES disputes (dispute_id),
  actor_id    text NOT NULL,
  action      text NOT NULL,
  detail      text NOT NULL,
  at          timestamptz NOT NULL
);
CREATE FUNCTION dispute_audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'DISPUTE_AUDIT_IS_APPEND_ONLY';
END $$;
CREATE TRIGGER dispute_audit_no_change BEFORE UPDATE OR DELETE ON dispute_audit
  FOR EACH ROW EXECUTE FUNCTION dispute_audit_immutable();

CREATE TABLE faq_articles (
  article_id  text NOT NULL,
  locale      text NOT NULL CHECK (locale IN ('zh-CN', 'en')),
  title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  tags        text[] NOT NULL DEFAULT '{}',
  category    smallint NOT NULL DEFAULT 7,
  version     bigint NOT NULL DEFAULT 1,
  published   boolean NOT NULL DEFAULT true,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (article_id, locale)
);

CREATE TABLE text_modules (
  text_module_id  text PRIMARY KEY,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  shortcut        text NOT NULL DEFAULT '',
  locale          text NOT NULL,
  body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every Ask and every ticket subject, for deflection and the "top questions" list.
CREATE TABLE question_log (
  question_id      text PRIMARY KEY,
  user_id          text NOT NULL DEFAULT '',
  question         text NOT NULL,
  normalized       text NOT NULL,
  source           text NOT NULL CHECK (source IN ('ask', 'ticket')),
  best_article_id  text NOT NULL DEFAULT '',
  confidence       double precision NOT NULL DEFAULT 0,
  -- Set when the asker opened a ticket afterwards (not deflected).
  ticket_id        text NOT NULL DEFAULT '',
  asked_at         timestamptz NOT NULL
);
CREATE INDEX question_log_asked ON question_log (asked_at);
CREATE INDEX question_log_user ON question_log (user_id, asked_at);

CREATE TABLE agent_availability (
  agent_id        text PRIMARY KEY,
  online          boolean NOT NULL,
  last_assigned_at timestamptz NOT NULL DEFAULT 'epoch',
  updated_at      timestamptz NOT NULL
);

INSERT INTO text_modules (text_module_id, name, shortcut, locale, body) VALUES
 ('tm-greeting-en', 'Greeting', '::hi', 'en',
  'Hello {{customer.name}}, thank you for contacting uwallet support. I am {{agent.name}} and I will help you with ticket {{ticket.id}}.'),
 ('tm-greeting-zh', '问候', '::hi', 'zh-CN',
  '{{customer.name}}您好，感谢联系 uwallet 客服。我是{{agent.name}}，将为您处理工单 {{ticket.id}}。'),
 ('tm-reset-en', 'Password reset steps', '::reset', 'en',
  'Hi {{customer.name}}, to reset your password tap "Forgot password" on the sign-in screen, enter the phone number or email of your account and the 6-digit code we send you, then choose a new password.'),
 ('tm-reset-zh', '重置密码步骤', '::reset', 'zh-CN',
  '{{customer.name}}您好，请在登录页点击“忘记密码”，输入账户绑定的手机号或邮箱以及收到的 6 位验证码，然后设置新密码。');
