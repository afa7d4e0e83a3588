package server_test

import (
	"strings"
	"testing"
)

// TestHostileDocumentFields uploads a valid scan with each hostile value
// in each text field of POST /resource/documents and /resource/addresses
// (multipart, as browsers send them) on the three databases: never a 5xx,
// and a refused upload stores no document row.
func TestHostileDocumentFields(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, map[string]string{"BARONG_DOC_NUM_LIMIT": "100000"}, func(t *testing.T, env map[string]string) {
		ts, c, u, _ := docServer(t, env)
		base := map[string]map[string]string{
			"/documents": {"doc_type": "Passport", "doc_number": "AB123", "doc_expire": docFuture(), "doc_category": "front_side",
				"identificator": "id-1", "metadata": `{"a":"b"}`},
			"/addresses": {"address": "1 Main St", "city": "Paris", "country": "FR", "postcode": "75001"},
		}
		for _, name := range []string{strings.Repeat("n", 300) + ".png", strings.Repeat("n", 10000) + ".png", strings.Repeat("😀", 100) + ".png",
			"a\xffb.png", "a\x00b.png", "../../../etc/passwd.png", "..png", ".png", "a/b\\c.png", "con.png", " .png"} {
			for path, fields := range base {
				vals := docFields()
				for k, v := range fields {
					vals.Set(k, v)
				}
				before := len(docRows(t, ts, u.ID))
				r := docUpload(t, c, res+path, vals, docPNG(name))
				after := len(docRows(t, ts, u.ID))
				if r.Status >= 500 || (r.Status >= 400 && (len(r.errors()) == 0 || after != before)) {
					t.Errorf("%s file name %.30q: %d (%d documents written) %.300s", path, name, r.Status, after-before, r.Body)
				}
			}
		}
		for path, fields := range base {
			for name := range fields {
				for _, h := range hostileValues() {
					if h.json {
						continue
					}
					vals := docFields()
					for k, v := range fields {
						vals.Set(k, v)
					}
					vals.Set(name, h.str)
					before := len(docRows(t, ts, u.ID))
					r := docUpload(t, c, res+path, vals, docPNG("scan.png"))
					after := len(docRows(t, ts, u.ID))
					switch {
					case r.Status >= 500:
						t.Errorf("%s %s=%s: %d %.300s", path, name, h.name, r.Status, r.Body)
					case r.Status >= 400 && len(r.errors()) == 0:
						t.Errorf("%s %s=%s: %d without keys %.300s", path, name, h.name, r.Status, r.Body)
					case r.Status >= 400 && after != before:
						t.Errorf("%s %s=%s: refused (%d) but %d documents written", path, name, h.name, r.Status, after-before)
					}
				}
			}
		}
	})
}
