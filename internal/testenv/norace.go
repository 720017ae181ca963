//go:build !race

package testenv

// RaceEnabled reports whether the tests run with -race.
const RaceEnabled = false
