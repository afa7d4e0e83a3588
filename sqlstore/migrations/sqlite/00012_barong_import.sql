-- Adoption of a Barong deployment (`barong import`). barong_import_rows
-- records each row copied from Barong with a digest of its source values,
-- so a later run copies only what changed, removes what Barong deleted and
-- never touches rows barong-go created itself. vault_totp_keys names the
-- key in Vault's TOTP engine of each imported user with 2FA: their codes are
-- checked there until they re-enrol (otp_keys then takes over).

-- +goose Up
CREATE TABLE barong_import_rows (
    tbl        VARCHAR(64) NOT NULL,
    id         BIGINT NOT NULL,
    src_digest VARCHAR(64) NOT NULL,
    PRIMARY KEY (tbl, id)
);

CREATE TABLE vault_totp_keys (
    user_id    BIGINT NOT NULL PRIMARY KEY,
    key_name   VARCHAR(255) NOT NULL,
    created_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE vault_totp_keys;
DROP TABLE barong_import_rows;
