-- Barong's tables (reference §3.1) plus barong-go's outbox, sessions and kv.
-- Timestamps are DATETIME holding UTC (the connection uses time_zone +00:00);
-- tables are utf8mb4_unicode_ci, so e-mail uniqueness is case-insensitive.
-- The connection runs with ANSI_QUOTES, but this file quotes with backticks.

-- +goose Up
CREATE TABLE users (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uid             VARCHAR(255) NOT NULL,
    username        VARCHAR(255),
    email           VARCHAR(255) NOT NULL,
    password_digest VARCHAR(255) NOT NULL,
    role            VARCHAR(255) NOT NULL DEFAULT 'member',
    data            TEXT,
    level           INTEGER NOT NULL DEFAULT 0,
    otp             TINYINT(1) NOT NULL DEFAULT 0,
    state           VARCHAR(255) NOT NULL DEFAULT 'pending',
    referral_id     BIGINT,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_users_uid ON users (uid);
CREATE UNIQUE INDEX idx_users_username ON users (username);
CREATE UNIQUE INDEX idx_users_email ON users (email);
CREATE INDEX idx_users_role ON users (role);
CREATE INDEX idx_users_state ON users (state);
CREATE INDEX idx_users_level ON users (level);
CREATE INDEX idx_users_referral_id ON users (referral_id);
CREATE INDEX idx_users_created_at ON users (created_at);
CREATE INDEX idx_users_updated_at ON users (updated_at);

CREATE TABLE labels (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    `key`       VARCHAR(255) NOT NULL,
    value       VARCHAR(255) NOT NULL,
    scope       VARCHAR(255) NOT NULL DEFAULT 'public',
    description VARCHAR(255),
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_labels_user_key_scope ON labels (user_id, `key`, scope);
CREATE INDEX idx_labels_key_value ON labels (`key`, value, user_id);

CREATE TABLE levels (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    `key`       VARCHAR(255) NOT NULL,
    value       VARCHAR(255),
    description VARCHAR(255),
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE permissions (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    action     VARCHAR(255) NOT NULL,
    role       VARCHAR(255) NOT NULL,
    verb       VARCHAR(255) NOT NULL,
    path       VARCHAR(255) NOT NULL,
    topic      VARCHAR(255),
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_permissions_role ON permissions (role);
CREATE INDEX idx_permissions_topic ON permissions (topic);

CREATE TABLE restrictions (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    category   VARCHAR(255) NOT NULL,
    scope      VARCHAR(64) NOT NULL,
    value      VARCHAR(64) NOT NULL,
    code       INTEGER,
    state      VARCHAR(16) NOT NULL DEFAULT 'enabled',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_restrictions_scope_category_value ON restrictions (scope, category, value);

CREATE TABLE apikeys (
    id                      BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    key_holder_account_id   BIGINT NOT NULL,
    key_holder_account_type VARCHAR(255) NOT NULL DEFAULT 'User',
    kid                     VARCHAR(255) NOT NULL,
    algorithm               VARCHAR(255) NOT NULL,
    scope                   TEXT,
    secret_encrypted        TEXT,
    state                   VARCHAR(255) NOT NULL DEFAULT 'active',
    created_at              DATETIME NOT NULL,
    updated_at              DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_apikeys_kid ON apikeys (kid);
CREATE INDEX idx_apikeys_holder ON apikeys (key_holder_account_type, key_holder_account_id);

CREATE TABLE service_accounts (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uid        VARCHAR(255) NOT NULL,
    owner_id   BIGINT,
    email      VARCHAR(255) NOT NULL,
    role       VARCHAR(255) NOT NULL DEFAULT 'service_account',
    level      INTEGER NOT NULL DEFAULT 0,
    state      VARCHAR(255) NOT NULL DEFAULT 'pending',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_service_accounts_uid ON service_accounts (uid);
CREATE UNIQUE INDEX idx_service_accounts_email ON service_accounts (email);
CREATE INDEX idx_service_accounts_owner_id ON service_accounts (owner_id);

CREATE TABLE profiles (
    id                   BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id              BIGINT,
    author               VARCHAR(255),
    applicant_id         VARCHAR(255),
    first_name_encrypted TEXT,
    last_name_encrypted  TEXT,
    dob_encrypted        TEXT,
    address_encrypted    TEXT,
    postcode             VARCHAR(255),
    city                 VARCHAR(255),
    country              VARCHAR(255),
    state                SMALLINT NOT NULL DEFAULT 0,
    metadata             TEXT,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_profiles_user_id ON profiles (user_id);
CREATE INDEX idx_profiles_country ON profiles (country);

CREATE TABLE phones (
    id               BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id          BIGINT NOT NULL,
    country          VARCHAR(255) NOT NULL,
    code             VARCHAR(5),
    number_encrypted TEXT NOT NULL,
    number_index     BIGINT NOT NULL,
    validated_at     DATETIME,
    created_at       DATETIME NOT NULL,
    updated_at       DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_phones_user_id ON phones (user_id);
CREATE INDEX idx_phones_number_index ON phones (number_index);

CREATE TABLE documents (
    id                   BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id              BIGINT NOT NULL,
    upload               VARCHAR(255),
    doc_type             VARCHAR(255),
    doc_expire           DATE,
    doc_number_encrypted TEXT,
    doc_number_index     BIGINT,
    doc_issue            DATE,
    doc_category         VARCHAR(255),
    identificator        VARCHAR(255),
    metadata             TEXT,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_documents_user_id ON documents (user_id);
CREATE INDEX idx_documents_doc_number_index ON documents (doc_number_index);

CREATE TABLE data_storages (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    title      VARCHAR(64) NOT NULL,
    data       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE UNIQUE INDEX idx_data_storages_user_title ON data_storages (user_id, title);

CREATE TABLE comments (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    author_uid VARCHAR(255) NOT NULL,
    title      VARCHAR(64) NOT NULL,
    data       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_comments_user_id ON comments (user_id);

CREATE TABLE activities (
    id              BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id         BIGINT NOT NULL,
    target_uid      VARCHAR(255),
    category        VARCHAR(255) NOT NULL,
    user_ip         VARCHAR(255) NOT NULL,
    user_ip_country VARCHAR(255),
    user_agent      TEXT NOT NULL,
    topic           VARCHAR(255) NOT NULL,
    action          VARCHAR(255) NOT NULL,
    result          VARCHAR(255) NOT NULL,
    data            TEXT,
    created_at      DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_activities_user_topic_created ON activities (user_id, topic, created_at);
CREATE INDEX idx_activities_category ON activities (category);
CREATE INDEX idx_activities_target_uid ON activities (target_uid);

CREATE TABLE outbox (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name       VARCHAR(255) NOT NULL,
    body       MEDIUMTEXT NOT NULL,
    created_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
    id_hash     CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    uid         VARCHAR(255) NOT NULL,
    user_ip     VARCHAR(255) NOT NULL,
    user_agent  TEXT NOT NULL,
    csrf_token  VARCHAR(255) NOT NULL,
    expire_time BIGINT NOT NULL,
    expires_at  DATETIME NOT NULL,
    created_at  DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_sessions_uid ON sessions (uid);
CREATE INDEX idx_sessions_expires_at ON sessions (expires_at);

CREATE TABLE kv (
    `key`      VARCHAR(700) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    value      TEXT NOT NULL,
    expires_at DATETIME
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX idx_kv_expires_at ON kv (expires_at);

-- +goose Down
DROP TABLE kv;
DROP TABLE sessions;
DROP TABLE outbox;
DROP TABLE activities;
DROP TABLE comments;
DROP TABLE data_storages;
DROP TABLE documents;
DROP TABLE phones;
DROP TABLE profiles;
DROP TABLE service_accounts;
DROP TABLE apikeys;
DROP TABLE restrictions;
DROP TABLE permissions;
DROP TABLE levels;
DROP TABLE labels;
DROP TABLE users;
