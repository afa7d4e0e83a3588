-- WebAuthn credentials (passkeys): the credential id (base64url, unique),
-- the user handle the authenticator returns, a name the user chose, the
-- credential record (public key, flags, authenticator data; encrypted with
-- the at-rest key), the signature counter (plain, for the atomic clone
-- check) and the last use.

-- +goose Up
CREATE TABLE webauthn_credentials (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          BIGINT NOT NULL,
    credential_id    TEXT NOT NULL,
    user_handle      VARCHAR(255) NOT NULL,
    name             VARCHAR(255) NOT NULL,
    record_encrypted TEXT NOT NULL,
    sign_count       BIGINT NOT NULL DEFAULT 0,
    last_used_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_webauthn_credentials_credential_id ON webauthn_credentials (credential_id);
CREATE INDEX idx_webauthn_credentials_user_id ON webauthn_credentials (user_id);

-- +goose Down
DROP TABLE webauthn_credentials;
