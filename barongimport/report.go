package barongimport

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
)

// Print writes the counts per table and every row that could not be
// copied.
func (r *Report) Print(w io.Writer) {
	if r.DryRun {
		fmt.Fprintln(w, "dry run: nothing was written; an import would do this:")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tin Barong\tnew\tchanged\tunchanged\tdeleted\tfailed\t")
	for _, t := range r.Tables {
		if t.Absent {
			fmt.Fprintf(tw, "%s\t(none in this Barong version)\t\t\t\t\t\t\n", t.Table)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", t.Table, t.Source, t.New, t.Changed, t.Unchanged, t.Deleted, t.Failed)
	}
	tw.Flush()
	if len(r.Failures) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d rows cannot be imported:\n", len(r.Failures))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  %s id %d: %s\n", f.Table, f.ID, f.Reason)
	}
}

// ProgressBar returns an Options.OnProgress that draws one bar per table
// on w, a terminal.
func ProgressBar(w io.Writer) func(table string, done, total int64) {
	var mu sync.Mutex
	return func(table string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		const width = 30
		frac := 1.0
		if total > 0 {
			frac = min(1, float64(done)/float64(total))
		}
		n := int(frac * width)
		fmt.Fprintf(w, "\r%-16s [%s%s] %d/%d", table, strings.Repeat("=", n), strings.Repeat(" ", width-n), done, total)
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}
