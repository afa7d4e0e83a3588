package server

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFillVersion(t *testing.T) {
	defer func(v, tag, sha, date string) { Version, GitTag, GitSHA, BuildDate = v, tag, sha, date }(Version, GitTag, GitSHA, BuildDate)
	for _, tc := range []struct {
		main, rev, time, modified string
		tag, sha, date            string
	}{
		{"(devel)", "0123456789abcdef0123456789abcdef01234567", "2026-12-06T19:00:00Z", "false",
			"2.7.0", "0123456789abcdef0123456789abcdef01234567", "2026-12-06T19:00:00Z"},
		{"v0.0.0-20261206190000-0123456789ab", "0123456789ab", "2026-12-06T19:00:00Z", "true", "2.7.0", "0123456789ab-dirty", "2026-12-06T19:00:00Z"},
		{"v2.8.0", "", "", "", "v2.8.0", "unknown", "unknown"},
	} {
		Version, GitTag, GitSHA, BuildDate = "2.7.0", "2.7.0", "unknown", "unknown"
		info := &debug.BuildInfo{Main: debug.Module{Version: tc.main}}
		for k, v := range map[string]string{"vcs.revision": tc.rev, "vcs.time": tc.time, "vcs.modified": tc.modified} {
			if v != "" {
				info.Settings = append(info.Settings, debug.BuildSetting{Key: k, Value: v})
			}
		}
		fillVersion(info)
		if GitTag != tc.tag || GitSHA != tc.sha || BuildDate != tc.date {
			t.Errorf("%s: tag %s sha %s date %s", tc.main, GitTag, GitSHA, BuildDate)
		}
	}
	// -ldflags win over the build information.
	Version, GitTag, GitSHA, BuildDate = "2.7.0", "2.7.0", "feedface", "2026-01-01"
	fillVersion(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}})
	if GitSHA != "feedface" || BuildDate != "2026-01-01" || !strings.Contains(VersionLine(), "commit feedface, built 2026-01-01") {
		t.Fatalf("ldflags overridden: %s", VersionLine())
	}
}
