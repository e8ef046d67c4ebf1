package events

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EmbeddedOptions configures an in-process nats-server with JetStream.
type EmbeddedOptions struct {
	// StoreDir is the JetStream store; "" creates a temporary directory that Close removes.
	StoreDir string
	// Listen opens a client listener on Host:Port (default 127.0.0.1, random port). Without
	// it the server accepts only in-process connections (Connect).
	Listen bool
	Host   string
	Port   int
	// ServerName defaults to "sindri-embedded".
	ServerName string
	// Cluster joins the server to a cluster (its routes listen on Cluster.Host:Cluster.Port).
	Cluster *ClusterRoute
	// ReadyTimeout bounds the wait for the server to accept connections (default 10s).
	ReadyTimeout time.Duration
}

// ClusterRoute is an embedded server's place in a cluster.
type ClusterRoute struct {
	Name string
	Host string
	Port int
	// Routes are the nats-route:// URLs of every node (listing the node itself is fine).
	Routes []string
}

// Embedded is a running (or shut down, restartable) in-process nats-server.
type Embedded struct {
	opts     EmbeddedOptions
	storeDir string
	ownsDir  bool

	mu  sync.Mutex
	srv *server.Server
}

// StartEmbedded starts an in-process nats-server with JetStream and waits until it accepts
// connections. Errors: the store directory cannot be created, the server options are invalid
// (e.g. a port in use), ctx ended, or the server was not ready within ReadyTimeout.
func StartEmbedded(ctx context.Context, o EmbeddedOptions) (*Embedded, error) {
	e := &Embedded{opts: o, storeDir: o.StoreDir}
	if e.storeDir == "" {
		dir, err := os.MkdirTemp("", "sindri-nats-*")
		if err != nil {
			return nil, fmt.Errorf("events: embedded: store dir: %w", err)
		}
		e.storeDir, e.ownsDir = dir, true
	} else if err := os.MkdirAll(e.storeDir, 0o700); err != nil {
		return nil, fmt.Errorf("events: embedded: store dir: %w", err)
	}
	if err := e.start(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Embedded) serverOptions() (*server.Options, error) {
	o := e.opts
	name := o.ServerName
	if name == "" {
		name = "sindri-embedded"
	}
	so := &server.Options{
		ServerName: name,
		JetStream:  true,
		StoreDir:   e.storeDir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: !o.Listen,
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
	}
	if o.Host != "" {
		so.Host = o.Host
	}
	if o.Port != 0 {
		so.Port = o.Port
	}
	if c := o.Cluster; c != nil {
		so.Cluster = server.ClusterOpts{Name: c.Name, Host: c.Host, Port: c.Port}
		if so.Cluster.Host == "" {
			so.Cluster.Host = "127.0.0.1"
		}
		routes := server.RoutesFromStr(strings.Join(c.Routes, ","))
		if len(routes) != len(c.Routes) {
			return nil, fmt.Errorf("events: embedded: invalid cluster routes %q", c.Routes)
		}
		so.Routes = routes
	}
	return so, nil
}

func (e *Embedded) start(ctx context.Context) error {
	so, err := e.serverOptions()
	if err != nil {
		return err
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return fmt.Errorf("events: embedded: %w", err)
	}
	go srv.Start()
	timeout := e.opts.ReadyTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	if !srv.ReadyForConnections(timeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("events: embedded: %w", err)
		}
		return fmt.Errorf("events: embedded: server not ready within %s", timeout)
	}
	e.mu.Lock()
	e.srv = srv
	e.mu.Unlock()
	return nil
}

// Server returns the running server, or nil after Shutdown.
func (e *Embedded) Server() *server.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv
}

// StoreDir returns the JetStream store directory.
func (e *Embedded) StoreDir() string { return e.storeDir }

// ClientURL returns the client URL, or "" when the server does not listen or is shut down.
func (e *Embedded) ClientURL() string {
	srv := e.Server()
	if srv == nil || !e.opts.Listen {
		return ""
	}
	return srv.ClientURL()
}

// Connect opens an in-process client connection (no network) to the server. Extra nats
// options are appended. Errors: ErrConnect when the server is shut down or refuses.
func (e *Embedded) Connect(opts ...nats.Option) (*nats.Conn, error) {
	srv := e.Server()
	if srv == nil {
		return nil, fmt.Errorf("events: embedded connect: server is shut down: %w", ErrConnect)
	}
	all := append([]nats.Option{nats.InProcessServer(srv), nats.Name("sindri-embedded-client")}, opts...)
	nc, err := nats.Connect("", all...)
	if err != nil {
		return nil, fmt.Errorf("events: embedded connect: %w: %w", ErrConnect, err)
	}
	return nc, nil
}

