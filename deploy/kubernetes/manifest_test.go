package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/tokensvc/tokensvc/internal/config"
)

// manifest is the part of tokensvc.yaml the test reads.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Selector yaml.Node `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec struct {
				SecurityContext struct {
					RunAsUser int `yaml:"runAsUser"`
				} `yaml:"securityContext"`
				TerminationGracePeriodSeconds int         `yaml:"terminationGracePeriodSeconds"`
				Containers                    []container `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type container struct {
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string    `yaml:"name"`
		Value     string    `yaml:"value"`
		ValueFrom yaml.Node `yaml:"valueFrom"`
	} `yaml:"env"`
	LivenessProbe  probe `yaml:"livenessProbe"`
	ReadinessProbe probe `yaml:"readinessProbe"`
	Lifecycle      struct {
		PreStop struct {
			Sleep struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// TestManifestMatchesTheService: the manifest is configuration nobody runs
// here (no cluster), so check what can drift: every TOKENSVC_* it sets is
// one tokensvc reads, its probes and ports are tokensvc's, metrics are on
// the port Prometheus is told, the Service and the PodDisruptionBudget
// select the pods, it runs as the image's user, and the grace period
// covers the preStop sleep and tokensvc's own shutdown grace.
func TestManifestMatchesTheService(t *testing.T) {
	raw, err := os.ReadFile("tokensvc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]manifest{}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var m manifest
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("tokensvc.yaml: %v", err)
		}
		docs[m.Kind] = m
	}
	dep, ok := docs["Deployment"]
	if !ok || len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("no Deployment with one container: %v", docs)
	}
	pod := dep.Spec.Template
	c := pod.Spec.Containers[0]

	// The container's environment is a configuration tokensvc accepts:
	// every name is a setting (Load refuses others), every value parses,
	// and Validate finds nothing wrong. Files it names are not read here.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TOKENSVC_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	env := map[string]string{}
	for _, e := range c.Env {
		v := e.Value
		if !e.ValueFrom.IsZero() {
			if e.Name != "TOKENSVC_REDIS_URL" {
				t.Errorf("%s comes from a Secret; give the test a stand-in value for it", e.Name)
			}
			v = "redis://redis.example:6379/0"
		}
		env[e.Name] = v
		t.Setenv(e.Name, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("the manifest's environment: %v", err)
	}
	if cfg.Dev {
		t.Error("the manifest's environment is dev mode")
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("the manifest's configuration is invalid:\n%v", err)
	}

	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	portOf := func(addr string) string {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Errorf("%q is not host:port", addr)
		}
		return p
	}
	if got := portOf(env["TOKENSVC_ADDR"]); got != strconv.Itoa(ports["http"]) {
		t.Errorf("TOKENSVC_ADDR port %s, container port http %d", got, ports["http"])
	}
	if m := env["TOKENSVC_METRICS_ADDR"]; m == "" || portOf(m) != strconv.Itoa(ports["metrics"]) || pod.Metadata.Annotations["prometheus.io/port"] != portOf(m) {
		t.Errorf("metrics: TOKENSVC_METRICS_ADDR %q, container port %d, scrape annotation %q", m, ports["metrics"], pod.Metadata.Annotations["prometheus.io/port"])
	}
	for name, p := range map[string]probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p.HTTPGet.Path != "/healthz" && p.HTTPGet.Path != "/readyz" {
			t.Errorf("%s probe on %q, not /healthz or /readyz", name, p.HTTPGet.Path)
		}
		if _, ok := ports[p.HTTPGet.Port]; !ok || p.HTTPGet.Port == "metrics" {
			t.Errorf("%s probe on port %q", name, p.HTTPGet.Port)
		}
	}
	if len(c.Args) != 1 || c.Args[0] != "serve" {
		t.Errorf("args %v", c.Args)
	}

	labels := pod.Metadata.Labels
	for _, kind := range []string{"Deployment", "Service", "PodDisruptionBudget"} {
		m, ok := docs[kind]
		if !ok {
			t.Errorf("no %s", kind)
			continue
		}
		var sel map[string]string
		var wrapped struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		}
		if kind == "Service" {
			_ = m.Spec.Selector.Decode(&sel)
		} else {
			_ = m.Spec.Selector.Decode(&wrapped)
			sel = wrapped.MatchLabels
		}
		if len(sel) == 0 {
			t.Errorf("%s selects nothing", kind)
		}
		for k, v := range sel {
			if labels[k] != v {
				t.Errorf("%s selects %s=%s; the pods carry %v", kind, k, v, labels)
			}
		}
	}
	if svc := docs["Service"]; len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != "http" {
		t.Errorf("the Service must expose the API port only: %+v", svc.Spec.Ports)
	}

	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if user := strconv.Itoa(pod.Spec.SecurityContext.RunAsUser); !strings.Contains(string(dockerfile), "USER "+user+":") {
		t.Errorf("runAsUser %s is not the image's USER", user)
	}
	grace := int(cfg.ShutdownGrace.Seconds()) // the manifest's, else the default
	if need := c.Lifecycle.PreStop.Sleep.Seconds + grace; pod.Spec.TerminationGracePeriodSeconds < need {
		t.Errorf("terminationGracePeriodSeconds %d < preStop %d s + shutdown grace %d s", pod.Spec.TerminationGracePeriodSeconds, c.Lifecycle.PreStop.Sleep.Seconds, grace)
	}
}
