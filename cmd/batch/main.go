// Command batch sends every row of an invoice spreadsheet to the electronic
// invoicing provider and writes a result workbook. See `batch --help`.
package main

import (
	"os"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
