-- A payment's refund requests: what the customer sees on the payment's page and what a support
-- agent reads before deciding a dispute about it.
CREATE INDEX refund_requests_by_payment ON refund_requests (payment_id, refund_request_id DESC);
