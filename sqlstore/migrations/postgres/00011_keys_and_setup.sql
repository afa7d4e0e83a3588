-- Key fingerprints and setup tokens (issue 10).
--
-- key_fingerprints records which JWT key and encryption key the database
-- was written with (SHA-256 of the public key; a keyed check value of the
-- encryption key, never the key): a start with another key, or without
-- its key file over existing data, is refused instead of generating one.
--
-- setup_tokens holds the SHA-256 of the one-time tokens printed to the log
-- while the database has no superadmin: the sign-up that carries one
-- becomes the superadmin and consumes them all.

-- +goose Up
CREATE TABLE key_fingerprints (
    name        VARCHAR(64) PRIMARY KEY,
    fingerprint VARCHAR(255) NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE setup_tokens (
    token_hash VARCHAR(64) PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE setup_tokens;
DROP TABLE key_fingerprints;
