package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"log/slog"

	"github.com/barong-go/barong/app"
	"github.com/barong-go/barong/config"
	"github.com/barong-go/barong/phone"
	"github.com/barong-go/barong/storage"
)

// openKYC builds the phone verification provider and the document storage
// of cfg (BARONG_PHONE_VERIFICATION, BARONG_TWILIO_*, BARONG_STORAGE_*).
func openKYC(cfg *config.Config, encKey []byte, log *slog.Logger) (phone.Provider, storage.Storage, error) {
	// Links to local uploads are signed with a key derived from the
	// encryption key (no new secret to manage; rotating that key voids the
	// links, which live a minute anyway).
	ph, err := phoneProvider(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	st, err := fileStorage(cfg, deriveKey(encKey, "barong-go local upload links"), log)
	if err != nil {
		return nil, nil, err
	}
	return ph, st, nil
}

// phoneProvider is the SMS provider of cfg.
func phoneProvider(cfg *config.Config, log *slog.Logger) (phone.Provider, error) {
	ph, err := phone.New(phone.Config{Mode: cfg.PhoneVerification, AccountSID: cfg.TwilioAccountSID,
		AuthToken: cfg.TwilioAuthToken, ServiceSID: cfg.TwilioServiceSID, From: cfg.TwilioPhoneNumber,
		Template: cfg.SMSContentTemplate, AppName: cfg.AppName},
		phone.WithBaseURL(cfg.TwilioAPIURL), phone.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("BARONG_PHONE_VERIFICATION: %w", err)
	}
	return ph, nil
}

// fileStorage is the upload storage of cfg; urlSecret signs local links.
func fileStorage(cfg *config.Config, urlSecret []byte, log *slog.Logger) (storage.Storage, error) {
	st, err := storage.New(storage.Config{Provider: cfg.StorageProvider, LocalDir: cfg.StorageLocalDir,
		Bucket: cfg.StorageBucketName, AccessKey: cfg.StorageAccessKey, SecretKey: cfg.StorageSecretKey,
		Endpoint: cfg.StorageEndpoint, Region: cfg.StorageRegion, PathStyle: cfg.StoragePathstyle,
		SignatureVersion: cfg.StorageSignatureVersion, URLExpiry: cfg.UploadAuthURLExpiration, URLSecret: urlSecret},
		storage.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("BARONG_STORAGE_PROVIDER: %w", err)
	}
	return st, nil
}

// deriveKey is a key for one purpose derived from the encryption key.
func deriveKey(encKey []byte, purpose string) []byte {
	m := hmac.New(sha256.New, encKey)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// documentRules are the document upload rules of cfg. The size range is
// Barong's min_range .. max_range megabytes, so the minimum counts bytes
// (reference §2.2 Note).
func documentRules(cfg *config.Config) app.DocumentRules {
	return app.DocumentRules{Types: cfg.App.DocumentTypes, RequireExpire: cfg.RequiredDocsExpire,
		Limit: cfg.DocNumLimit, MinBytes: int64(cfg.UploadSizeMinRange), MaxBytes: int64(cfg.UploadSizeMaxRange) << 20,
		Extensions: cfg.UploadExtensionWhitelist}
}
