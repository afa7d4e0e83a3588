package api

import (
	"net/http"
)

// routes lists the management endpoints (reference §8.2) with their scopes.
func (m *management) routes() {
	m.add("POST", "/timestamp", "tools", "Server time in seconds since the Unix epoch", m.timestamp)

	m.add("POST", "/users/get", "read_users", "A user with KYC records by uid, email or phone_num", m.getUser)
	m.add("POST", "/users/list", "read_users", "List users", m.listUsers)
	m.add("POST", "/users", "write_users", "Create a user", m.createUser)
	m.add("POST", "/users/update", "write_users", "Update a user's role or data", m.updateUser)
	m.add("POST", "/users/import", "write_users", "Import a user with a bcrypt password digest", m.importUser)
	m.add("POST", "/profiles", "write_users", "Create a profile for a user", m.createProfile)

	m.add("POST", "/phones/get", "read_phones", "A user's phones", m.phones)
	m.add("POST", "/phones", "write_phones", "Add a validated phone to a user", m.addPhone)
	m.add("POST", "/phones/delete", "write_phones", "Delete a user's phone", m.deletePhone)

	m.add("POST", "/labels/filter/users", "read_users", "Users having a label", m.labeledUsers)
	m.add("POST", "/labels/list", "read_labels", "A user's labels", m.labels)
	m.add("POST", "/labels", "write_labels", "Create a private label", m.createLabel)
	m.add("PUT", "/labels", "write_labels", "Update (or create) a private label", m.updateLabel)
	m.add("POST", "/labels/delete", "write_labels", "Delete a private label", m.deleteLabel)

	m.add("POST", "/otp/sign", "otp_sign", "Sign a JWS as barong after checking the user's TOTP code", m.signOTP)
	m.add("POST", "/documents", "write_documents", "Upload a base64 document for a user", m.createDocument)

	m.add("POST", "/service_accounts/get", "read_service_accounts", "A service account by uid or email", m.getServiceAccount)
	m.add("POST", "/service_accounts/list", "read_service_accounts", "List service accounts", m.listServiceAccounts)
	m.add("POST", "/service_accounts/create", "write_service_accounts", "Create a service account", m.createServiceAccount)
	m.add("POST", "/service_accounts/update", "write_service_accounts", "Change a service account's owner", m.updateServiceAccount)
	m.add("POST", "/service_accounts/delete", "write_service_accounts", "Disable a service account", m.deleteServiceAccount)

	m.add("POST", "/api_keys", "write_apikeys", "Create an API key for a user or service account", m.createAPIKey)
	m.add("POST", "/api_keys/update", "write_apikeys", "Update an API key", m.updateAPIKey)
}

// timestamp is POST /management/timestamp.
func (m *management) timestamp(w http.ResponseWriter, r *http.Request, p *mparams) error {
	writeJSON(w, http.StatusOK, map[string]int64{"timestamp": m.cfg.Now().Unix()})
	return nil
}
