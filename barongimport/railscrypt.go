package barongimport

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// railsDecrypter opens the values Barong ≥ 2.6 keeps in its *_encrypted
// columns (EncryptionService): "<salt>.<message>", where salt is the year
// and week of the write (%Y%W) and the key is PBKDF2-HMAC-SHA1 of
// SECRET_KEY_BASE with that salt, 65 536 rounds, 32 bytes, as
// ActiveSupport::KeyGenerator; message is ActiveSupport::MessageEncryptor's
// AES-256-GCM form base64(data)--base64(iv)--base64(tag), or its
// AES-256-CBC form signed with HMAC-SHA1, holding a Ruby Marshal dump.
type railsDecrypter struct {
	secret string

	mu   sync.Mutex
	keys map[string][]byte // salt -> key
}

func newRailsDecrypter(secretKeyBase string) *railsDecrypter {
	return &railsDecrypter{secret: secretKeyBase, keys: map[string][]byte{}}
}

// isRailsEncrypted tells EncryptionService's form from a plain value.
func isRailsEncrypted(v string) bool {
	salt, msg, ok := strings.Cut(v, ".")
	if !ok || salt == "" || !strings.Contains(msg, "--") {
		return false
	}
	for _, r := range salt {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}

func (d *railsDecrypter) key(salt string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if k, ok := d.keys[salt]; ok {
		return k, nil
	}
	k, err := pbkdf2.Key(sha1.New, d.secret, []byte(salt), 1<<16, 32)
	if err != nil {
		return nil, err
	}
	d.keys[salt] = k
	return k, nil
}

// decrypt returns the plain value: a string, or a date as YYYY-MM-DD.
func (d *railsDecrypter) decrypt(v string) (string, error) {
	if d.secret == "" {
		return "", errors.New("encrypted by Barong's EncryptionService: SECRET_KEY_BASE (Barong's) is not set")
	}
	salt, msg, _ := strings.Cut(v, ".")
	key, err := d.key(salt)
	if err != nil {
		return "", fmt.Errorf("derive key: %w", err)
	}
	parts := strings.Split(msg, "--")
	var dump []byte
	switch len(parts) {
	case 3:
		dump, err = openGCM(key, parts)
	case 2:
		dump, err = openCBC(key, parts)
	default:
		err = errors.New("not a MessageEncryptor message")
	}
	if err != nil {
		return "", fmt.Errorf("decrypt with SECRET_KEY_BASE: %w", err)
	}
	return unmarshalRuby(dump)
}

func openGCM(key []byte, parts []string) ([]byte, error) {
	var raw [3][]byte
	for i, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return nil, errors.New("bad base64")
		}
		raw[i] = b
	}
	data, iv, tag := raw[0], raw[1], raw[2]
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(tag) != 16 || len(iv) == 0 {
		return nil, errors.New("bad iv or tag")
	}
	aead, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil {
		return nil, err
	}
	out, err := aead.Open(nil, iv, append(append([]byte{}, data...), tag...), nil)
	if err != nil {
		return nil, errors.New("message authentication failed (another SECRET_KEY_BASE?)")
	}
	return out, nil
}

// openCBC opens MessageEncryptor's AES-256-CBC form:
// base64(base64(data)--base64(iv))--hex(HMAC-SHA1(key, that base64)).
func openCBC(key []byte, parts []string) ([]byte, error) {
	mac := hmac.New(sha1.New, key)
	mac.Write([]byte(parts[0]))
	want := hex.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(parts[1])) != 1 {
		return nil, errors.New("signature mismatch (another SECRET_KEY_BASE?)")
	}
	inner, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("bad base64")
	}
	enc64, iv64, ok := strings.Cut(string(inner), "--")
	if !ok {
		return nil, errors.New("not a MessageEncryptor message")
	}
	data, err1 := base64.StdEncoding.DecodeString(enc64)
	iv, err2 := base64.StdEncoding.DecodeString(iv64)
	if err1 != nil || err2 != nil || len(iv) != aes.BlockSize || len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("bad ciphertext")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(out) {
		return nil, errors.New("bad padding")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("bad padding")
		}
	}
	return out[:len(out)-pad], nil
}
