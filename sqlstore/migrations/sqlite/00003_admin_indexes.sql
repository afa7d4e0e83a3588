-- Indexes for the admin API's filters and lists (reference §8.1). The user
-- filters get (column, id) indexes, which also serve the default order by
-- id and the deferred join of deep pages (sqlstore/admin.go userPage), in
-- place of the single-column ones; (role, state, level) answers the counts
-- of those filters combined from the index alone. Then: pending documents
-- by label change and label counts, profile country, the admin activity
-- lists and the metrics' per-day counts.

-- +goose Up
CREATE INDEX idx_users_role_id ON users (role, id);
CREATE INDEX idx_users_state_id ON users (state, id);
CREATE INDEX idx_users_level_id ON users (level, id);
CREATE INDEX idx_users_role_state_level ON users (role, state, level);
DROP INDEX idx_users_role;
DROP INDEX idx_users_state;
DROP INDEX idx_users_level;
CREATE INDEX idx_labels_key_scope_value_updated ON labels ("key", scope, value, updated_at);
CREATE INDEX idx_profiles_country_user ON profiles (country, user_id);
CREATE INDEX idx_activities_category_id ON activities (category, id);
DROP INDEX idx_activities_category;
CREATE INDEX idx_activities_user_category_id ON activities (user_id, category, id);
CREATE INDEX idx_activities_topic_action_result_created ON activities (topic, action, result, created_at);

-- +goose Down
DROP INDEX idx_activities_topic_action_result_created;
DROP INDEX idx_activities_user_category_id;
CREATE INDEX idx_activities_category ON activities (category);
DROP INDEX idx_activities_category_id;
DROP INDEX idx_profiles_country_user;
DROP INDEX idx_labels_key_scope_value_updated;
CREATE INDEX idx_users_level ON users (level);
CREATE INDEX idx_users_state ON users (state);
CREATE INDEX idx_users_role ON users (role);
DROP INDEX idx_users_role_state_level;
DROP INDEX idx_users_level_id;
DROP INDEX idx_users_state_id;
DROP INDEX idx_users_role_id;
