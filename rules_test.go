package barong

import "testing"

func lbl(key, value, scope string) Label { return Label{Key: key, Value: value, Scope: scope} }

var defaultRules = LabelRules{
	ActivationRequirements: []KeyValue{{"email", "verified"}},
	StateTriggers: []StateTrigger{
		{"banned", []string{"ban", "fraud"}},
		{"deleted", []string{"delete"}},
		{"locked", []string{"suspicious", "lock"}},
	},
}

func TestComputeState(t *testing.T) {
	priv := defaultRules
	priv.PrivateTriggersOnly = true
	cases := []struct {
		name   string
		rules  LabelRules
		labels []Label
		want   string
	}{
		{"no labels", defaultRules, nil, "pending"},
		{"email verified", defaultRules, []Label{lbl("email", "verified", "private")}, "active"},
		{"public email label does not activate", defaultRules, []Label{lbl("email", "verified", "public")}, "pending"},
		{"wrong value", defaultRules, []Label{lbl("email", "pending", "private")}, "pending"},
		{"ban", defaultRules, []Label{lbl("email", "verified", "private"), lbl("ban", "x", "private")}, "banned"},
		{"later trigger wins", defaultRules, []Label{lbl("ban", "x", "private"), lbl("lock", "y", "private")}, "locked"},
		{"delete", defaultRules, []Label{lbl("delete", "by_user", "private")}, "deleted"},
		{"barong counts public trigger", defaultRules, []Label{lbl("email", "verified", "private"), lbl("lock", "me", "public")}, "locked"},
		{"private-only ignores public trigger", priv, []Label{lbl("email", "verified", "private"), lbl("lock", "me", "public")}, "active"},
		{"no requirements", LabelRules{}, nil, "active"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.rules.ComputeState(c.labels); got != c.want {
				t.Fatalf("got %s want %s", got, c.want)
			}
		})
	}
}

func TestComputeLevel(t *testing.T) {
	levels := []Level{{ID: 1, Key: "email", Value: "verified"}, {ID: 2, Key: "phone", Value: "verified"}, {ID: 3, Key: "document", Value: "verified"}}
	cases := []struct {
		name   string
		labels []Label
		want   int
	}{
		{"none", nil, 0},
		{"email", []Label{lbl("email", "verified", "private")}, 1},
		{"email+phone", []Label{lbl("email", "verified", "private"), lbl("phone", "verified", "private")}, 2},
		{"gap stops", []Label{lbl("email", "verified", "private"), lbl("document", "verified", "private")}, 1},
		{"all", []Label{lbl("document", "verified", "private"), lbl("email", "verified", "private"), lbl("phone", "verified", "private")}, 3},
		{"public ignored", []Label{lbl("email", "verified", "public")}, 0},
	}
	for _, c := range cases {
		if got := ComputeLevel(c.labels, levels); got != c.want {
			t.Errorf("%s: got %d want %d", c.name, got, c.want)
		}
	}
}