// Shutdown stops the server and waits for it; the store directory is kept so Restart can
// resume from it. Calling it twice is harmless.
func (e *Embedded) Shutdown() {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart shuts the server down (if running) and starts it again on the same store directory
// and options; streams, buckets and messages stored on file survive. Clients must reconnect
// (an in-process connection does not follow a restart). Errors as for StartEmbedded.
func (e *Embedded) Restart(ctx context.Context) error {
	e.Shutdown()
	return e.start(ctx)
}

// Close shuts the server down and removes the store directory if StartEmbedded created it.
func (e *Embedded) Close() {
	e.Shutdown()
	if e.ownsDir {
		_ = os.RemoveAll(e.storeDir)
	}
}

// ClusterOptions configures StartCluster.
type ClusterOptions struct {
	// Nodes is the number of servers (default 3).
	Nodes int
	// Name is the cluster name (default "sindri").
	Name string
	// BaseDir holds one store directory per node; "" creates a temporary one that Close removes.
	BaseDir string
	// ReadyTimeout bounds the wait for the JetStream meta leader (default 30s).
	ReadyTimeout time.Duration
}

// Cluster is a set of embedded servers routed to each other on 127.0.0.1, for tests and
// local experiments. Each node listens for clients on a random 127.0.0.1 port.
type Cluster struct {
	Nodes   []*Embedded
	baseDir string
	ownsDir bool
}

// StartCluster starts opts.Nodes embedded servers with JetStream on free 127.0.0.1 ports,
// routed to each other, and waits until a JetStream meta leader is elected. Errors: no free
// port, a node fails to start, or no leader before ReadyTimeout or ctx's end.
func StartCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	n := opts.Nodes
	if n == 0 {
		n = 3
	}
	name := opts.Name
	if name == "" {
		name = "sindri"
	}
	c := &Cluster{baseDir: opts.BaseDir}
	if c.baseDir == "" {
		dir, err := os.MkdirTemp("", "sindri-nats-cluster-*")
		if err != nil {
			return nil, fmt.Errorf("events: cluster: %w", err)
		}
		c.baseDir, c.ownsDir = dir, true
	}
	// A port found free can be taken by someone else before the node binds it; a node that
	// cannot bind its route port never becomes ready, so the whole set is retried on new ports.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = c.startNodes(ctx, n, name); err == nil {
			break
		}
		for _, node := range c.Nodes {
			node.Close()
		}
		c.Nodes = nil
		if c.ownsDir {
			for i := range n {
				_ = os.RemoveAll(filepath.Join(c.baseDir, "n"+strconv.Itoa(i)))
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	timeout := opts.ReadyTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	if err := c.WaitLeader(ctx, timeout); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) startNodes(ctx context.Context, n int, name string) error {
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return fmt.Errorf("events: cluster: free port: %w", err)
		}
		ports[i] = p
		routes[i] = "nats://127.0.0.1:" + strconv.Itoa(p)
	}
	for i := range n {
		node, err := StartEmbedded(ctx, EmbeddedOptions{
			StoreDir:     filepath.Join(c.baseDir, "n"+strconv.Itoa(i)),
			Listen:       true,
			ServerName:   "n" + strconv.Itoa(i),
			Cluster:      &ClusterRoute{Name: name, Host: "127.0.0.1", Port: ports[i], Routes: routes},
			ReadyTimeout: 5 * time.Second,
		})
		if err != nil {
			return fmt.Errorf("events: cluster node %d: %w", i, err)
		}
		c.Nodes = append(c.Nodes, node)
	}
	return nil
}

// WaitLeader waits until one running node is the JetStream meta leader. Errors: ctx's error
// or a timeout.
func (c *Cluster) WaitLeader(ctx context.Context, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, n := range c.Nodes {
			if s := n.Server(); s != nil && s.JetStreamIsLeader() {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("events: cluster: waiting for a meta leader: %w", ctx.Err())
		case <-deadline.C:
			return errors.New("events: cluster: no JetStream meta leader within " + timeout.String())
		case <-tick.C:
		}
	}
}

// URLs returns the client URLs of the running nodes.
func (c *Cluster) URLs() []string {
	var out []string
	for _, n := range c.Nodes {
		if u := n.ClientURL(); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// Connect opens a client connection that knows every running node. Errors: as for Connect.
func (c *Cluster) Connect(ctx context.Context) (*nats.Conn, error) {
	return Connect(ctx, ConnectOptions{URLs: c.URLs(), Name: "sindri-cluster-client"})
}

// Close shuts every node down and removes the base directory if StartCluster created it.
func (c *Cluster) Close() {
	for _, n := range c.Nodes {
		n.Close()
	}
	if c.ownsDir {
		_ = os.RemoveAll(c.baseDir)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
