//go:build windows

package readers

// nonBlocking: Windows has no FIFOs to wait on in a folder; the regular
// file check does the rest.
const nonBlocking = 0
