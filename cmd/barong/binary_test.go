package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/barong-go/barong/internal/testenv"
)

// TestMain lets the test binary stand in for the barong binary: run with
// BARONG_TEST_AS_BINARY=1 it is `barong` with the arguments after "--",
// through main() itself (signals, exit status, the error line), without a
// separate go build.
func TestMain(m *testing.M) {
	if os.Getenv("BARONG_TEST_AS_BINARY") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"barong"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// barongCommand is the binary running args in dir.
func barongCommand(t *testing.T, dir string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(env, "BARONG_TEST_AS_BINARY=1")
	return cmd
}

// binaryEnv is a clean environment for the binary with its files in dir.
func binaryEnv(dir string, extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"BARONG_DATABASE_URL=sqlite:" + filepath.Join(dir, "barong.db"),
		"JWT_PRIVATE_KEY_PATH=" + filepath.Join(dir, "jwt.pem"),
		"BARONG_ENCRYPTION_KEY_PATH=" + filepath.Join(dir, "enc.key"),
		"BARONG_HTTP_ADDR=127.0.0.1:0", "BARONG_GRPC_ADDR=127.0.0.1:0", "BARONG_LOG_FORMAT=json"}, extra...)
}

// TestBinary runs the binary as a process: a bad configuration stops it with one
// line and exit status 1; SIGTERM lets a request in flight finish, refuses
// new connections and exits 0.
func TestBinary(t *testing.T) {
	t.Run("bad configuration", func(t *testing.T) {
		for _, bad := range []string{"BARONG_DATABASE_URL=oracle://db", "BARONG_GRPC_ADDR=nowhere", "BARONG_CAPTCHA=puzzle"} {
			dir := t.TempDir()
			cmd := barongCommand(t, dir, binaryEnv(dir, bad), "serve")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			name, _, _ := strings.Cut(bad, "=")
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "barong: "+name+":") {
				t.Fatalf("%s: %v, stderr %q", bad, err, stderr.String())
			}
		}
	})

	t.Run("SIGTERM drains", func(t *testing.T) {
		work := t.TempDir()
		cmd := barongCommand(t, work, binaryEnv(work), "serve")
		log := &syncBuffer{}
		cmd.Stderr = log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
		})
		addr := waitAddr(t, log, "barong serving")
		waitAddr(t, log, "barong ext_authz gRPC serving")

		// A request in flight: headers and half of the body sent.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		body := `{"email":"drain@example.com","password":"Tr0ub4dor&3-Horse"}`
		fmt.Fprintf(conn, "POST /api/v2/identity/users HTTP/1.1\r\nHost: barong\r\nUser-Agent: drain-test\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:20])
		time.Sleep(300 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		// The listener closes once the process handled the signal: a
		// loaded machine may take a while (this used to be a fixed 500 ms).
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			select {
			case err := <-exited:
				t.Fatalf("exited with a request in flight: %v\n%s", err, log.String())
			default:
			}
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				break
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatal("new connections are accepted 10 s after SIGTERM")
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("exited with a request in flight: %v\n%s", err, log.String())
		default:
		}
		if _, err := conn.Write([]byte(body[20:])); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("in-flight request: %v\n%s", err, log.String())
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("in-flight sign-up answered %d", resp.StatusCode)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("exit: %v\n%s", err, log.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("still running 30s after SIGTERM\n%s", log.String())
		}
		if !strings.Contains(log.String(), `"msg":"barong stopped"`) {
			t.Fatalf("log:\n%s", log.String())
		}
	})
}

// TestBinaryKeysFromAnotherDirectory is issue 10's scenario with the real
// binary and the default relative key paths: started once in one
// directory (keys generated into its var/, data written), then from
// another directory against the same database, barong refuses to start
// with one line naming the missing key and writes no key; `barong pubkey`
// there refuses too instead of printing a key that matches nothing.
func TestBinaryKeysFromAnotherDirectory(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(dialect, func(t *testing.T) {
			url := "sqlite:" + filepath.Join(t.TempDir(), "barong.db")
			if dialect != "sqlite" {
				url = testenv.Database(t, dialect)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "BARONG_DATABASE_URL=" + url,
				"BARONG_HTTP_ADDR=127.0.0.1:0", "BARONG_LOG_FORMAT=json"}
			first := t.TempDir()
			cmd := barongCommand(t, first, append(env, "HOME="+first), "serve")
			log := &syncBuffer{}
			cmd.Stderr = log
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			addr := waitAddr(t, log, "barong serving")
			for _, want := range []string{"generated a new JWT key", filepath.Join(first, "var", "jwt-key.pem"),
				"generated a new encryption key", filepath.Join(first, "var", "encryption.key")} {
				if !strings.Contains(log.String(), want) {
					t.Fatalf("log does not say %q:\n%s", want, log.String())
				}
			}
			// A plain sign-up is a member; the setup token of the log makes
			// the superadmin.
			tok := regexp.MustCompile(`"setup_token":"([A-Za-z0-9_-]{43})"`).FindStringSubmatch(log.String())
			if tok == nil {
				t.Fatalf("no setup token in the log:\n%s", log.String())
			}
			for _, su := range []struct{ body, role string }{
				{`{"email":"keys@example.com","password":"Tr0ub4dor&3-Horse"}`, "member"},
				{`{"email":"root@example.com","password":"Tr0ub4dor&3-Horse","setup_token":"` + tok[1] + `"}`, "superadmin"},
			} {
				resp, err := http.Post("http://"+addr+"/api/v2/identity/users", "application/json", strings.NewReader(su.body))
				if err != nil {
					t.Fatal(err)
				}
				var info struct{ Role string }
				err = json.NewDecoder(resp.Body).Decode(&info)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated || err != nil || info.Role != su.role {
					t.Fatalf("sign-up answered %d %+v (%v), want 201 %s", resp.StatusCode, info, err, su.role)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("first start: %v\n%s", err, log.String())
			}

			second := t.TempDir()
			for _, args := range [][]string{{"serve"}, {"pubkey"}} {
				cmd := barongCommand(t, second, append(env, "HOME="+second), args...)
				var stderr strings.Builder
				cmd.Stderr = &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
				last := lines[len(lines)-1]
				if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.HasPrefix(last, "barong: ") {
					t.Fatalf("%s from another directory: %v, stderr %q", args[0], err, stderr.String())
				}
				want := "barong: BARONG_ENCRYPTION_KEY_PATH: var/encryption.key (" + filepath.Join(second, "var", "encryption.key") + ") does not exist"
				if args[0] == "pubkey" {
					want = "barong: JWT_PRIVATE_KEY_PATH: var/jwt-key.pem does not exist; barong pubkey never generates a key"
				}
				if !strings.HasPrefix(last, want) {
					t.Fatalf("%s: %q, want %q", args[0], last, want)
				}
				if entries, _ := os.ReadDir(filepath.Join(second, "var")); len(entries) != 0 {
					t.Fatalf("%s wrote %v", args[0], entries)
				}
			}
		})
	}
}
