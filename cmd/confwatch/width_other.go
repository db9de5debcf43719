//go:build !(linux || darwin)

package main

import "os"

// terminalWidth returns 0: the width is not known here, so $COLUMNS or 80
// is used.
func terminalWidth(*os.File) int { return 0 }
