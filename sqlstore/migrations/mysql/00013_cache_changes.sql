-- Changes of sessions, users, service accounts and API keys, which the
-- processes of a deployment without Redis poll to drop what they cache
-- (sqlstore/changes.go). Rows older than a few minutes are purged.

-- +goose Up
CREATE TABLE cache_changes (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind        SMALLINT NOT NULL,
    record_key  VARCHAR(255) NOT NULL,
    except_key  VARCHAR(255) NOT NULL,
    created_at  DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX idx_cache_changes_created_at ON cache_changes (created_at);

-- +goose Down
DROP TABLE cache_changes;
