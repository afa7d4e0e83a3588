package barongimport

import (
	"strings"
	"testing"
)

func TestReportAndProgressBar(t *testing.T) {
	var b strings.Builder
	bar := ProgressBar(&b)
	bar("users", 250, 1000)
	bar("users", 1000, 1000)
	if out := b.String(); !strings.Contains(out, "\rusers") || !strings.Contains(out, "250/1000") ||
		!strings.Contains(out, "[==============================] 1000/1000\n") {
		t.Fatalf("bar %q", out)
	}
	b.Reset()
	r := &Report{DryRun: true, Tables: []TableReport{{Table: "users", Source: 3, New: 2, Failed: 1}, {Table: "comments", Absent: true}},
		Failures: []RowFailure{{Table: "users", ID: 6, Reason: "same email as user 5"}}}
	r.Print(&b)
	for _, want := range []string{"dry run: nothing was written", "users", "(none in this Barong version)", "1 rows cannot be imported", "users id 6: same email as user 5"} {
		if !strings.Contains(b.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, b.String())
		}
	}
}
