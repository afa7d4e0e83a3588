package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/barong-go/barong"
)

// BenchmarkUserView reads a KYC'd user's view (the users/me statement) on
// each database, sequentially.
func BenchmarkUserView(b *testing.B) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		b.Run(dialect, func(b *testing.B) {
			db := openTestDB(b, dialect, Options{})
			ctx := context.Background()
			u := mustUser(b, db)
			for _, l := range []barong.Label{{Key: "email", Value: "verified", Scope: "private"}, {Key: "tier", Value: "gold", Scope: "public"}} {
				l.UserID = u.ID
				if err := db.CreateLabel(ctx, &l); err != nil {
					b.Fatal(err)
				}
			}
			now := time.Now().UTC().Truncate(time.Second)
			if err := db.CreatePhone(ctx, &barong.Phone{UserID: u.ID, Country: "UA", Code: "1", Number: "380501234567", ValidatedAt: &now}); err != nil {
				b.Fatal(err)
			}
			if err := db.CreateProfile(ctx, &barong.Profile{UserID: u.ID, FirstName: "Ann", LastName: "Lee", DOB: "1990-01-02",
				Country: "UA", State: "submitted", Metadata: "{}"}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := db.UserView(ctx, u.UID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUserByUID is the one-row lookup, the floor of a statement on
// each database, to compare BenchmarkUserView with.
func BenchmarkUserByUID(b *testing.B) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres, DialectMySQL} {
		b.Run(dialect, func(b *testing.B) {
			db := openTestDB(b, dialect, Options{})
			ctx := context.Background()
			u := mustUser(b, db)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := db.UserByUID(ctx, u.UID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
