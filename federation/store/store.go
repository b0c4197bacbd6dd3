// Package store is the coordinator's durable state in one bbolt file
// (STATE/federation.db): rounds, commitments, reveals, refusals and
// results. Every write is one bbolt transaction, which is on disk (written
// and fsynced) when Update returns, so the coordinator acknowledges
// nothing that a crash could lose. bbolt takes an exclusive lock on the
// file: a second coordinator on the same state directory fails to open it.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this package reads and writes. Version 2
// keeps each reveal in a bucket of its own, its estimate's bytes as sent
// (version 1 kept it as a JSON record, the bytes in base64, in the round's
// bucket): a new reveal's transaction then writes that reveal's pages and a
// small header in the round's bucket, where bbolt used to rewrite (and so
// read back through its memory map) the neighbouring reveals of the same
// leaf, 3 to 5 times each reveal's bytes. A version 1 store is converted
// when opened, in one transaction.
const SchemaVersion = 2

// FileName is the database's name inside the state directory.
const FileName = "federation.db"

var (
	bMeta     = []byte("meta")
	bRounds   = []byte("rounds")
	bCommits  = []byte("commits")
	bReveals  = []byte("reveals")
	bRefusals = []byte("refusals")
	bResults  = []byte("results")
	kSchema   = []byte("schema")

	// The fields of a reveal's bucket (version 2).
	kEstimate = []byte("estimate")
	kNonce    = []byte("nonce")
	kAt       = []byte("at")
)

// ErrLocked means another process holds the state directory.
var ErrLocked = errors.New("another coordinator holds this state directory")

// Round is a round's record.
type Round struct {
	ID                 uint64    `json:"id"`
	K                  int       `json:"k"`
	D                  int       `json:"d"`
	Quorum             int       `json:"quorum"`
	CommitDeadline     time.Time `json:"commit_deadline"`
	RevealDeadline     time.Time `json:"reveal_deadline"`
	Method             string    `json:"method"`
	Seed               uint64    `json:"seed"`
	Phase              string    `json:"phase"`
	Error              string    `json:"error,omitempty"`
	OpenedAt           time.Time `json:"opened_at"`
	CommitsClosedAt    time.Time `json:"commits_closed_at,omitzero"`
	RevealsClosedAt    time.Time `json:"reveals_closed_at,omitzero"`
	DoneAt             time.Time `json:"done_at,omitzero"`
	AggregationSeconds float64   `json:"aggregation_seconds,omitempty"`
}

// Commit is a recorded commitment.
type Commit struct {
	Commitment []byte    `json:"commitment"`
	At         time.Time `json:"at"`
}

// Reveal is a recorded reveal: the estimate's bytes as sent, and the nonce.
type Reveal struct {
	Estimate []byte    `json:"estimate"`
	Nonce    []byte    `json:"nonce"`
	At       time.Time `json:"at"`
}

// Refusal is the latest refused submission of a site in a round.
type Refusal struct {
	Kind   string    `json:"kind"` // commit or reveal
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Store is an open state directory.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (or creates) the store in dir, waiting at most lockTimeout
// for another process's lock. A store of another schema version is refused.
func Open(dir string, lockTimeout time.Duration) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w (waited %v for its lock); stop the other one or choose another --state", path, ErrLocked, lockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		for _, b := range [][]byte{bRounds, bCommits, bReveals, bRefusals, bResults} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if v := meta.Get(kSchema); v != nil {
			var got int
			if err := json.Unmarshal(v, &got); err != nil || got < 1 || got > SchemaVersion {
				return fmt.Errorf("%s has schema version %s; this coordinator reads versions 1 to %d", path, v, SchemaVersion)
			}
			if got == 1 {
				if err := migrateRevealsToV2(tx); err != nil {
					return fmt.Errorf("converting %s from schema version 1: %w", path, err)
				}
			}
		}
		return meta.Put(kSchema, []byte(fmt.Sprint(SchemaVersion)))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// Close releases the file and its lock.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file.
func (s *Store) Path() string { return s.path }

func key(id uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	return b[:]
}

// PutRound writes a round's record.
func (s *Store) PutRound(r Round) error {
	return s.update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bRounds), key(r.ID), r) })
}

// Rounds returns every round, in order of id.
func (s *Store) Rounds() ([]Round, error) {
	var out []Round
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bRounds).ForEach(func(_, v []byte) error {
			var r Round
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("round record: %w", err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// PutCommit records site's commitment to round unless one is recorded:
// it returns the recorded one (which may differ from c) and whether it
// was already there.
func (s *Store) PutCommit(round uint64, site string, c Commit) (Commit, bool, error) {
	var rec Commit
	var existed bool
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bCommits).CreateBucketIfNotExists(key(round))
		if err != nil {
			return err
		}
		if v := b.Get([]byte(site)); v != nil {
			existed = true
			return json.Unmarshal(v, &rec)
		}
		rec = c
		return putJSON(b, []byte(site), c)
	})
	return rec, existed, err
}

// PutReveal records site's reveal for round unless one is recorded, like PutCommit.
func (s *Store) PutReveal(round uint64, site string, r Reveal) (Reveal, bool, error) {
	var rec Reveal
	var existed bool
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bReveals).CreateBucketIfNotExists(key(round))
		if err != nil {
			return err
		}
		if sb := b.Bucket([]byte(site)); sb != nil {
			existed = true
			rec, err = readReveal(sb, true)
			return err
		}
		rec = r
		return putReveal(b, []byte(site), r)
	})
	return rec, existed, err
}

