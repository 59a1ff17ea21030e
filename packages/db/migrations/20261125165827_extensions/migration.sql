-- ltree keeps the organization tree as a materialized path (subtree and ancestor queries are one indexed predicate).
CREATE EXTENSION IF NOT EXISTS ltree;
