package server_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	barong "github.com/barong-go/barong"
	"github.com/barong-go/barong/config"
)

// refusalScopesYAML asks both signers for every scope, so that one signer
// alone is not enough anywhere.
const refusalScopesYAML = `scopes:
  tools: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  read_users: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  write_users: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  read_labels: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  write_labels: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  read_phones: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  write_phones: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  otp_sign: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  write_documents: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  read_service_accounts: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  write_service_accounts: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
  write_apikeys: {permitted_signers: [applogic, peatio], mandatory_signers: [applogic, peatio]}
`

// withoutActor are the exported methods of the concept services that take
// no actor: the public entry points, whose credential is among their
// arguments (sign-up, sign-in, tokens sent by e-mail, a session id, the
// KYCAID callback), and the lookups of the HTTP layer's authentication.
var withoutActor = []string{
	"Access.WhitelistAccess",
	"Identity.Auth0Login", "Identity.ConfirmEmail", "Identity.DeviceCookie", "Identity.Login",
	"Identity.RequestPasswordReset", "Identity.ResendConfirmation", "Identity.ResetPassword",
	"Identity.SignUp", "Identity.Throttle", "Identity.UseManagementJTI",
	"KYC.KYCAIDCallback",
	"Passkeys.Login", "Passkeys.LoginOptions",
	"Sessions.Logout",
	"Users.ByUID", "Users.InfoByUID",
}

// TestServicesRefuseActors calls every method of every concept service
// that takes a barong.Actor with actors lacking the right, and zero
// arguments otherwise: each must refuse with the family's 401 before it
// reads its arguments (no panic) and write nothing.
func TestServicesRefuseActors(t *testing.T) {
	m := newMgmtServer(t, "{}", refusalScopesYAML, nil)
	ts := m.testServer
	_, _ = ts.signUp(t, "first@example.com") // the superadmin
	_, _ = ts.signUp(t, "member@example.com")
	ctx := context.Background()
	super, err := ts.Store.UserByEmail(ctx, "first@example.com")
	if err != nil {
		t.Fatal(err)
	}
	member, err := ts.Store.UserByEmail(ctx, "member@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if super.Role != barong.RoleSuperadmin || member.Role != barong.RoleMember {
		t.Fatalf("roles %q %q", super.Role, member.Role)
	}
	db, ok := rawSQLite(t, ts)
	if !ok {
		t.Skip("not on SQLite")
	}
	counts := func() map[string]int {
		rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		rows.Close()
		out := map[string]int{}
		for _, n := range names {
			var c int
			if err := db.QueryRow(`SELECT COUNT(*) FROM "` + n + `"`).Scan(&c); err != nil {
				t.Fatal(err)
			}
			out[n] = c
		}
		return out
	}

	nobody := *member
	nobody.Role = "nobody"
	wrongEverywhere := map[string]barong.Actor{
		"zero":                      {},
		"user without user":         barong.UserActor(nil),
		"admin without user":        barong.AdminActor(nil),
		"admin member":              barong.AdminActor(member),
		"admin nobody":              barong.AdminActor(&nobody),
		"management nobody":         barong.ManagementActor([]string{"unknown"}),
		"management none":           barong.ManagementActor(nil),
		"management applogic alone": barong.ManagementActor([]string{"applogic"}),
		"management peatio alone":   barong.ManagementActor([]string{"peatio"}),
		"system":                    barong.SystemActor("test"),
		"user with admin kind":      {Kind: barong.ActorAdmin},
	}
	// Right for one family, wrong for the others.
	family := map[string]barong.Actor{
		"user":       barong.UserActor(member),
		"admin":      barong.AdminActor(super),
		"management": barong.ManagementActor([]string{"applogic", "peatio"}),
	}
	wantKeys := map[string][]string{
		"user":       {"authz.invalid_session"},
		"admin":      {"admin.ability.not_permitted"},
		"management": {"Failed to verify JWT.", "Not enough signatures for the action."},
	}

	actorType := reflect.TypeOf(barong.Actor{})
	svc := reflect.ValueOf(ts.App).Elem()
	before := counts()
	var seen, free []string
	for i := 0; i < svc.NumField(); i++ {
		f := svc.Type().Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
			continue
		}
		concept := svc.Field(i)
		for j := 0; j < concept.NumMethod(); j++ {
			meth := concept.Type().Method(j)
			name := f.Name + "." + meth.Name
			mt := meth.Type // with the receiver
			actorAt := -1
			for k := 1; k < mt.NumIn(); k++ {
				if mt.In(k) == actorType {
					actorAt = k
				}
			}
			if actorAt < 0 {
				free = append(free, name)
				continue
			}
			seen = append(seen, name)
			fam := "user"
			switch {
			case strings.HasPrefix(meth.Name, "Admin") || f.Name == "Access":
				fam = "admin"
			case strings.HasPrefix(meth.Name, "Management"):
				fam = "management"
			}
			actors := map[string]barong.Actor{}
			for k, a := range wrongEverywhere {
				actors[k] = a
			}
			for k, a := range family {
				if k != fam {
					actors[k] = a
				}
			}
			for an, a := range actors {
				err := callRefused(concept.Method(j), actorAt-1, a)
				e := barong.AsError(err)
				if e == nil || e.Kind != barong.KindUnauthenticated || len(e.Keys) != 1 || !slices.Contains(wantKeys[fam], e.Keys[0]) {
					t.Errorf("%s (%s) as %s: %v, want 401 %v", name, fam, an, err, wantKeys[fam])
				}
			}
		}
	}
	t.Logf("%d methods take an actor, %d do not", len(seen), len(free))
	if len(seen) < 80 {
		t.Errorf("only %d methods take an actor: %v", len(seen), seen)
	}
	slices.Sort(free)
	if !slices.Equal(free, withoutActor) {
		t.Errorf("methods without an actor:\n got %v\nwant %v", free, withoutActor)
	}
	if after := counts(); !reflectEqual(before, after) {
		t.Errorf("rows written: before %v after %v", before, after)
	}
}

