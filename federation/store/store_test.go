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
		return b.Put(kSchema, []byte("3"))
	})
	db.Close()
	if _, err := Open(dir, time.Second); err == nil || !strings.Contains(err.Error(), "schema version 3") {
		t.Fatalf("a store of schema version 3 was opened (%v)", err)
	}
}

// A store of schema version 1 (each reveal a JSON record in its round's
// bucket) is converted when opened: the same reveals, commitments and
// rounds, and version 2 on disk.
func TestStoreConvertsVersion1(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 123, time.UTC)
	sites := []string{"site-b", "site-a"}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucketIfNotExists(bMeta)
		if err := meta.Put(kSchema, []byte("1")); err != nil {
			return err
		}
		for _, b := range [][]byte{bRounds, bCommits, bReveals, bRefusals, bResults} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := putJSON(tx.Bucket(bRounds), key(7), Round{ID: 7, K: 2, D: 3, Phase: "reveal"}); err != nil {
			return err
		}
		cb, _ := tx.Bucket(bCommits).CreateBucket(key(7))
		rb, _ := tx.Bucket(bReveals).CreateBucket(key(7))
		for i, site := range sites {
			if err := putJSON(cb, []byte(site), Commit{Commitment: []byte("c-" + site), At: at}); err != nil {
				return err
			}
			r := Reveal{Estimate: bytes.Repeat([]byte(site), 1000*(i+1)), Nonce: []byte{byte(i), 2}, At: at.Add(time.Duration(i) * time.Second)}
			if err := putJSON(rb, []byte(site), r); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = s.EachReveal(7, func(site string, r Reveal) error {
		i := 0
		if site == "site-a" {
			i = 1
		}
		if !bytes.Equal(r.Estimate, bytes.Repeat([]byte(site), 1000*(i+1))) || !bytes.Equal(r.Nonce, []byte{byte(i), 2}) || !r.At.Equal(at.Add(time.Duration(i)*time.Second)) {
			t.Errorf("%s: converted to %d bytes, nonce %v, at %v", site, len(r.Estimate), r.Nonce, r.At)
		}
		got = append(got, site)
		return nil
	})
	if err != nil || strings.Join(got, ",") != "site-a,site-b" {
		t.Fatalf("reveals after conversion: %v, %v", got, err)
	}
	cs, err := s.Commits(7)
	if err != nil || string(cs["site-b"].Commitment) != "c-site-b" {
		t.Fatalf("commitments after conversion: %v, %v", cs, err)
	}
	// Idempotence still holds on a converted reveal.
	rec, existed, err := s.PutReveal(7, "site-a", Reveal{Estimate: []byte("other"), Nonce: []byte{9}, At: at})
	if err != nil || !existed || len(rec.Estimate) != 12000 {
		t.Fatalf("a second reveal after conversion: %d bytes, existed %v, %v", len(rec.Estimate), existed, err)
	}
	s.Close()
	db, err = bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v := string(tx.Bucket(bMeta).Get(kSchema)); v != "2" {
			t.Errorf("schema version on disk after conversion: %q", v)
		}
		return nil
	})
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
