-- Barong 2.7's tables on PostgreSQL, as Rails 5.2 creates them from
-- db/schema.rb (version 2021_04_07_094208): bigserial ids, character
-- varying, timestamp without time zone (microseconds, UTC). Columns added
-- by later migrations come last, as they do on PostgreSQL.
CREATE TABLE schema_migrations (version character varying NOT NULL PRIMARY KEY);
CREATE TABLE ar_internal_metadata (key character varying NOT NULL PRIMARY KEY, value character varying, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE activities (id bigserial PRIMARY KEY, user_id bigint NOT NULL, user_ip character varying NOT NULL, user_agent character varying NOT NULL, topic character varying NOT NULL, action character varying NOT NULL, result character varying NOT NULL, data text, created_at timestamp without time zone, target_uid character varying, category character varying, user_ip_country character varying);
CREATE INDEX index_activities_on_target_uid ON activities (target_uid);
CREATE INDEX index_activities_on_user_id ON activities (user_id);
CREATE TABLE apikeys (id bigserial PRIMARY KEY, kid character varying NOT NULL, algorithm character varying NOT NULL, scope character varying, state character varying DEFAULT 'active' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, secret_encrypted character varying(1024), key_holder_account_id bigint NOT NULL, key_holder_account_type character varying DEFAULT 'User' NOT NULL);
CREATE INDEX idx_apikey_on_account ON apikeys (key_holder_account_type, key_holder_account_id);
CREATE UNIQUE INDEX index_apikeys_on_kid ON apikeys (kid);
CREATE TABLE comments (id bigserial PRIMARY KEY, user_id bigint NOT NULL, author_uid character varying(16) NOT NULL, title character varying(64) NOT NULL, data text NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE INDEX index_comments_on_user_id ON comments (user_id);
CREATE TABLE data_storages (id bigserial PRIMARY KEY, user_id bigint NOT NULL, title character varying(64) NOT NULL, data text NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE UNIQUE INDEX index_data_storages_on_user_id_and_title ON data_storages (user_id, title);
CREATE TABLE documents (id bigserial PRIMARY KEY, user_id bigint NOT NULL, upload character varying, doc_type character varying, doc_expire date, metadata text, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, doc_issue date, doc_category character varying, identificator character varying, doc_number_encrypted character varying, doc_number_index bigint);
CREATE INDEX index_documents_on_doc_number_index ON documents (doc_number_index);
CREATE INDEX index_documents_on_user_id ON documents (user_id);
CREATE TABLE labels (id bigserial PRIMARY KEY, user_id bigint NOT NULL, key character varying NOT NULL, value character varying NOT NULL, scope character varying DEFAULT 'public' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, description character varying);
CREATE UNIQUE INDEX index_labels_on_user_id_and_key_and_scope ON labels (user_id, key, scope);
CREATE INDEX index_labels_on_user_id ON labels (user_id);
CREATE TABLE levels (id bigserial PRIMARY KEY, key character varying NOT NULL, value character varying, description character varying, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE permissions (id bigserial PRIMARY KEY, action character varying NOT NULL, role character varying NOT NULL, verb character varying NOT NULL, path character varying NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, topic character varying);
CREATE INDEX index_permissions_on_topic ON permissions (topic);
CREATE TABLE phones (id bigserial PRIMARY KEY, user_id bigint NOT NULL, country character varying NOT NULL, code character varying(5), validated_at timestamp without time zone, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, number_encrypted character varying NOT NULL, number_index bigint NOT NULL);
CREATE INDEX index_phones_on_number_index ON phones (number_index);
CREATE INDEX index_phones_on_user_id ON phones (user_id);
CREATE TABLE profiles (id bigserial PRIMARY KEY, user_id bigint, postcode character varying, city character varying, country character varying, metadata text, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, state smallint DEFAULT 0, author character varying, applicant_id character varying, first_name_encrypted character varying(1024), last_name_encrypted character varying(1024), dob_encrypted character varying, address_encrypted character varying(1024));
CREATE INDEX index_profiles_on_user_id ON profiles (user_id);
CREATE TABLE restrictions (id bigserial PRIMARY KEY, scope character varying(64) NOT NULL, value character varying(64) NOT NULL, state character varying(16) DEFAULT 'enabled' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, code integer, category character varying NOT NULL);
CREATE TABLE service_accounts (id bigserial PRIMARY KEY, uid character varying NOT NULL, owner_id bigint, email character varying NOT NULL, role character varying DEFAULT 'service_account' NOT NULL, level integer DEFAULT 0 NOT NULL, state character varying DEFAULT 'pending' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL);
CREATE TABLE users (id bigserial PRIMARY KEY, uid character varying NOT NULL, email character varying NOT NULL, password_digest character varying NOT NULL, role character varying DEFAULT 'member' NOT NULL, level integer DEFAULT 0 NOT NULL, otp boolean DEFAULT false, state character varying DEFAULT 'pending' NOT NULL, created_at timestamp without time zone NOT NULL, updated_at timestamp without time zone NOT NULL, referral_id bigint, data text, username character varying);
CREATE UNIQUE INDEX index_users_on_email ON users (email);
CREATE UNIQUE INDEX index_users_on_uid ON users (uid);
CREATE UNIQUE INDEX index_users_on_username ON users (username);
