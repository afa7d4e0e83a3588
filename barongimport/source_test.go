package barongimport

import (
	"context"
	"testing"

	"github.com/barong-go/barong/barongimport/barongtest"
	"github.com/barong-go/barong/vault/vaulttest"
)

// TestSourceIsReadOnly: whatever the import would run on Barong's
// database, the session refuses to write.
func TestSourceIsReadOnly(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			src := barongtest.New(t, dialect, "2.3", vaulttest.New(t))
			ctx := context.Background()
			s, err := openSource(ctx, src.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			if _, err := s.tx.ExecContext(ctx, `UPDATE users SET state = 'hacked'`); err == nil {
				t.Fatal("the source transaction accepted an UPDATE")
			}
			if s.cols["service_accounts"] != nil || !s.has("apikeys", "user_id") || !s.has("profiles", "first_name") {
				t.Fatalf("2.3 schema not recognised: %v", s.cols)
			}
		})
	}
}
