-- The transactional outbox: a service writes its events here in the same transaction as the
-- state change they describe; the relay publishes them to JetStream and marks them sent.
CREATE TABLE outbox (
    position    bigserial   PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    event_type  text        NOT NULL,
    envelope    jsonb       NOT NULL,
    traceparent text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);

-- The relay's queue: only unsent rows, in commit order.
CREATE INDEX outbox_unsent ON outbox (position) WHERE sent_at IS NULL;
