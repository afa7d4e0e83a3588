// Package deploy_test validates the deployment files here, as far as this
// machine can without a container engine: deploy/compose.yaml against the
// Compose specification's JSON schema and compose-go's consistency checks,
// deploy/barong.service with systemd-analyze verify (and its exposure
// score), deploy/nginx.conf against docs/gateways.md's tested recipe, and
// the Dockerfile's build command producing a static binary.
package deploy_test

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/barong-go/barong/internal/testenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/schema"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

func TestCompose(t *testing.T) {
	raw, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	// The JSON schema of the Compose specification (embedded by compose-go).
	if err := schema.Validate(m); err != nil {
		t.Fatalf("compose.yaml against the compose-spec schema: %v", err)
	}
	// What `docker compose config` does: interpolation, references between
	// services, volumes and the build context.
	wd, _ := os.Getwd()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{WorkingDir: wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, "compose.yaml")}},
		Environment: types.Mapping{}})
	if err != nil {
		t.Fatalf("load compose.yaml: %v", err)
	}
	for _, name := range []string{"postgres", "redis", "rabbitmq", "migrate", "barong", "nginx", "peatio"} {
		if _, err := p.GetService(name); err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
	}
	b, _ := p.GetService("barong")
	env := b.Environment
	for k, want := range map[string]string{
		"BARONG_DATABASE_URL":    "postgres://barong:barong@postgres:5432/barong?sslmode=disable",
		"BARONG_REDIS_URL":       "redis://redis:6379/0",
		"EVENT_API_RABBITMQ_URL": "amqp://barong:barong@rabbitmq:5672/",
		"BARONG_AUTO_MIGRATE":    "false",
	} {
		if v := env[k]; v == nil || *v != want {
			t.Errorf("barong %s = %v, want %s", k, v, want)
		}
	}
	if b.DependsOn["migrate"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("barong does not wait for the migrations: %+v", b.DependsOn)
	}
	mig, _ := p.GetService("migrate")
	if mig.Build == nil || filepath.Clean(mig.Build.Context) != filepath.Dir(wd) {
		t.Errorf("migrate builds from %+v, want the repository", mig.Build)
	}
	n, _ := p.GetService("nginx")
	if len(n.Volumes) != 1 || filepath.Base(n.Volumes[0].Source) != "nginx.conf" {
		t.Errorf("nginx volumes %+v", n.Volumes)
	}

	// A broken file is refused: the check has teeth.
	m["services"].(map[string]any)["barong"].(map[string]any)["depends_on"] = 7
	if err := schema.Validate(m); err == nil {
		t.Fatal("depends_on: 7 passed the schema")
	}
}

// TestNginxConf: deploy/nginx.conf is docs/gateways.md's recipe (which
// internal/server/nginx_test.go runs against real nginx) with the compose
// service names.
func TestNginxConf(t *testing.T) {
	doc, err := os.ReadFile("../docs/gateways.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- nginx-begin[^\n]*-->\n```nginx\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no nginx block in docs/gateways.md")
	}
	want := strings.NewReplacer("server 127.0.0.1:8000;", "server barong:8000;", "server 127.0.0.1:3000;", "server peatio:80;").
		Replace(string(m[1]))
	conf, err := os.ReadFile("nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	var body []string
	for _, l := range strings.SplitAfter(string(conf), "\n") {
		if len(body) == 0 && strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "# One upstream") {
			continue // the file's own header
		}
		body = append(body, l)
	}
	if strings.Join(body, "") != want {
		t.Fatal("deploy/nginx.conf differs from docs/gateways.md's recipe")
	}
}

func TestSystemdUnit(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if testenv.InCI() {
			t.Fatal("systemd-analyze is not installed (.ci/run installs systemd)")
		}
		t.Skip("systemd-analyze is not installed")
	}
	unit, err := os.ReadFile("barong.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify needs the binary to exist: any executable stands in for it.
	self, _ := os.Executable()
	dir := t.TempDir()
	path := filepath.Join(dir, "barong.service")
	os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/barong", self)), 0o644)
	out, err := exec.Command(tool, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(tool, "security", "--offline=yes", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	score := regexp.MustCompile(`Overall exposure level for barong.service: ([0-9.]+)`).FindSubmatch(out)
	if score == nil {
		t.Fatalf("no exposure level in\n%s", out)
	}
	if v, _ := strconv.ParseFloat(string(score[1]), 64); v > 2 {
		t.Fatalf("exposure level %v, want at most 2 (hardened)\n%s", v, out)
	}
	for _, want := range []string{"DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ExecStart=/usr/local/bin/barong serve"} {
		if !strings.Contains(string(unit), "\n"+want+"\n") {
			t.Errorf("unit lacks %s", want)
		}
	}
}

// TestDockerfile: the image is distroless (or scratch), runs as nonroot,
// and its build command (run here with the same flags) gives a static
// binary. The image itself is not built: no container engine runs here.
func TestDockerfile(t *testing.T) {
	df, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(df)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(text, -1)
	if len(froms) < 2 || !strings.Contains(froms[len(froms)-1][1], "distroless/static") {
		t.Fatalf("final stage %v, want distroless/static", froms)
	}
	if !regexp.MustCompile(`(?m)^USER nonroot`).MatchString(text) || !strings.Contains(text, "CGO_ENABLED=0 go build -trimpath") {
		t.Fatal("Dockerfile: not nonroot or not CGO_ENABLED=0")
	}
	if testing.Short() {
		t.Skip("-short: not building the binary")
	}
	bin := filepath.Join(t.TempDir(), "barong")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "./cmd/barong")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the binary is dynamically linked (%v)", p.Type)
		}
	}
	if out, err := exec.Command(bin, "--version").Output(); err != nil || !strings.HasPrefix(string(out), "barong ") {
		t.Fatalf("%s --version: %q %v", bin, out, err)
	}
}
