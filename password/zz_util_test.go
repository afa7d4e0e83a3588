package password

import (
	"bytes"
	"time"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func testingNow() time.Time                 { return time.Now() }
func testingSince(t time.Time) time.Duration { return time.Since(t) }
