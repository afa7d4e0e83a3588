package barong

import "testing"

func TestActor(t *testing.T) {
	u := &User{UID: "ID1", Role: RoleMember}
	var zero Actor
	if zero.IsUser() || zero.IsAdmin() || zero.IsManagement() || zero.IsSystem() || zero.Signed("") {
		t.Errorf("the zero actor may act: %+v", zero)
	}
	if a := UserActor(u); !a.IsUser() || a.IsAdmin() || a.User != u {
		t.Errorf("UserActor = %+v", a)
	}
	if a := AdminActor(u); !a.IsAdmin() || a.IsUser() || a.User != u {
		t.Errorf("AdminActor = %+v", a)
	}
	if a := UserActor(nil); a.IsUser() {
		t.Error("a user actor without user acts")
	}
	if a := AdminActor(nil); a.IsAdmin() {
		t.Error("an admin actor without user acts")
	}
	signers := []string{"applogic"}
	a := ManagementActor(signers)
	signers[0] = "other"
	if !a.IsManagement() || !a.Signed("applogic") || a.Signed("other") || a.IsUser() {
		t.Errorf("ManagementActor = %+v", a)
	}
	if a := ManagementActor(nil); a.IsManagement() {
		t.Error("a management actor without signers acts")
	}
	if a := SystemActor("seeds"); !a.IsSystem() || a.IsUser() || a.IsManagement() || a.Reason != "seeds" {
		t.Errorf("SystemActor = %+v", a)
	}
}
