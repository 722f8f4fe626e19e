// Command ferretdb-embedded runs FerretDB 1.24 with its SQLite backend as a
// child process of the CodexFlow service or test run.
//
// It is built from this small module rather than with `go install` of
// FerretDB's own command: the v1.24.2 module ships without the generated
// build/version/version.txt, so that binary panics at start unless it is built
// from a FerretDB checkout. The embeddable package skips that check and also
// turns telemetry off.
//
// The process prints the MongoDB URI on its first stdout line once it accepts
// connections, and exits when its standard input closes, so it never outlives
// the parent that started it, even when the parent is killed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listenAddr := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on; port 0 picks a free port")
	dataDir := flag.String("data-dir", "", "directory for the SQLite database files (required)")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	flag.Parse()

	if err := run(*listenAddr, *dataDir, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-embedded:", err)
		os.Exit(1)
	}
}

func run(listenAddr, dataDir, logLevel string) error {
	if dataDir == "" {
		return fmt.Errorf("-data-dir is required")
	}

	absDir, err := filepath.Abs(dataDir)
	if err != nil {
		return fmt.Errorf("invalid -data-dir %q: %w", dataDir, err)
	}

	if err = os.MkdirAll(absDir, 0o700); err != nil {
		return fmt.Errorf("cannot create -data-dir %q: %w", absDir, err)
	}

	var level slog.Level
	if err = level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("invalid -log-level %q: %w", logLevel, err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listenAddr},
		Handler:   "sqlite",
		SQLiteURL: "file:" + absDir + "/",
		Logger:    slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return err
	}

	// A closed stdin means the parent is gone.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	done := make(chan error, 1)
	go func() { done <- db.Run(ctx) }()

	// MongoDBURI blocks until the listener is bound.
	fmt.Println(db.MongoDBURI())

	return <-done
}
