package batch

// Version is the tool's version, set at build time with
// -ldflags "-X batch.Version=...".
var Version = "0.1.0-dev"
