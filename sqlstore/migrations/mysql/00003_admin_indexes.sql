-- Indexes for the admin API's filters and lists (reference §8.1): pending
-- documents by label change, label counts, profile country, admin activity
-- lists and the metrics' per-day counts, and the user list filters combined
-- with its default order (by id).

-- +goose Up
CREATE INDEX idx_labels_key_scope_value_updated ON labels (`key`, scope, value, updated_at);
CREATE INDEX idx_profiles_country_user ON profiles (country, user_id);
CREATE INDEX idx_activities_category_id ON activities (category, id);
CREATE INDEX idx_activities_topic_action_result_created ON activities (topic, action, result, created_at);
CREATE INDEX idx_activities_user_category_id ON activities (user_id, category, id);
CREATE INDEX idx_users_role_id ON users (role, id);
CREATE INDEX idx_users_state_id ON users (state, id);
CREATE INDEX idx_users_level_id ON users (level, id);

-- +goose Down
DROP INDEX idx_users_level_id ON users;
DROP INDEX idx_users_state_id ON users;
DROP INDEX idx_users_role_id ON users;
DROP INDEX idx_activities_user_category_id ON activities;
DROP INDEX idx_activities_topic_action_result_created ON activities;
DROP INDEX idx_activities_category_id ON activities;
DROP INDEX idx_profiles_country_user ON profiles;
DROP INDEX idx_labels_key_scope_value_updated ON labels;
