-- Barong 2.3's tables on PostgreSQL (db/schema.rb of autumn 2019, after
-- 20190902032709): API keys belong to users and keep their secret in
-- Vault's K/V store, personal data is in clear, restrictions have no
-- category, there are no service accounts, data storages or comments.
CREATE TABLE schema_migrations (version character varying NOT NULL PRIMARY KEY);
CREATE TABLE ar_internal_metadata (key character varying NOT NULL PRIMARY KEY, value character varying, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE activities (id bigserial PRIMARY KEY, user_id bigint NOT NULL, user_ip character varying NOT NULL, user_agent character varying NOT NULL, topic character varying NOT NULL, action character varying NOT NULL, result character varying NOT NULL, data text, created_at timestamp without time zone, target_uid character varying, category character varying);
CREATE INDEX index_activities_on_user_id ON activities (user_id);
CREATE TABLE apikeys (id bigserial PRIMARY KEY, user_id bigint NOT NULL, kid character varying NOT NULL, algorithm character varying NOT NULL, scope character varying, state character varying DEFAULT 'active' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE INDEX index_apikeys_on_user_id ON apikeys (user_id);
CREATE TABLE documents (id bigserial PRIMARY KEY, user_id bigint NOT NULL, upload character varying, doc_type character varying, doc_number character varying, doc_expire date, metadata text, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE labels (id bigserial PRIMARY KEY, user_id bigint NOT NULL, key character varying NOT NULL, value character varying NOT NULL, scope character varying DEFAULT 'public' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE INDEX index_labels_on_user_id_and_key_and_scope ON labels (user_id, key, scope);
CREATE TABLE levels (id bigserial PRIMARY KEY, key character varying NOT NULL, value character varying, description character varying, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE permissions (id bigserial PRIMARY KEY, action character varying NOT NULL, role character varying NOT NULL, verb character varying NOT NULL, path character varying NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, topic character varying);
CREATE TABLE phones (id bigserial PRIMARY KEY, user_id bigint NOT NULL, country character varying NOT NULL, number character varying NOT NULL, validated_at timestamp without time zone, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE profiles (id bigserial PRIMARY KEY, user_id bigint, first_name character varying, last_name character varying, dob date, address character varying, postcode character varying, city character varying, country character varying, metadata text, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, state smallint);
CREATE TABLE restrictions (id bigserial PRIMARY KEY, scope character varying(64) NOT NULL, value character varying(64) NOT NULL, state character varying(16) DEFAULT 'enabled' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE users (id bigserial PRIMARY KEY, uid character varying NOT NULL, email character varying NOT NULL, password_digest character varying NOT NULL, role character varying DEFAULT 'member' NOT NULL, level integer DEFAULT 0 NOT NULL, otp boolean DEFAULT false, state character varying DEFAULT 'pending' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, referral_id bigint, data text);
CREATE UNIQUE INDEX index_users_on_email ON users (email);
CREATE UNIQUE INDEX index_users_on_uid ON users (uid);
