package server

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version information. -ldflags "-X .../internal/server.GitSHA=..." sets
// them; what it leaves unset comes from the Go build information (the
// vcs.revision and vcs.time that `go build` records in a git checkout,
// and the module version of `go install ...@vX.Y.Z`).
var (
	Version   = "2.7.0"
	GitTag    = "2.7.0"
	GitSHA    = "unknown"
	BuildDate = "unknown"
)

var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}(\+dirty)?$`)

func init() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	fillVersion(info)
}

// fillVersion sets what -ldflags left unset from the build information.
func fillVersion(info *debug.BuildInfo) {
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if GitSHA == "unknown" && settings["vcs.revision"] != "" {
		GitSHA = settings["vcs.revision"]
		if settings["vcs.modified"] == "true" {
			GitSHA += "-dirty"
		}
	}
	if BuildDate == "unknown" && settings["vcs.time"] != "" {
		BuildDate = settings["vcs.time"]
	}
	if v := info.Main.Version; v != "" && v != "(devel)" && !pseudoVersion.MatchString(v) && GitTag == Version {
		GitTag = v
	}
}

// VersionLine is the answer of `barong --version`.
func VersionLine() string {
	sha := GitSHA
	if len(sha) > 12 && !strings.HasSuffix(sha, "-dirty") {
		sha = sha[:12]
	}
	return fmt.Sprintf("barong %s (tag %s, commit %s, built %s, %s)", Version, GitTag, sha, BuildDate, runtime.Version())
}
