package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestStoreLockIdempotenceBackup(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Open(dir, 100*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second open of a held state directory: %v, want ErrLocked", err)
	}
	now := time.Now().UTC()
	if err := s.PutRound(Round{ID: 1, K: 2, D: 3, Phase: "commit", OpenedAt: now}); err != nil {
		t.Fatal(err)
	}
	c1 := Commit{Commitment: []byte("one"), At: now}
	rec, existed, err := s.PutCommit(1, "a", c1)
	if err != nil || existed || !bytes.Equal(rec.Commitment, c1.Commitment) {
		t.Fatalf("first commit: %v %v %v", rec, existed, err)
	}
	rec, existed, err = s.PutCommit(1, "a", Commit{Commitment: []byte("two"), At: now.Add(time.Second)})
	if err != nil || !existed || !bytes.Equal(rec.Commitment, c1.Commitment) || !rec.At.Equal(now) {
		t.Fatalf("second commit: got %v existed %v err %v, want the first kept", rec, existed, err)
	}
	var buf bytes.Buffer
	n, err := s.Backup(&buf)
	if err != nil || n == 0 {
		t.Fatal(n, err)
	}
	// The backup is a database of its own with the same records.
	bdir := t.TempDir()
	if err := os.WriteFile(filepath.Join(bdir, FileName), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := Open(bdir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := b.Commits(1)
	b.Close()
	if err != nil || len(cs) != 1 || !bytes.Equal(cs["a"].Commitment, c1.Commitment) {
		t.Fatalf("backup holds %v (%v)", cs, err)
	}
}

func TestStoreSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists(bMeta)
		return b.Put(kSchema, []byte("2"))
	})
	db.Close()
	if _, err := Open(dir, time.Second); err == nil {
		t.Fatal("a store of schema version 2 was opened")
	}
}

// EachReveal reads a round's reveals in the order of their site ids and
// stops at fn's first error, which it returns as it is.
func TestEachReveal(t *testing.T) {
	s, err := Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	for i, site := range []string{"site-b", "site-a", "site-c"} {
		if _, _, err := s.PutReveal(1, site, Reveal{Estimate: []byte(site), Nonce: []byte{1}, At: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	err = s.EachReveal(1, func(site string, r Reveal) error {
		if string(r.Estimate) != site {
			t.Errorf("%s: estimate %q", site, r.Estimate)
		}
		order = append(order, site)
		return nil
	})
	if err != nil || strings.Join(order, ",") != "site-a,site-b,site-c" {
		t.Fatalf("EachReveal: %v, %v", order, err)
	}
	stop := errors.New("stop")
	n := 0
	if err := s.EachReveal(1, func(string, Reveal) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("an error from fn: %v after %d calls, want it returned after 1", err, n)
	}
	times, err := s.RevealTimes(1)
	if err != nil || len(times) != 3 || !times["site-c"].Equal(now.Add(2*time.Second)) {
		t.Fatalf("RevealTimes: %v, %v", times, err)
	}
	if err := s.EachReveal(2, func(string, Reveal) error { return stop }); err != nil {
		t.Fatalf("a round without reveals: %v", err)
	}
}
