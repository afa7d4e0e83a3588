package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

// mgmtError is a management API failure with the exact body Barong sends
// for it: {"error":"..."}, {"error":[...]}, {"errors":[...]} or a
// per-attribute object.
type mgmtError struct {
	status int
	body   any
}

func (e *mgmtError) Error() string { return fmt.Sprintf("management %d: %v", e.status, e.body) }

// mgmtFail is {"error": msg} with status.
func mgmtFail(status int, msg string) *mgmtError {
	return &mgmtError{status: status, body: map[string]string{"error": msg}}
}

// writeError renders a management failure. A *barong.Error of the app's
// management rules carries its message as its key; a model error not
// rendered by its handler gets Barong's full messages.
func (m *management) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var me *mgmtError
	if errors.As(err, &me) {
		writeJSON(w, me.status, me.body)
		return
	}
	var model *app.ModelError
	if errors.As(err, &model) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string][]string{"error": fullMessages(model.Keys)})
		return
	}
	e := barong.AsError(err)
	if e == nil && errors.Is(err, barong.ErrNotFound) {
		e = barong.NotFound(app.MsgRecordNotFound)
	}
	if e == nil || e.Kind == barong.KindInternal {
		m.s.log.ErrorContext(r.Context(), "management request failed", slog.String("path", r.URL.Path),
			slog.Any("error", err))
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server.internal_error"})
		return
	}
	status := e.HTTPStatus()
	writeJSON(w, status, map[string]string{"error": strings.Join(e.Keys, ", ")})
}

// The renderings of model validation failures, as each Barong endpoint
// chose: full messages (error! full_messages), one sentence
// (full_messages.to_sentence), messages per attribute (errors.as_json
// full_messages: true) and bare keys (code_error!). Other errors pass.

func modelFull(err error) error {
	return renderModel(err, func(keys []string) any { return map[string][]string{"error": fullMessages(keys)} })
}

func modelSentence(err error) error {
	return renderModel(err, func(keys []string) any { return map[string]string{"error": toSentence(fullMessages(keys))} })
}

func modelByAttribute(err error) error {
	return renderModel(err, func(keys []string) any {
		out := members[[]string]{}
		for _, k := range keys {
			attr, _, _ := strings.Cut(k, ".")
			msg := fullMessage(k)
			found := false
			for i := range out {
				if out[i].k == attr {
					out[i].v = append(out[i].v, msg)
					found = true
				}
			}
			if !found {
				out = append(out, member[[]string]{attr, []string{msg}})
			}
		}
		return out
	})
}

func modelKeys(err error) error {
	return renderModel(err, func(keys []string) any { return map[string][]string{"errors": keys} })
}

func renderModel(err error, body func(keys []string) any) error {
	var model *app.ModelError
	if errors.As(err, &model) {
		return &mgmtError{status: http.StatusUnprocessableEntity, body: body(model.Keys)}
	}
	return err
}

// railsMessages are the English messages of Rails' standard validation
// types; other types are custom messages and appear verbatim.
var railsMessages = map[string]string{
	"blank":     "can't be blank",
	"invalid":   "is invalid",
	"taken":     "has already been taken",
	"inclusion": "is not included in the list",
	"exclusion": "is reserved",
}

// attributeLengths are the length bounds of the attributes whose too_short
// and too_long messages name them.
var attributeLengths = map[string][2]int{
	"key": {3, 255}, "value": {3, 255}, "username": {4, 12}, "data": {0, 1024}, "doc_number": {0, 128},
	"first_name": {1, 255}, "last_name": {1, 255}, "address": {1, 255}, "city": {1, 255}, "postcode": {2, 255},
	"state": {0, 255}, "identificator": {0, 255}, "description": {0, 255}, "email": {0, 255},
}

// fullMessage is Rails' full message of an attr.type key:
// "email.invalid" → "Email is invalid", "role.doesnt_exist" → "Role
// doesnt_exist", "key.too_short" → "Key is too short (minimum is 3
// characters)".
func fullMessage(key string) string {
	attr, typ, _ := strings.Cut(key, ".")
	msg, ok := railsMessages[typ]
	if !ok {
		msg = typ
		b := attributeLengths[attr]
		switch typ {
		case "too_short":
			msg = "is too short" + lengthNote("minimum", b[0])
		case "too_long":
			msg = "is too long" + lengthNote("maximum", b[1])
		}
	}
	return humanize(attr) + " " + msg
}

func lengthNote(bound string, n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (" + bound + " is 1 character)"
	}
	return fmt.Sprintf(" (%s is %d characters)", bound, n)
}

func fullMessages(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fullMessage(k)
	}
	return out
}

// humanize is Rails' attribute humanize: without a trailing _id,
// underscores as spaces, the first letter upper-cased.
func humanize(attr string) string {
	s := strings.ReplaceAll(strings.TrimSuffix(attr, "_id"), "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// toSentence joins as Rails' to_sentence: "a", "a and b", "a, b, and c".
func toSentence(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	case 2:
		return parts[0] + " and " + parts[1]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + ", and " + parts[len(parts)-1]
}
