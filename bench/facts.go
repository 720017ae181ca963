package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// facts describe the machine a run measured, for the report.
type facts struct {
	nproc      int
	cpuModel   string
	goVersion  string
	kernel     string
	memory     string
	generators map[string]string
	redis      string
}

func numCPU() int { return runtime.NumCPU() }

func machineFacts(ctx context.Context) facts {
	f := facts{nproc: numCPU(), cpuModel: "unknown", goVersion: runtime.Version(), kernel: "unknown", memory: "unknown"}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		f.goVersion = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				f.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "uname", "-srm").Output(); err == nil {
		f.kernel = strings.TrimSpace(string(out))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		if _, v, ok := strings.Cut(line, ":"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%f kB", &kb); err == nil {
				f.memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return f
}

// loadAverage is the first three fields of /proc/loadavg: the machine may
// be doing other work, and the report says how much.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
