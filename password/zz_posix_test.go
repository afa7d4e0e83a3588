package password

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestZZPosix(t *testing.T) {
	f, err := os.Open("/tmp/ruby_classes.txt")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	names := []string{"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct", "space", "upper", "xdigit", "word"}
	sets := map[string]runeSet{}
	for _, n := range names {
		sets[n], _ = posixClass(n)
	}
	diffs := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), " ", 3)
		cp, _ := strconv.ParseUint(parts[0], 16, 32)
		for i, n := range names {
			if sets[n].contains(rune(cp)) != (parts[1][i] == '1') {
				diffs[n]++
			}
		}
		want := string(rune(cp))
		if len(parts) == 3 && parts[2] != "" {
			var b strings.Builder
			for _, h := range strings.Split(parts[2], ",") {
				v, _ := strconv.ParseUint(h, 16, 32)
				b.WriteRune(rune(v))
			}
			want = b.String()
		}
		if got := rubyDowncase(string(rune(cp))); got != want {
			diffs["downcase"]++
		}
	}
	t.Log(diffs)
}
