package batch

import (
	"runtime/debug"
	"time"
)

// The build's identity, stamped by make dist with
// -ldflags "-X batch.Version=… -X batch.Commit=… -X batch.Date=…"; a plain
// go build in a checkout takes the commit from the build's own VCS
// information.
var (
	Version = "0.1.0-dev"
	Commit  = "" // the commit built, "+cambios" after it when the tree had uncommitted changes
	Date    = "" // the commit's date, not the build's: builds repeat
)

func init() {
	if Commit != "" {
		return
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			Commit = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				Date = t.UTC().Format("2006-01-02")
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if Commit != "" && modified {
		Commit += "+cambios"
	}
}
