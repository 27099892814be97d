-- What inventory did for each order: the units it holds (RESERVED), could not hold
-- (OUT_OF_STOCK), gave back (RELEASED) or sold (COMMITTED); CLOSED marks an order rejected or
-- cancelled before it was reserved, so a late creation reserves nothing.
CREATE TABLE order_stock (
    order_id   uuid        PRIMARY KEY,
    status     text        NOT NULL
               CHECK (status IN ('RESERVED', 'OUT_OF_STOCK', 'RELEASED', 'COMMITTED', 'CLOSED')),
    -- [{productId, quantity}], one entry per product.
    lines      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL
);
