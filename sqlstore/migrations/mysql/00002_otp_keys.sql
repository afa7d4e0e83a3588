-- TOTP secrets (encrypted) and the last accepted time step, replacing
-- Barong's Vault TOTP engine.

-- +goose Up
CREATE TABLE otp_keys (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id          BIGINT NOT NULL,
    secret_encrypted TEXT NOT NULL,
    last_step        BIGINT NOT NULL DEFAULT 0,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_otp_keys_user_id ON otp_keys (user_id);

-- +goose Down
DROP TABLE otp_keys;