// putReveal writes r in a new bucket named site inside b.
func putReveal(b *bolt.Bucket, site []byte, r Reveal) error {
	sb, err := b.CreateBucket(site)
	if err != nil {
		return err
	}
	at, err := r.At.MarshalText()
	if err != nil {
		return err
	}
	for _, f := range []struct{ k, v []byte }{{kAt, at}, {kNonce, r.Nonce}, {kEstimate, r.Estimate}} {
		if err := sb.Put(f.k, f.v); err != nil {
			return err
		}
	}
	return nil
}

// readReveal reads a reveal's bucket, the estimate's bytes copied only
// when withEstimate (its time alone touches none of the estimate's pages).
func readReveal(sb *bolt.Bucket, withEstimate bool) (Reveal, error) {
	var r Reveal
	at, nonce := sb.Get(kAt), sb.Get(kNonce)
	if at == nil || nonce == nil || withEstimate && sb.Get(kEstimate) == nil {
		return r, errors.New("a reveal's record lacks a field")
	}
	if err := r.At.UnmarshalText(at); err != nil {
		return r, fmt.Errorf("a reveal's time: %w", err)
	}
	r.Nonce = append([]byte(nil), nonce...)
	if withEstimate {
		r.Estimate = append([]byte(nil), sb.Get(kEstimate)...)
	}
	return r, nil
}

// migrateRevealsToV2 rewrites every reveal of a version 1 store (a JSON
// record under the site's key) as a bucket of its own.
func migrateRevealsToV2(tx *bolt.Tx) error {
	rounds := tx.Bucket(bReveals)
	var ids [][]byte
	if err := rounds.ForEach(func(k, _ []byte) error { ids = append(ids, append([]byte(nil), k...)); return nil }); err != nil {
		return err
	}
	for _, id := range ids {
		b := rounds.Bucket(id)
		if b == nil {
			continue
		}
		old := map[string]Reveal{}
		err := b.ForEach(func(site, v []byte) error {
			if v == nil { // already a bucket
				return nil
			}
			var r Reveal
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("reveal of %q: %w", site, err)
			}
			old[string(site)] = r
			return nil
		})
		if err != nil {
			return err
		}
		for site, r := range old {
			if err := b.Delete([]byte(site)); err != nil {
				return err
			}
			if err := putReveal(b, []byte(site), r); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutRefusal records the latest refused submission of site in round.
func (s *Store) PutRefusal(round uint64, site string, r Refusal) error {
	return s.update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bRefusals).CreateBucketIfNotExists(key(round))
		if err != nil {
			return err
		}
		return putJSON(b, []byte(site), r)
	})
}

// PutResult stores round's report and its record (phase done) in one transaction.
func (s *Store) PutResult(r Round, report []byte) error {
	return s.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bResults).Put(key(r.ID), report); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bRounds), key(r.ID), r)
	})
}

// Result returns round's report, nil if there is none.
func (s *Store) Result(round uint64) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bResults).Get(key(round)); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// Commits returns round's commitments by site.
func (s *Store) Commits(round uint64) (map[string]Commit, error) {
	out := map[string]Commit{}
	return out, s.each(bCommits, round, func(site string, v []byte) error {
		var c Commit
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		out[site] = c
		return nil
	})
}

// EachReveal calls fn with each of round's reveals in the order of their
// site ids (bytewise, as sort.Strings orders them), read in one
// transaction: a consistent view while writes go on, and one pass of a
// cursor however many sites there are. Only one reveal is decoded at a
// time; an error from fn stops the pass and is returned as it is.
func (s *Store) EachReveal(round uint64, fn func(site string, r Reveal) error) error {
	var fnErr error
	err := s.eachReveal(round, true, func(site string, r Reveal) error {
		if err := fn(site, r); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("store %s: round %d's reveals: %w", s.path, round, err)
	}
	return err
}

// RevealTimes returns when each of round's reveals was recorded, by site,
// without decoding the estimates.
func (s *Store) RevealTimes(round uint64) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := s.eachReveal(round, false, func(site string, r Reveal) error {
		out[site] = r.At
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: round %d's reveals: %w", s.path, round, err)
	}
	return out, nil
}

// Refusals returns round's latest refusal by site.
func (s *Store) Refusals(round uint64) (map[string]Refusal, error) {
	out := map[string]Refusal{}
	return out, s.each(bRefusals, round, func(site string, v []byte) error {
		var r Refusal
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		out[site] = r
		return nil
	})
}

// each calls fn with every record of round in bucket, in key order, in
// one read transaction with one cursor; v is valid only during the call.
func (s *Store) each(bucket []byte, round uint64, fn func(site string, v []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket).Bucket(key(round))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error { return fn(string(k), v) })
	})
}

// eachReveal calls fn with every reveal of round, in key order, in one
// read transaction; the estimates' bytes are read only when withEstimate.
func (s *Store) eachReveal(round uint64, withEstimate bool, fn func(site string, r Reveal) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bReveals).Bucket(key(round))
		if b == nil {
			return nil
		}
		return b.ForEachBucket(func(site []byte) error {
			r, err := readReveal(b.Bucket(site), withEstimate)
			if err != nil {
				return fmt.Errorf("reveal of %q: %w", site, err)
			}
			return fn(string(site), r)
		})
	})
}

// Size is the database file's size in bytes.
func (s *Store) Size() int64 {
	var n int64
	_ = s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// Backup writes a consistent copy of the database to w while writes go
// on (a read transaction sees one state), returning the bytes written.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if err := s.db.Update(fn); err != nil {
		return fmt.Errorf("store %s: %w", s.path, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