// callRefused calls m with a context, actor a at index at and zero values
// elsewhere, and returns its error result (a panic is an error).
func callRefused(m reflect.Value, at int, a barong.Actor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	mt := m.Type()
	in := make([]reflect.Value, mt.NumIn())
	for k := range in {
		switch {
		case k == at:
			in[k] = reflect.ValueOf(a)
		case mt.In(k) == reflect.TypeFor[context.Context]():
			in[k] = reflect.ValueOf(context.Background())
		default:
			in[k] = reflect.Zero(mt.In(k))
		}
	}
	out := m.Call(in)
	last := out[len(out)-1]
	if last.Type() != reflect.TypeFor[error]() {
		return fmt.Errorf("last result is %s, not error", last.Type())
	}
	if last.IsNil() {
		return nil
	}
	return last.Interface().(error)
}

func reflectEqual(a, b map[string]int) bool { return reflect.DeepEqual(a, b) }

// TestProcessWorkRefusesActors: the process's own work (seeds, the admin
// from the environment, the setup token, the KYCAID reconciler) is done
// as the system actor only; a user, an admin or management signers are
// refused before anything is read or written.
func TestProcessWorkRefusesActors(t *testing.T) {
	ts := newServer(t, nil)
	_, _ = ts.signUp(t, "first@example.com") // the superadmin
	ctx := context.Background()
	super, err := ts.Store.UserByEmail(ctx, "first@example.com")
	if err != nil {
		t.Fatal(err)
	}
	db, ok := rawSQLite(t, ts)
	if !ok {
		t.Skip("not on SQLite")
	}
	users := func() int {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := users()
	seeds := &config.Seeds{Users: []config.SeedUser{{Email: "seeded@example.com", Password: strongPassword, Role: "member", State: "active"}}}
	work := map[string]func(a barong.Actor) error{
		"ApplySeeds":  func(a barong.Actor) error { return ts.App.ApplySeeds(ctx, a, seeds) },
		"EnsureAdmin": func(a barong.Actor) error { return ts.App.EnsureAdmin(ctx, a, "envadmin@example.com", strongPassword) },
		"IssueSetupToken": func(a barong.Actor) error {
			_, err := ts.App.IssueSetupToken(ctx, a)
			return err
		},
		"ReconcileKYCAID": func(a barong.Actor) error { return ts.App.ReconcileKYCAID(ctx, a) },
	}
	actors := map[string]barong.Actor{
		"zero":       {},
		"user":       barong.UserActor(super),
		"admin":      barong.AdminActor(super),
		"management": barong.ManagementActor([]string{"applogic", "peatio"}),
	}
	for name, f := range work {
		for an, a := range actors {
			err := f(a)
			var be *barong.Error
			if !errors.As(err, &be) || be.Kind != barong.KindUnauthenticated || !slices.Contains(be.Keys, "admin.ability.not_permitted") {
				t.Errorf("%s as %s: %v, want 401 admin.ability.not_permitted", name, an, err)
			}
		}
	}
	if got := users(); got != before {
		t.Fatalf("users %d after the refusals, want %d", got, before)
	}
}
