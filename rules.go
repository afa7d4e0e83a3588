package barong

// KeyValue is one required label, e.g. email: verified.
type KeyValue struct{ Key, Value string }

// StateTrigger makes a user State when any of his labels has one of Keys.
type StateTrigger struct {
	State string
	Keys  []string
}

// LabelRules are the labels → state/level rules of barong.yml (reference §3.4).
type LabelRules struct {
	ActivationRequirements []KeyValue
	StateTriggers          []StateTrigger
	// PrivateTriggersOnly makes state triggers consider private labels
	// only. Barong also counts public labels, which users can create
	// themselves (reference §3.4 Note); barong-go sets this by default.
	PrivateTriggersOnly bool
}

// ComputeState returns the state the labels give (reference §3.4): pending,
// active when every activation requirement is a private label, then each
// trigger in order overriding when any label has one of its keys.
func (r LabelRules) ComputeState(labels []Label) string {
	state := StatePending
	active := true
	for _, req := range r.ActivationRequirements {
		if !hasLabel(labels, req.Key, req.Value) {
			active = false
			break
		}
	}
	if active {
		state = StateActive
	}
	for _, t := range r.StateTriggers {
		for _, k := range t.Keys {
			if r.hasTriggerKey(labels, k) {
				state = t.State
				break
			}
		}
	}
	return state
}

func (r LabelRules) hasTriggerKey(labels []Label, key string) bool {
	for _, l := range labels {
		if l.Key == key && (!r.PrivateTriggersOnly || l.Scope == ScopePrivate) {
			return true
		}
	}
	return false
}

// ComputeLevel returns the id of the last level, in id order, whose
// key/value is among the private labels, stopping at the first level that is
// not satisfied (levels are cumulative).
func ComputeLevel(labels []Label, levels []Level) int {
	level := 0
	for _, lv := range levels {
		if !hasLabel(labels, lv.Key, lv.Value) {
			break
		}
		level = int(lv.ID)
	}
	return level
}

func hasLabel(labels []Label, key, value string) bool {
	for _, l := range labels {
		if l.Scope == ScopePrivate && l.Key == key && l.Value == value {
			return true
		}
	}
	return false
}

// DefaultCode is the status a restriction answers with when it has no code
// of its own (reference §3.5): 471 for maintenance, else by scope —
// continent and country 423, ip_subnet 403, ip and all 401.
func (r *Restriction) DefaultCode() int {
	if r.Category == "maintenance" {
		return 471
	}
	switch r.Scope {
	case "continent", "country":
		return 423
	case "ip_subnet":
		return 403
	}
	return 401
}
