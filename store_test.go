package barong

import (
	"math"
	"testing"
)

func TestPageOffset(t *testing.T) {
	for _, c := range []struct {
		p    Page
		want int
	}{
		{Page{Page: 1, Limit: 100}, 0},
		{Page{Page: 3, Limit: 10}, 20},
		{Page{Page: 0, Limit: 10}, 0},
		{Page{Page: -5, Limit: 10}, 0},
		{Page{Page: math.MaxInt, Limit: 100}, maxOffset},
		{Page{Page: 1 << 50, Limit: 100}, maxOffset},
		{Page{Page: 5, Limit: 0}, 0},
	} {
		if got := c.p.Offset(); got != c.want || got+c.p.Limit < got {
			t.Errorf("%+v: offset %d, want %d", c.p, got, c.want)
		}
	}
}
