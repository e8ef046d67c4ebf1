package events

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// decentralised is a nats-server in operator mode (JWT authentication, as NGS or a
// self-hosted operator deployment runs it) with one JetStream-enabled account.
type decentralised struct {
	url     string
	account nkeys.KeyPair
}

func startDecentralised(t *testing.T) *decentralised {
	t.Helper()
	op, _ := nkeys.CreateOperator()
	opPub, _ := op.PublicKey()
	sys, _ := nkeys.CreateAccount()
	sysPub, _ := sys.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	oc.SystemAccount = sysPub
	opJWT, err := oc.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	opClaims, err := jwt.DecodeOperatorClaims(opJWT)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := nkeys.CreateAccount()
	accPub, _ := acc.PublicKey()
	ac := jwt.NewAccountClaims(accPub)
	ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	accJWT, err := ac.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	sysJWT, err := jwt.NewAccountClaims(sysPub).Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	resolver := &server.MemAccResolver{}
	for pub, j := range map[string]string{accPub: accJWT, sysPub: sysJWT} {
		if err := resolver.Store(pub, j); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true,
		JetStream: true, StoreDir: t.TempDir(), TrustedOperators: []*jwt.OperatorClaims{opClaims},
		AccountResolver: resolver, SystemAccount: sysPub})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return &decentralised{url: srv.ClientURL(), account: acc}
}

// credsFile writes a .creds file (user JWT + seed) for a user of the account, signed by
// signer (the account itself, or a stranger to forge one).
func (d *decentralised) credsFile(t *testing.T, signer nkeys.KeyPair) string {
	t.Helper()
	user, _ := nkeys.CreateUser()
	userPub, _ := user.PublicKey()
	uc := jwt.NewUserClaims(userPub)
	userJWT, err := uc.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := user.Seed()
	creds, err := jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "user.creds")
	if err := os.WriteFile(p, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A deployment that authenticates with JWTs is reached with a .creds file, and JetStream
// setup works through it; credentials signed by an unknown account are refused with
// ErrConnect.
func TestConnectWithCredsFile(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	d := startDecentralised(t)
	nc, err := Connect(ctx, ConnectOptions{URLs: []string{d.url}, CredsFile: d.credsFile(t, d.account)})
	if err != nil {
		t.Fatalf("connect with creds: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := Setup(ctx, js, SetupOptions{}); err != nil {
		t.Fatalf("setup through a JWT-authenticated connection: %v", err)
	}
	stranger, _ := nkeys.CreateAccount()
	_, err = Connect(ctx, ConnectOptions{URLs: []string{d.url}, CredsFile: d.credsFile(t, stranger), Timeout: 2 * time.Second})
	if !errors.Is(err, ErrConnect) {
		t.Errorf("connect with forged creds: %v, want ErrConnect", err)
	}
	if _, err := Connect(ctx, ConnectOptions{URLs: []string{d.url}, Timeout: 2 * time.Second}); !errors.Is(err, ErrConnect) {
		t.Errorf("connect without creds: %v, want ErrConnect", err)
	}
}
