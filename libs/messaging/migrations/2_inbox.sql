-- The consumers' inbox: the ids of the events each consumer has handled, written in the same
-- transaction as the handler's changes, so a redelivered event is recognised and skipped.
CREATE TABLE inbox (
    consumer   text        NOT NULL,
    event_id   uuid        NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE INDEX inbox_handled_at ON inbox (handled_at);
