// Command bench is tokensvc's performance harness: one command that builds
// tokensvc and a floor server, pins each to a core, drives them with an
// established load generator on the other core, and writes the table, the
// machine it ran on and a plot to docs/.
//
//	go run ./bench                    # the full table, a few minutes
//	go run ./bench -duration 10s      # longer runs per case
//	go run ./bench -quick -out /tmp/x # smoke run: a few cases, 1 s each
//
// Every number is read against the floor measured in the same run, with the
// same generator and connection count: a plain net/http handler writing one
// fixed Set-Cookie. Absolute numbers move with the machine; the ratios are
// what the targets are about. See docs/performance.md for the method.
//
// Every process the harness starts (servers, redis-server, generators) runs
// in a process group of its own and is stopped by PID when its case ends,
// when the run fails, and on Ctrl-C. Everything listens on 127.0.0.1.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"
)

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured time of each case")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each case")
	fs.IntVar(&o.pairs, "pairs", 3, "rounds of floor and case back to back for each floor-ratio target; the verdict takes the median round (0: judge on the main table)")
	fs.BoolVar(&o.quick, "quick", false, "smoke run: a few cases at 16 connections, 1 s each, no warm-up, one paired round (unless -duration, -warmup, -pairs say otherwise)")
	fs.StringVar(&o.out, "out", "docs", "`folder` for performance.md and performance.svg")
	fs.StringVar(&o.work, "work", "", "scratch `folder` (default: a new temporary one, removed afterwards)")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch folder: logs, generator output")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "hard bound on the whole run")
	fs.IntVar(&o.serverCore, "server-core", 0, "core the servers (and redis-server) are pinned to")
	fs.IntVar(&o.loadCore, "load-core", 1, "core the load generators (and the harness) are pinned to")
	fs.BoolVar(&o.pinSelf, "pin-self", true, "pin the harness's own process to the load core")
	fs.StringVar(&o.cases, "cases", "", "run only the cases whose name matches this `regexp` (the floors always run), e.g. 're-sign|storm'; 'benchmarks' names the in-process benchmarks")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "bench takes no arguments, only flags\n")
		return o, fmt.Errorf("unexpected arguments")
	}
	if _, err := regexp.Compile(o.cases); err != nil {
		fmt.Fprintf(fs.Output(), "-cases: %v\n", err)
		return o, err
	}
	if o.pairs < 0 || o.pairs > 20 {
		fmt.Fprintf(fs.Output(), "-pairs %d: want 0 to 20\n", o.pairs)
		return o, fmt.Errorf("-pairs %d out of range", o.pairs)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.conns = []int{16, 64}
	if o.quick {
		o.conns = []int{16}
		if !set["duration"] {
			o.duration = time.Second
		}
		if !set["pairs"] {
			o.pairs = 1
		}
		if !set["warmup"] {
			o.warmup = 0
		}
	}
	o.command = strings.TrimSpace("go run ./bench " + strings.Join(args, " "))
	return o, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
