package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/app"
)

// phones is POST /management/phones/get: 201 [Phone].
func (m *management) phones(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("uid")
	if err := p.Err(); err != nil {
		return err
	}
	ps, err := m.s.app.KYC.ManagementPhones(r.Context(), mgmtActor(r), uid)
	if err != nil {
		return err
	}
	out := entitiesWith(ps, phoneEntity, false)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// addPhone is POST /management/phones: 201 Phone.
func (m *management) addPhone(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, number := p.Required("uid"), p.Required("number")
	if err := p.Err(); err != nil {
		return err
	}
	ph, err := m.s.app.KYC.ManagementAddPhone(r.Context(), mgmtActor(r), uid, number)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, phoneEntity(ph, false))
	return nil
}

// deletePhone is POST /management/phones/delete: 201 the deleted Phone.
func (m *management) deletePhone(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, number := p.Required("uid"), p.Required("number")
	if err := p.Err(); err != nil {
		return err
	}
	ph, err := m.s.app.KYC.ManagementDeletePhone(r.Context(), mgmtActor(r), uid, number)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, phoneEntity(ph, false))
	return nil
}

// labels is POST /management/labels/list: 201 [AdminLabelView].
func (m *management) labels(w http.ResponseWriter, r *http.Request, p *params) error {
	uid := p.Required("user_uid")
	if err := p.Err(); err != nil {
		return err
	}
	ls, err := m.s.app.Labels.ManagementList(r.Context(), mgmtActor(r), uid)
	if err != nil {
		return err
	}
	out := entities(ls, mgmtLabelViewEntity)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// createLabel is POST /management/labels: 201 Label; validation failures
// 422 {"<attr>":[full messages]}.
func (m *management) createLabel(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, key, value := p.Required("user_uid"), p.Required("key"), p.Required("value")
	desc, _ := p.Optional("description")
	if err := p.Err(); err != nil {
		return err
	}
	l, err := m.s.app.Labels.ManagementCreate(r.Context(), mgmtActor(r), uid, key, value, desc)
	if err != nil {
		return modelByAttribute(err)
	}
	writeJSON(w, http.StatusCreated, labelEntity(l))
	return nil
}

// updateLabel is PUT /management/labels: 200 Label.
func (m *management) updateLabel(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, key, value := p.Required("user_uid"), p.Required("key"), p.Required("value")
	desc, _ := p.Optional("description")
	replace := p.Bool("replace", true, "is invalid")
	if err := p.Err(); err != nil {
		return err
	}
	l, err := m.s.app.Labels.ManagementUpdate(r.Context(), mgmtActor(r), uid, key, value, desc, replace)
	if err != nil {
		return modelByAttribute(err)
	}
	writeJSON(w, http.StatusOK, labelEntity(l))
	return nil
}

// deleteLabel is POST /management/labels/delete: 204.
func (m *management) deleteLabel(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, key := p.Required("user_uid"), p.Required("key")
	if err := p.Err(); err != nil {
		return err
	}
	if err := m.s.app.Labels.ManagementDelete(r.Context(), mgmtActor(r), uid, key); err != nil {
		return err
	}
	writeStatus(w, http.StatusNoContent)
	return nil
}

// signOTP is POST /management/otp/sign: 201 the JWS signed by barong.
func (m *management) signOTP(w http.ResponseWriter, r *http.Request, p *params) error {
	uid, code := p.Required("user_uid"), p.Required("otp_code")
	var jws []byte
	switch v := p.vals["jwt"].(type) {
	case nil:
		p.fail("jwt", "is missing")
		p.fail("jwt", "is empty")
	case map[string]any:
		if len(v) == 0 {
			p.fail("jwt", "is empty")
		}
		jws, _ = json.Marshal(v)
	default:
		p.fail("jwt", "is invalid")
	}
	if err := p.Err(); err != nil {
		return err
	}
	out, err := m.s.app.OTP.ManagementSign(r.Context(), mgmtActor(r), uid, code, jws, m.s.keys.Signing())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(out)
	return nil
}

// createDocument is POST /management/documents: 201; an unknown user is
// 404 {"errors":["user doesnt exist"]} (Barong: the same body with 201);
// validation failures 422 {"error":"<sentence>"}.
func (m *management) createDocument(w http.ResponseWriter, r *http.Request, p *params) error {
	in := app.ManagementDocumentInput{UID: p.Required("uid"), DocType: p.Required("doc_type"), DocNumber: p.Required("doc_number")}
	name, ext := p.Required("filename"), p.Required("file_ext")
	upload := p.RequiredBlankOK("upload")
	in.DocExpire, _ = p.Date("doc_expire", "management.documents.expire_not_a_date", true)
	in.UpdateLabels = p.Bool("update_labels", true, "management.documents.update_labels_invalid")
	in.Metadata = metadataParam(p)
	if err := p.Err(); err != nil {
		return err
	}
	if ext != "" && !strings.HasPrefix(ext, ".") {
		ext = "." + ext
	}
	in.File = app.Upload{Filename: name + ext}
	if data, err := base64.StdEncoding.DecodeString(upload); err != nil {
		// Barong failed with a 500 on text that is not Base64.
		return modelSentence(&app.ModelError{Keys: []string{"upload.invalid"}})
	} else if len(data) > 0 {
		in.File.Size = int64(len(data))
		in.File.Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	err := m.s.app.KYC.ManagementCreateDocument(r.Context(), mgmtActor(r), in)
	if e := barong.AsError(err); e != nil && e.Kind == barong.KindNotFound {
		return &mgmtError{status: http.StatusNotFound, body: map[string][]string{"errors": e.Keys}}
	}
	if err != nil {
		return modelSentence(err)
	}
	writeStatus(w, http.StatusCreated)
	return nil
}

// metadataParam reads metadata: a JSON object (Barong's Hash) or a JSON
// text, returned as JSON text ("" when not sent).
func metadataParam(p *params) string {
	v, ok := p.raw("metadata")
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	if _, ok := v.(map[string]any); !ok {
		p.fail("metadata", "is invalid")
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		p.fail("metadata", "is invalid")
		return ""
	}
	return string(b)
}
