//go:build race

package testenv

// RaceEnabled: these tests run with -race, so the binaries they start are
// built with it too.
const RaceEnabled = true
