package server_test

import (
	"context"
	"sync"
	"testing"
)

// Concurrent POST /resource/profiles of one user: exactly one is created,
// the others are 409 state.exists, on every database (the check and the
// insert run under the user's row lock).
func TestConcurrentProfileCreation(t *testing.T) {
	t.Parallel()
	onEachDatabase(t, nil, func(t *testing.T, env map[string]string) {
		ts, c, u := resAMember(t, env, "member@example.com")
		const n = 8
		statuses := make([]int, n)
		keys := make([][]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := c.do(t, "POST", res+"/profiles", resAProfileBody())
				statuses[i], keys[i] = r.Status, r.errors()
			})
		}
		wg.Wait()
		created := 0
		for i, s := range statuses {
			switch {
			case s == 201:
				created++
			case s == 409 && len(keys[i]) == 1 && keys[i][0] == "state.exists":
			default:
				t.Fatalf("request %d: %d %v", i, s, keys[i])
			}
		}
		ps, err := ts.DB.ProfilesByUser(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if created != 1 || len(ps) != 1 {
			t.Fatalf("%d created, %d stored, want 1 (statuses %v)", created, len(ps), statuses)
		}
	})
}
