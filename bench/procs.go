package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// started is one process the harness started, as the report (and the smoke
// test, which checks that every one of them is gone) sees it.
type started struct {
	Name string
	PID  int
}

// proc is a child process pinned to one core. It runs in a process group of
// its own (taskset execs the program, so the group's leader is the program
// itself), and stop signals that group: a server and anything it forked go
// together, by PID, never by name.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait returned
	err  error         // Wait's error, set before done is closed
}

// procs tracks every child, so that a failing or interrupted run still
// stops them all (stopAll is deferred by run).
type procs struct {
	mu      sync.Mutex
	live    []*proc
	started []started
}

// spec says how to start one child.
type spec struct {
	name string
	core int      // taskset -c core
	bin  string   // the program
	args []string // its arguments
	env  []string // nil: the harness's own environment
	out  string   // file for stdout ("" discards it)
	errf string   // file for stderr ("" discards it)
}

// start starts s pinned with taskset. The context bounds its life: when it
// ends the group gets SIGTERM, then SIGKILL after a grace period.
func (ps *procs) start(ctx context.Context, s spec) (*proc, error) {
	args := append([]string{"-c", strconv.Itoa(s.core), s.bin}, s.args...)
	cmd := exec.CommandContext(ctx, "taskset", args...)
	cmd.Env = s.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	var files []*os.File
	open := func(path string) (*os.File, error) {
		if path == "" {
			return nil, nil
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err == nil {
			files = append(files, f)
		}
		return f, err
	}
	stdout, err := open(s.out)
	if err != nil {
		return nil, err
	}
	stderr, err := open(s.errf)
	if err != nil {
		closeAll(files)
		return nil, err
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	if err := cmd.Start(); err != nil {
		closeAll(files)
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	p := &proc{name: s.name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		closeAll(files)
		close(p.done)
	}()
	ps.mu.Lock()
	ps.live = append(ps.live, p)
	ps.started = append(ps.started, started{Name: s.name, PID: cmd.Process.Pid})
	ps.mu.Unlock()
	return p, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended, without waiting.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process to end on its own (a load generator).
func (p *proc) wait() error {
	<-p.done
	return p.err
}

// stop ends the process group: SIGTERM, five seconds, then SIGKILL. It
// returns once the process has been reaped, so its PID is gone.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	pid := p.pid()
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	}
}

// forget drops a stopped process from the live list.
func (ps *procs) forget(p *proc) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for i, q := range ps.live {
		if q == p {
			ps.live = append(ps.live[:i], ps.live[i+1:]...)
			return
		}
	}
}

// stopOne stops p and forgets it.
func (ps *procs) stopOne(p *proc) {
	p.stop()
	ps.forget(p)
}

// stopAll stops every live child, newest first (servers before the Redis
// they use).
func (ps *procs) stopAll() {
	ps.mu.Lock()
	live := ps.live
	ps.live = nil
	ps.mu.Unlock()
	for i := len(live) - 1; i >= 0; i-- {
		live[i].stop()
	}
}

// list returns every process started so far.
func (ps *procs) list() []started {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]started(nil), ps.started...)
}

// cpuTicks is utime+stime of pid, in clock ticks, from /proc/PID/stat: the
// CPU the process used on every core, in user and kernel mode, all threads.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields after the last ')'. f[0] is then field 3 (state), utime
	// field 14, stime field 15.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	k, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc stat times")
	}
	return u + k, nil
}

// coreBusy is the time core n spent on anything but idling (steal included:
// time the hypervisor gave to another machine), in clock ticks, from
// /proc/stat.
func coreBusy(n int) (int64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	prefix := "cpu" + strconv.Itoa(n) + " "
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		var busy int64
		// user nice system idle iowait irq softirq steal ...
		for i, f := range strings.Fields(line)[1:] {
			if i >= 8 {
				break
			}
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: %q", line)
			}
			if i != 3 && i != 4 {
				busy += v
			}
		}
		return busy, nil
	}
	return 0, fmt.Errorf("/proc/stat has no %s line", strings.TrimSpace(prefix))
}
