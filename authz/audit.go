package authz

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"

	barong "github.com/barong-go/barong"
)

var verbAction = map[string]string{"POST": "create", "PUT": "update", "GET": "read", "DELETE": "delete", "PATCH": "update"}

// record queues an admin-category activity (reference §7.5); a background
// writer stores it, so the request does not wait for the database.
func (e *Engine) record(u *barong.User, r Request, result, topic string) {
	if topic == "" {
		topic = "general"
		if i := strings.Index(r.Path, "admin/"); i >= 0 {
			rest := r.Path[i+len("admin/"):]
			if j := strings.IndexByte(rest, '/'); j >= 0 {
				rest = rest[:j]
			}
			if rest != "" {
				topic = rest
			}
		}
	}
	action, ok := verbAction[strings.ToUpper(r.Method)]
	if !ok {
		action = "system"
	}
	var params map[string]any
	if r.Params != nil {
		params = r.Params()
	}
	target := ""
	for _, k := range []string{"uid", "user_uid"} {
		if v, ok := params[k].(string); ok && v != "" {
			target = v
			break
		}
	}
	data := ""
	if params != nil {
		redactSecrets(params)
		if b, err := json.Marshal(params); err == nil {
			data = string(b)
		}
	}
	a := barong.Activity{UserID: u.ID, TargetUID: target, Category: barong.CategoryAdmin, UserIP: r.IP,
		UserAgent: r.UserAgent, Topic: topic, Action: action, Result: result, Data: data}
	if e.geo != nil {
		_, a.UserIPCountry, _, _ = e.geo.Lookup(r.IP)
	}
	select {
	case e.audit <- &a:
	default:
		e.log.Warn("audit queue full; activity dropped", slog.String("topic", topic))
	}
}

// redactSecrets hides values that must not be persisted (Barong stored
// request bodies with passwords and codes verbatim; reference §7.5 Note):
// passwords, OTP and other codes (code, verification_code, …), PINs,
// secrets, tokens, JWTs, signatures and private keys, at any depth.
func redactSecrets(m map[string]any) {
	for k, v := range m {
		if secretParam(k) {
			m[k] = "[FILTERED]"
			continue
		}
		redactValue(v)
	}
}

// redactValue redacts the objects in v, an object or a list.
func redactValue(v any) {
	switch x := v.(type) {
	case map[string]any:
		redactSecrets(x)
	case []any:
		for _, e := range x {
			redactValue(e)
		}
	}
}

// secretParam reports whether a parameter named k holds a secret.
func secretParam(k string) bool {
	lk := strings.ToLower(k)
	for _, s := range []string{"password", "otp", "secret", "token", "jwt", "signature", "private_key", "privatekey"} {
		if strings.Contains(lk, s) {
			return true
		}
	}
	return lk == "code" || strings.HasSuffix(lk, "_code") || lk == "pin" || strings.HasSuffix(lk, "_pin")
}

// writeAudits stores queued activities until ctx ends.
func (e *Engine) writeAudits(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-e.audit:
			batch := []*barong.Activity{a}
		drain:
			for len(batch) < 100 {
				select {
				case a := <-e.audit:
					batch = append(batch, a)
				default:
					break drain
				}
			}
			err := e.store.InTx(ctx, func(tx barong.Tx) error {
				for i := range batch {
					if err := tx.CreateActivity(ctx, batch[i]); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil && ctx.Err() == nil {
				e.log.Error("write audit activities", slog.Any("error", err))
			}
		}
	}
}
