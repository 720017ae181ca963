package e2e

import (
	"os"
	"testing"

	"github.com/tokensvc/tokensvc/internal/testenv"
)

// TestMain removes the tokensvc binary the tests built.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
