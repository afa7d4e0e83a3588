-- Changes of sessions, users, service accounts and API keys, which the
-- processes of a deployment without Redis poll to drop what they cache
-- (sqlstore/changes.go). Rows older than a few minutes are purged.

-- +goose Up
CREATE TABLE cache_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        SMALLINT NOT NULL,
    record_key  TEXT NOT NULL,
    except_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX idx_cache_changes_created_at ON cache_changes (created_at);

-- +goose Down
DROP TABLE cache_changes;
