-- WebAuthn credentials (passkeys): the credential id (base64url, unique,
-- compared byte for byte), the user handle the authenticator returns, a
-- name the user chose, the credential record (public key, flags,
-- authenticator data; encrypted with the at-rest key), the signature
-- counter (plain, for the atomic clone check) and the last use.

-- +goose Up
CREATE TABLE webauthn_credentials (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id          BIGINT NOT NULL,
    credential_id    VARCHAR(1400) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_handle      VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    name             VARCHAR(255) NOT NULL,
    record_encrypted TEXT NOT NULL,
    sign_count       BIGINT NOT NULL DEFAULT 0,
    last_used_at     DATETIME,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_webauthn_credentials_credential_id ON webauthn_credentials (credential_id);
CREATE INDEX idx_webauthn_credentials_user_id ON webauthn_credentials (user_id);

-- +goose Down
DROP TABLE webauthn_credentials;
