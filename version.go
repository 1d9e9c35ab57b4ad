package batch

// The build's identity, stamped by make dist with
// -ldflags "-X batch.Version=… -X batch.Commit=… -X batch.Date=…".
var (
	Version = "0.1.0-dev"
	Commit  = "" // the commit built
	Date    = "" // the commit's date, not the build's: builds repeat
)
