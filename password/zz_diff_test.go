package password

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

func TestZZRubyDiff(t *testing.T) {
	f, err := os.Open("/tmp/cases.jsonl")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	policies := map[[2]any]*Policy{}
	fails := 0
	n := 0
	for sc.Scan() {
		dec := json.NewDecoder(bytesReader(sc.Bytes()))
		dec.UseNumber()
		var row []any
		if err := dec.Decode(&row); err != nil {
			t.Fatal(err)
		}
		minE, _ := row[0].(json.Number).Int64()
		dict := row[1].(bool)
		pw := row[2].(string)
		want := row[3].(json.Number)
		key := [2]any{minE, dict}
		p := policies[key]
		if p == nil {
			p, err = NewPolicy(DefaultRegexp, int(minE), dict)
			if err != nil {
				t.Fatal(err)
			}
			policies[key] = p
		}
		n++
		if got := p.Score(pw).JSON(); got != want {
			fails++
			if fails < 30 {
				t.Errorf("min=%d dict=%v pw=%q: got %s want %s", minE, dict, pw, got, want)
			}
		}
	}
	t.Logf("%d cases, %d failures", n, fails)
}
