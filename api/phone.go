package api

import (
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// callingCodeLen is the number of digits of the country calling code of a
// digits-only international number, or 0 when it cannot be parsed.
func callingCodeLen(num string) int {
	p, err := phonenumbers.Parse("+"+num, "")
	if err != nil || p.GetCountryCode() == 0 {
		return 0
	}
	return len(strconv.Itoa(int(p.GetCountryCode())))
}
