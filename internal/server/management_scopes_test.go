package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/barong-go/barong/api"
)

// TestManagementScopesAgree: the scope each management route declares
// (api/routes.go: the signers whose signatures the route verifies) is the
// scope its service method checks (app: mayManage). For each scope, a
// server whose management_api.yml configures that scope alone: its
// routes get past authorization (never 401), every other route is
// refused 401.
func TestManagementScopesAgree(t *testing.T) {
	t.Parallel()
	routes := map[string][]api.Route{}
	for _, r := range api.New(api.Config{}, api.Deps{}).Routes() {
		if r.Family == "management" {
			if r.Scope == "" {
				t.Fatalf("management route %s %s declares no scope", r.Method, r.Path)
			}
			routes[r.Scope] = append(routes[r.Scope], r)
		}
	}
	scopes := make([]string, 0, len(routes))
	for s := range routes {
		scopes = append(scopes, s)
	}
	slices.Sort(scopes)
	for _, scope := range scopes {
		t.Run(scope, func(t *testing.T) {
			t.Parallel()
			m := newMgmtServer(t, "{}", fmt.Sprintf("scopes:\n  %s: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic]}\n", scope), nil)
			for _, other := range scopes {
				for _, r := range routes[other] {
					path := strings.NewReplacer("{uid}", "IDNOSUCH0001", "{kid}", "0000000000000000").Replace(r.Path)
					resp := m.callAs(t, r.Method, path, map[string]any{}, m.applogic, m.peatio)
					switch {
					case other == scope && resp.Status == 401:
						t.Errorf("%s %s (scope %s) refused with its own scope's signers: %s", r.Method, r.Path, scope, resp.Body)
					case other != scope && resp.Status != 401:
						t.Errorf("%s %s (scope %s) answered %d with only scope %s configured: %s", r.Method, r.Path, other, resp.Status, scope, resp.Body)
					}
				}
			}
		})
	}
}
